// tacetctl profile | export | report | erase | audit: the user's personal data in a device
// database and its key store, through the real vault, consent ledger and audit log.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/time_format.h"
#include "agent/capture_records.h"
#include "agent/device_schema.h"
#include "audit/audit_log.h"
#include "command.h"
#include "consent/consent_ledger.h"
#include "crypto/drbg.h"
#include "policy/policy.h"
#include "posix/file_key_store.h"
#include "posix/posix_clock.h"
#include "posix/posix_entropy.h"
#include "report/privacy_report.h"
#include "store/database.h"
#include "vault/consent_view.h"
#include "vault/export.h"
#include "vault/field_rules.h"
#include "vault/vault.h"

namespace tacet::cli {
namespace {

constexpr char kCommonOptions[] =
    "options for every command:\n"
    "  --db FILE        the device database (created if absent)\n"
    "  --keystore DIR   the key store directory holding the vault's keys (created 0700 if absent)\n"
    "  --policy FILE    a compiled policy (.bin); default: the policy built into Tacet\n"
    "Values expired under the policy's retention periods are purged when the database is opened.\n"
    "exit status: 0 ok, 1 refused or check failed, 2 usage error\n";

const std::string kProfileUsage = std::string(
    "usage:\n"
    "  tacetctl profile set CATEGORY.FIELD VALUE --db FILE --keystore DIR [--policy FILE]\n"
    "                               write (or correct) a value; the old one is kept in its history\n"
    "  tacetctl profile get [CATEGORY.FIELD] --db FILE --keystore DIR [--policy FILE]\n"
    "                               the current values (of one field, or everything)\n"
    "  tacetctl profile history CATEGORY.FIELD --db FILE --keystore DIR [--policy FILE]\n"
    "                               every version of the field, oldest first\n"
    "CATEGORY and FIELD are the policy's ids (`tacetctl policy show`), e.g. contact.email_address.\n"
    "A write needs consent for the category (`tacetctl consent grant ...`).\n") + kCommonOptions;
const std::string kExportUsage = std::string(
    "usage:\n"
    "  tacetctl export --out FILE --db FILE --keystore DIR [--policy FILE]\n"
    "                               everything held about the user as JSON (docs/export.md),\n"
    "                               written to FILE with mode 0600\n") + kCommonOptions;
const std::string kReportUsage = std::string(
    "usage:\n"
    "  tacetctl report --html FILE --db FILE --keystore DIR [--policy FILE]\n"
    "                               the privacy report: a self-contained HTML page for the user\n"
    "                               (docs/report.md), written with mode 0600\n") + kCommonOptions;
const std::string kEraseUsage = std::string(
    "usage:\n"
    "  tacetctl erase --category CATEGORY --db FILE --keystore DIR [--policy FILE]\n"
    "                               erase one category: rows deleted, its key destroyed\n"
    "  tacetctl erase --yes --db FILE --keystore DIR [--policy FILE]\n"
    "                               erase everything (--yes is required; nothing is asked)\n") +
    kCommonOptions;
const std::string kAuditUsage = std::string(
    "usage:\n"
    "  tacetctl audit verify --db FILE --keystore DIR [--policy FILE]\n"
    "                               recompute the audit log's hash chain and check its anchor;\n"
    "                               exit 1 naming the first entry that does not fit\n") +
    kCommonOptions;

// Everything a command works on, declared so that destruction runs in reverse dependency order.
struct Session {
  platform::PosixClock clock;
  platform::PosixEntropy entropy;
  std::unique_ptr<crypto::Drbg> drbg;
  std::unique_ptr<platform::FileKeyStore> keys;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<consent::ConsentLedger> ledger;
  std::unique_ptr<vault::LedgerConsentView> view;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<vault::Vault> vault;
};

// Takes --db, --keystore and --policy from `args`, opens everything and runs a retention sweep.
// Unknown options are refused. On failure prints the reason and returns null with the exit code
// in `exit_code`.
std::unique_ptr<Session> OpenSession(const Command& command, Args& args, int* exit_code) {
  std::string db_path, keystore_dir, policy_path;
  if (!args.TakeOption("--db", &db_path) || !args.TakeOption("--keystore", &keystore_dir) ||
      !args.TakeOption("--policy", &policy_path)) {
    *exit_code = kExitUsage;
    return nullptr;
  }
  if (db_path.empty() || keystore_dir.empty()) {
    *exit_code = UsageError(command, "--db FILE and --keystore DIR are required");
    return nullptr;
  }
  if (!args.NoUnknownOptions()) {
    *exit_code = kExitUsage;
    return nullptr;
  }
  auto fail = [&](const Status& status) {
    *exit_code = Fail(status);
    return nullptr;
  };
  auto policy = policy_path.empty() ? policy::Policy::LoadEmbedded()
                                    : policy::Policy::LoadFile(policy_path);
  if (!policy.ok()) return fail(policy.status());
  auto s = std::make_unique<Session>();
  auto drbg = crypto::Drbg::Create(s->entropy, "tacetctl vault");
  if (!drbg.ok()) return fail(drbg.status());
  s->drbg = *std::move(drbg);
  auto keys = platform::FileKeyStore::Open(keystore_dir);
  if (!keys.ok()) return fail(keys.status());
  s->keys = *std::move(keys);
  store::OpenOptions options;
  options.schema = &agent::DeviceSchema();
  auto db = store::Database::Open(db_path, options);
  if (!db.ok()) return fail(db.status());
  s->db = *std::move(db);
  auto ledger = consent::ConsentLedger::Open(*s->db, *policy, s->clock, *s->keys, *s->drbg);
  if (!ledger.ok()) return fail(ledger.status());
  s->ledger = *std::move(ledger);
  s->view = std::make_unique<vault::LedgerConsentView>(*s->ledger);
  auto audit = audit::AuditLog::Open(*s->db, s->clock, *s->keys, *s->drbg);
  if (!audit.ok()) return fail(audit.status());
  s->audit = *std::move(audit);
  vault::VaultDeps deps;
  deps.db = s->db.get();
  deps.policy = *policy;
  deps.consent = s->view.get();
  deps.keys = s->keys.get();
  deps.clock = &s->clock;
  deps.drbg = s->drbg.get();
  deps.audit = s->audit.get();
  auto opened = vault::Vault::Open(deps);
  if (!opened.ok()) return fail(opened.status());
  s->vault = *std::move(opened);
  // What the agent's sweeper does at start-up: nothing past its retention is shown or exported.
  auto swept = s->vault->Sweep(s->clock.NowUnixMillis());
  if (!swept.ok()) return fail(swept.status());
  if (swept->records + swept->history_entries > 0) {
    std::fprintf(stderr, "tacetctl: purged %lld expired values and %lld expired past versions\n",
                 static_cast<long long>(swept->records),
                 static_cast<long long>(swept->history_entries));
  }
  return s;
}

// "category.field" → its two ids; false when there is no dot or either side is empty.
bool SplitField(const std::string& text, std::string* category, std::string* field) {
  const size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) return false;
  *category = text.substr(0, dot);
  *field = text.substr(dot + 1);
  return true;
}

// A value as a terminal line: text as it is, binary (raw audio) as its size.
std::string Printable(const std::string& field, const std::string& value) {
  if (vault::IsTextKind(vault::KindOfField(field))) return value;
  return "(" + std::to_string(value.size()) + " bytes of " +
         vault::FieldKindName(vault::KindOfField(field)) + ")";
}

std::string Time(int64_t unix_ms) {
  auto t = FormatRfc3339Utc(unix_ms);
  return t.ok() ? *t : "(time out of range)";
}

void PrintRecord(const vault::Record& r) {
  std::printf("%s.%s [record %lld, version %lld, %s, %s]: %s\n", r.category.c_str(),
              r.field.c_str(), static_cast<long long>(r.id), static_cast<long long>(r.version),
              vault::ChangeSourceName(r.source), Time(r.written_unix_ms).c_str(),
              Printable(r.field, r.value).c_str());
}

int ProfileSet(const Command& cmd, Session& s, const std::vector<std::string>& rest) {
  std::string category, field;
  if (rest.size() != 2) return UsageError(cmd, "set takes CATEGORY.FIELD VALUE");
  if (!SplitField(rest[0], &category, &field)) {
    return UsageError(cmd, "'" + rest[0] + "' is not CATEGORY.FIELD");
  }
  auto id = s.vault->Set(category, field, rest[1], vault::ChangeSource::kUser);
  if (!id.ok()) return Fail(id.status());
  auto record = s.vault->Get(*id);
  if (!record.ok()) return Fail(record.status());
  std::printf("%s.%s: %s (record %lld, version %lld)\n", category.c_str(), field.c_str(),
              record->version == 1 ? "set" : "corrected", static_cast<long long>(*id),
              static_cast<long long>(record->version));
  return kExitOk;
}

int ProfileGet(const Command& cmd, Session& s, const std::vector<std::string>& rest) {
  if (rest.size() > 1) return UsageError(cmd, "get takes at most one CATEGORY.FIELD");
  int64_t count = 0;
  if (rest.empty()) {
    const Status status = s.vault->ForEachRecord([&](const vault::Record& r) {
      PrintRecord(r);
      ++count;
      return OkStatus();
    });
    if (!status.ok()) return Fail(status);
    std::printf("%lld values\n", static_cast<long long>(count));
    return kExitOk;
  }
  std::string category, field;
  if (!SplitField(rest[0], &category, &field)) {
    return UsageError(cmd, "'" + rest[0] + "' is not CATEGORY.FIELD");
  }
  auto records = s.vault->List(category, field);
  if (!records.ok()) return Fail(records.status());
  for (const vault::Record& r : *records) PrintRecord(r);
  std::printf("%zu values\n", records->size());
  return kExitOk;
}

int ProfileHistory(const Command& cmd, Session& s, const std::vector<std::string>& rest) {
  std::string category, field;
  if (rest.size() != 1) return UsageError(cmd, "history takes one CATEGORY.FIELD");
  if (!SplitField(rest[0], &category, &field)) {
    return UsageError(cmd, "'" + rest[0] + "' is not CATEGORY.FIELD");
  }
  auto history = s.vault->History(category, field);
  if (!history.ok()) return Fail(history.status());
  for (const vault::HistoryEntry& e : *history) {
    std::printf("record %lld version %lld written %s by %s%s%s: %s\n",
                static_cast<long long>(e.record_id), static_cast<long long>(e.version),
                Time(e.written_unix_ms).c_str(), vault::ChangeSourceName(e.source),
                e.replaced_unix_ms > 0 ? ", replaced " : " (current)",
                e.replaced_unix_ms > 0 ? Time(e.replaced_unix_ms).c_str() : "",
                Printable(field, e.value).c_str());
  }
  std::printf("%zu versions\n", history->size());
  return kExitOk;
}

int RunProfile(const std::vector<std::string>& all);
int RunExport(const std::vector<std::string>& all);
int RunReport(const std::vector<std::string>& all);
int RunErase(const std::vector<std::string>& all);
int RunAudit(const std::vector<std::string>& all);

}  // namespace

