// tacetctl consent: show, change, list and verify the consent decisions in a device database.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/time_format.h"
#include "command.h"
#include "device_session.h"
#include "agent/agent.h"
#include "consent/consent_ledger.h"
#include "consent/feature_availability.h"
#include "policy/policy.h"

namespace tacet::cli {
namespace {

using consent::ConsentSnapshot;
using consent::ConsentState;
using consent::DecisionSource;
using consent::LocationPrecision;

constexpr char kUsage[] =
    "usage:\n"
    "  tacetctl consent show --db FILE --keystore DIR [--policy FILE]\n"
    "                               every purpose, channel, optional category, the location\n"
    "                               precision and the features they leave available\n"
    "  tacetctl consent grant SUBJECT --db FILE --keystore DIR [--policy FILE]\n"
    "  tacetctl consent deny SUBJECT --db FILE --keystore DIR [--policy FILE]\n"
    "                               record the user's decision; SUBJECT is purpose:<id>,\n"
    "                               channel:<id>, category:<id> or location:<none|approximate|precise>\n"
    "  tacetctl consent history [SUBJECT] --db FILE --keystore DIR [--policy FILE]\n"
    "                               the hash-chained history (optionally of one subject)\n"
    "  tacetctl consent receipt SEQ --db FILE --keystore DIR [--policy FILE]\n"
    "                               the JSON consent receipt of history entry SEQ\n"
    "  tacetctl consent verify --db FILE --keystore DIR [--policy FILE]\n"
    "                               recompute the chain and check its keyed head; exit 1 naming\n"
    "                               the first bad entry\n"
    "DIR for --keystore is the device's key store (the one `profile` uses): it holds the key of\n"
    "the history's keyed head.\n"
    "FILE for --policy is a compiled policy (.bin); default: the policy built into Tacet.\n"
    "Opening the database under a policy it has not seen applies that update first.\n"
    "exit status: 0 ok, 1 check failed or refused, 2 usage error\n";

// Consent commands open the whole device (device_session.h): the history's keyed head lives in
// the key store, and the folder's lock and binding apply to every command alike.
std::unique_ptr<DeviceSession> OpenSession(Args& args, Access access, int* exit_code) {
  return OpenDeviceSession(kConsentCommand, args, access, exit_code);
}

const char* CategoryWord(ConsentState state) {
  switch (state) {
    case ConsentState::kGranted: return "provided";
    case ConsentState::kDenied: return "declined";
    case ConsentState::kUnknown: break;
  }
  return "not asked";
}

int Show(Args args) {
  int code = kExitOk;
  auto session = OpenSession(args, Access::kRead, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(kConsentCommand, "show takes no arguments");
  const ConsentSnapshot& s = session->agent->consent();
  const policy::PolicyModel& root = s.policy().model();
  std::printf("policy %s v%llu (sha256 %s)\n\n", std::string(s.policy().id()).c_str(),
              static_cast<unsigned long long>(s.policy().version()),
              HexEncode(s.policy().hash()).c_str());
  std::printf("purposes:\n");
  for (int p = 0; p < s.purpose_count(); ++p) {
    const policy::Purpose& purpose = root.purposes[static_cast<size_t>(p)];
    std::string note = policy::LegalBasisName(purpose.legal_basis);
    if (!purpose.refusable) note += ", not refusable";
    std::printf("  %-32s %-8s %-8s (%s; %s)\n", std::string(purpose.id).c_str(),
                consent::ConsentStateName(s.purpose(p)), s.Allows(p) ? "allowed" : "blocked",
                consent::DecisionSourceName(s.purpose_source(p)), note.c_str());
  }
  std::printf("channels:\n");
  for (int c = 0; c < s.channel_count(); ++c) {
    std::printf("  %-32s %-8s (%s)\n",
                std::string(root.channels[static_cast<size_t>(c)].id).c_str(),
                consent::ConsentStateName(s.channel(c)),
                consent::DecisionSourceName(s.channel_source(c)));
  }
  std::printf("optional categories:\n");
  for (int c = 0; c < s.category_count(); ++c) {
    const policy::Category& category = root.categories[static_cast<size_t>(c)];
    if (!category.optional) continue;
    std::printf("  %-32s %-9s (%s)\n", std::string(category.id).c_str(), CategoryWord(s.category(c)),
                consent::DecisionSourceName(s.category_source(c)));
  }
  std::printf("location: %s (%s)\n", platform::LocationPrecisionName(s.location_precision()),
              consent::DecisionSourceName(s.location_source()));
  std::printf("features:\n");
  for (const consent::FeatureStatus& f : session->agent->Features()) {
    std::printf("  %-32s %s%s%s\n", f.feature.c_str(),
                consent::FeatureAvailabilityName(f.availability), f.reason.empty() ? "" : ": ",
                f.reason.c_str());
  }
  return kExitOk;
}

// The precision a "location[:LEVEL]" SUBJECT asks for. A grant names the level it allows; a deny
// of "location" with or without a known level takes every location access away (kNone). False
// for an unknown level or a grant without one: the caller reports a usage error and records
// nothing.
bool ParseLocationDecision(const std::string& text, bool grant, LocationPrecision* precision) {
  const bool has_level = text.size() > 8;  // "location:..." rather than "location"
  const std::string level = has_level ? text.substr(9) : "";
  if (has_level && level != "none" && level != "approximate" && level != "precise") return false;
  if (!grant) {
    *precision = LocationPrecision::kNone;
    return true;
  }
  if (!has_level) return false;
  *precision = level == "precise"       ? LocationPrecision::kPrecise
               : level == "approximate" ? LocationPrecision::kApproximate
                                        : LocationPrecision::kNone;
  return true;
}

int Decide(Args args, bool grant) {
  int code = kExitOk;
  auto session = OpenSession(args, Access::kWrite, &code);
  if (session == nullptr) return code;
  if (args.rest().size() != 1) {
    return UsageError(kConsentCommand, std::string(grant ? "grant" : "deny") + " takes one SUBJECT");
  }
  const std::string& text = args.rest()[0];
  agent::Agent& agent = *session->agent;
  const ConsentState state = grant ? ConsentState::kGranted : ConsentState::kDenied;
  Status status;
  std::string subject = text;
  if (text == "location" || text.rfind("location:", 0) == 0) {
    LocationPrecision precision = LocationPrecision::kNone;
    if (!ParseLocationDecision(text, grant, &precision)) {
      return UsageError(kConsentCommand,
                        grant ? "grant location:<none|approximate|precise>, not '" + text + "'"
                              : "deny location (or location:<none|approximate|precise>), not '" +
                                    text + "'");
    }
    status = agent.SetLocationPrecision(precision, DecisionSource::kUser);
    subject = "location";
  } else {
    auto parsed = consent::ParseSubjectKey(text);
    if (!parsed.ok()) return UsageError(kConsentCommand, parsed.status().message());
    switch (parsed->kind) {
      case consent::SubjectKind::kPurpose:
        status = agent.SetPurpose(parsed->id, state, DecisionSource::kUser);
        break;
      case consent::SubjectKind::kChannel:
        status = agent.SetChannel(parsed->id, state, DecisionSource::kUser);
        break;
      case consent::SubjectKind::kCategory:
        status = agent.SetCategoryProvided(parsed->id, grant, DecisionSource::kUser);
        break;
      case consent::SubjectKind::kLocation:
        break;  // handled above
    }
  }
  if (!status.ok()) return Fail(status);
  auto history = agent.ConsentHistory(subject);
  if (!history.ok()) return Fail(history.status());
  const consent::HistoryEntry& e = history->back();
  std::printf("%s: %s (history entry %lld)\n", subject.c_str(),
              subject == "location" ? platform::LocationPrecisionName(e.precision)
                                    : consent::ConsentStateName(e.state),
              static_cast<long long>(e.seq));
  return kExitOk;
}

int History(Args args) {
  int code = kExitOk;
  auto session = OpenSession(args, Access::kRead, &code);
  if (session == nullptr) return code;
  if (args.rest().size() > 1) return UsageError(kConsentCommand, "history takes at most one SUBJECT");
  auto history = session->agent->ConsentHistory(args.rest().empty() ? "" : args.rest()[0]);
  if (!history.ok()) return Fail(history.status());
  for (const consent::HistoryEntry& e : *history) {
    auto time = FormatRfc3339Utc(e.time_unix_ms);
    std::printf("#%lld %s %s %s%s%s source=%s policy=%s v%llu %s\n    prev %s\n    hash %s\n",
                static_cast<long long>(e.seq), time.ok() ? time->c_str() : "(time out of range)",
                e.subject.c_str(), consent::ConsentStateName(e.state),
                e.subject == "location" ? " precision=" : "",
                e.subject == "location" ? platform::LocationPrecisionName(e.precision) : "",
                consent::DecisionSourceName(e.source), e.policy_id.c_str(),
                static_cast<unsigned long long>(e.policy_version),
                HexEncode(e.policy_hash).substr(0, 16).c_str(), HexEncode(e.prev_hash).c_str(),
                HexEncode(e.entry_hash).c_str());
  }
  std::printf("%zu entries\n", history->size());
  return kExitOk;
}

int Receipt(Args args) {
  int code = kExitOk;
  auto session = OpenSession(args, Access::kRead, &code);
  if (session == nullptr) return code;
  if (args.rest().size() != 1) return UsageError(kConsentCommand, "receipt takes one SEQ");
  char* end = nullptr;
  const long long seq = std::strtoll(args.rest()[0].c_str(), &end, 10);
  if (end == args.rest()[0].c_str() || *end != '\0' || seq <= 0) {
    return UsageError(kConsentCommand, "SEQ must be a positive number, not '" + args.rest()[0] + "'");
  }
  auto receipt = session->agent->ConsentReceipt(seq);
  if (!receipt.ok()) return Fail(receipt.status());
  std::printf("%s\n", receipt->c_str());
  return kExitOk;
}

int Verify(Args args) {
  int code = kExitOk;
  auto session = OpenSession(args, Access::kRead, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(kConsentCommand, "verify takes no arguments");
  const Status verified = session->agent->VerifyConsent();
  if (!verified.ok()) return Fail(verified);
  auto history = session->agent->ConsentHistory();
  if (!history.ok()) return Fail(history.status());
  std::printf("ok: %zu history entries, chain, current state and keyed head agree\n",
              history->size());
  return kExitOk;
}

int RunConsent(const std::vector<std::string>& all) {
  if (all.empty()) return UsageError(kConsentCommand, "missing subcommand");
  const std::string sub = all[0];
  Args args(std::vector<std::string>(all.begin() + 1, all.end()));
  if (sub == "show") return Show(std::move(args));
  if (sub == "grant") return Decide(std::move(args), true);
  if (sub == "deny") return Decide(std::move(args), false);
  if (sub == "history") return History(std::move(args));
  if (sub == "receipt") return Receipt(std::move(args));
  if (sub == "verify") return Verify(std::move(args));
  return UsageError(kConsentCommand, "unknown subcommand '" + sub + "'");
}

}  // namespace

const Command kConsentCommand = {
    "consent",
    "show, grant, deny, list and verify consent decisions in a device database",
    kUsage,
    &RunConsent,
};

}  // namespace tacet::cli