const Command kProfileCommand = {"profile", "set, show and trace the user's personal data",
                                 kProfileUsage, &RunProfile};
const Command kExportCommand = {"export", "write everything held about the user as JSON",
                                kExportUsage, &RunExport};
const Command kReportCommand = {"report", "write the user's privacy report as an HTML page",
                                kReportUsage, &RunReport};
const Command kEraseCommand = {"erase", "erase a category of personal data, or everything",
                               kEraseUsage, &RunErase};
const Command kAuditCommand = {"audit", "verify the audit log of corrections, exports, erasures",
                               kAuditUsage, &RunAudit};

namespace {

int RunProfile(const std::vector<std::string>& all) {
  const Command& cmd = kProfileCommand;
  if (all.empty()) return UsageError(cmd, "missing subcommand");
  const std::string sub = all[0];
  if (sub != "set" && sub != "get" && sub != "history") {
    return UsageError(cmd, "unknown subcommand '" + sub + "'");
  }
  Args args(std::vector<std::string>(all.begin() + 1, all.end()));
  int code = kExitOk;
  auto session = OpenSession(cmd, args, &code);
  if (session == nullptr) return code;
  if (sub == "set") return ProfileSet(cmd, *session, args.rest());
  if (sub == "get") return ProfileGet(cmd, *session, args.rest());
  return ProfileHistory(cmd, *session, args.rest());
}

// Creates (or truncates) `path` with mode 0600 — it will hold personal data — for writing.
StatusOr<std::FILE*> CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return UnavailableError("cannot create '" + path + "': " + std::strerror(errno));
  if (::fchmod(fd, 0600) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    return UnavailableError("cannot restrict the permissions of '" + path + "': " + error);
  }
  std::FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) {
    ::close(fd);
    return UnavailableError("cannot open '" + path + "' for writing");
  }
  return file;
}

// Runs `write` into a new private file at `path`; on any failure the partial file is removed.
template <typename WriteFn>
Status WritePrivateFile(const std::string& path, WriteFn write) {
  TACET_ASSIGN_OR_RETURN(std::FILE * file, CreatePrivateFile(path));
  vault::FileSink sink(file);
  Status status = write(sink);
  if (std::fclose(file) != 0 && status.ok()) {
    status = UnavailableError("writing '" + path + "' failed: " + std::strerror(errno));
  }
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

int RunExport(const std::vector<std::string>& all) {
  const Command& cmd = kExportCommand;
  Args args(all);
  std::string out;
  if (!args.TakeOption("--out", &out)) return kExitUsage;
  if (out.empty()) return UsageError(cmd, "--out FILE is required");
  int code = kExitOk;
  auto session = OpenSession(cmd, args, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "export takes no arguments");
  vault::ExportSources sources;
  sources.vault = session->vault.get();
  sources.audit = session->audit.get();
  sources.clock = &session->clock;
  sources.ledger = session->ledger.get();
  agent::AccessLogExportSection access_log(*session->db);
  sources.access_log = &access_log;
  vault::ExportSummary summary;
  const Status status = WritePrivateFile(out, [&](vault::ByteSink& sink) -> Status {
    TACET_ASSIGN_OR_RETURN(summary, vault::WriteExport(sources, *session->db, sink));
    return OkStatus();
  });
  if (!status.ok()) return Fail(status);
  std::printf("wrote %s: %lld values, %lld past versions\n", out.c_str(),
              static_cast<long long>(summary.records),
              static_cast<long long>(summary.history_entries));
  return kExitOk;
}

int RunReport(const std::vector<std::string>& all) {
  const Command& cmd = kReportCommand;
  Args args(all);
  std::string out;
  if (!args.TakeOption("--html", &out)) return kExitUsage;
  if (out.empty()) return UsageError(cmd, "--html FILE is required");
  int code = kExitOk;
  auto session = OpenSession(cmd, args, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "report takes no arguments");
  report::ReportSources sources;
  sources.vault = session->vault.get();
  sources.audit = session->audit.get();
  sources.clock = &session->clock;
  sources.ledger = session->ledger.get();
  auto captures = agent::CaptureIntervals(*session->db, 0, session->clock.NowUnixMillis());
  if (!captures.ok()) return Fail(captures.status());
  sources.captures = &*captures;
  report::ReportSummary summary;
  const Status status = WritePrivateFile(out, [&](vault::ByteSink& sink) -> Status {
    TACET_ASSIGN_OR_RETURN(summary, report::WritePrivacyReport(sources, *session->db, sink));
    return OkStatus();
  });
  if (!status.ok()) return Fail(status);
  std::printf("wrote %s: %lld values in %lld categories\n", out.c_str(),
              static_cast<long long>(summary.records),
              static_cast<long long>(summary.categories_held));
  return kExitOk;
}

int RunErase(const std::vector<std::string>& all) {
  const Command& cmd = kEraseCommand;
  Args args(all);
  std::string category;
  if (!args.TakeOption("--category", &category)) return kExitUsage;
  const bool yes = args.TakeFlag("--yes");
  if (category.empty() && !yes) {
    return UsageError(cmd, "erasing everything needs --yes (or name one --category)");
  }
  int code = kExitOk;
  auto session = OpenSession(cmd, args, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "erase takes no arguments");
  auto erased = category.empty() ? session->vault->EraseAll() : session->vault->Erase(category);
  if (!erased.ok()) return Fail(erased.status());
  std::printf("erased %s: %lld values, %lld past versions; %s destroyed\n",
              category.empty() ? "everything" : ("'" + category + "'").c_str(),
              static_cast<long long>(erased->records),
              static_cast<long long>(erased->history_entries),
              category.empty() ? "every data key" : "its data key");
  return kExitOk;
}

int RunAudit(const std::vector<std::string>& all) {
  const Command& cmd = kAuditCommand;
  if (all.empty()) return UsageError(cmd, "missing subcommand");
  if (all[0] != "verify") return UsageError(cmd, "unknown subcommand '" + all[0] + "'");
  Args args(std::vector<std::string>(all.begin() + 1, all.end()));
  int code = kExitOk;
  auto session = OpenSession(cmd, args, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "verify takes no arguments");
  const Status verified = session->audit->Verify();
  if (!verified.ok()) return Fail(verified);
  auto count = session->audit->Count();
  if (!count.ok()) return Fail(count.status());
  std::printf("ok: %lld audit entries, chain and anchor agree\n", static_cast<long long>(*count));
  return kExitOk;
}

}  // namespace
}  // namespace tacet::cli
