// tacetctl profile | export | report | erase | audit: the user's personal data in a device
// database and its key store, through the real vault, consent ledger and audit log.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "base/time_format.h"
#include "base/utf8.h"
#include "command.h"
#include "device_session.h"
#include "output_file.h"
#include "report/privacy_report.h"
#include "vault/export.h"
#include "vault/field_rules.h"
#include "vault/vault.h"

namespace tacet::cli {
namespace {

constexpr char kCommonOptions[] =
    "options for every command:\n"
    "  --db FILE        the device database (a writing command creates a new device when both\n"
    "                   FILE and DIR are absent; a reading command never creates anything)\n"
    "  --keystore DIR   the device's key store directory (0700); it must be the database's own:\n"
    "                   another device's, an empty or a missing one next to existing data is\n"
    "                   refused before anything is written\n"
    "  --policy FILE    a compiled policy (.bin); default: the policy built into Tacet\n"
    "One process at a time owns a device (FILE.lock); a second one waits up to 5 s, then fails.\n"
    "Values expired under the policy's retention periods are purged when a writer opens it.\n"
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

// "category.field" → its two ids; false when there is no dot or either side is empty.
bool SplitField(const std::string& text, std::string* category, std::string* field) {
  const size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) return false;
  *category = text.substr(0, dot);
  *field = text.substr(dot + 1);
  return true;
}

// A value as a terminal line: text with its bidirectional controls shown as visible markers (so
// a value cannot reorder what the terminal displays around it), binary (raw audio) as its size.
std::string Printable(const std::string& field, const std::string& value) {
  if (vault::IsTextKind(vault::KindOfField(field))) return ShowBidiControls(value);
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

int ProfileSet(const Command& cmd, DeviceSession& s, const std::vector<std::string>& rest) {
  std::string category, field;
  if (rest.size() != 2) return UsageError(cmd, "set takes CATEGORY.FIELD VALUE");
  if (!SplitField(rest[0], &category, &field)) {
    return UsageError(cmd, "'" + rest[0] + "' is not CATEGORY.FIELD");
  }
  auto id = s.agent->SetValue(category, field, rest[1], vault::ChangeSource::kUser);
  if (!id.ok()) return Fail(id.status());
  auto record = s.agent->GetValue(*id);
  if (!record.ok()) return Fail(record.status());
  std::printf("%s.%s: %s (record %lld, version %lld)\n", category.c_str(), field.c_str(),
              record->version == 1 ? "set" : "corrected", static_cast<long long>(*id),
              static_cast<long long>(record->version));
  return kExitOk;
}

int ProfileGet(const Command& cmd, DeviceSession& s, const std::vector<std::string>& rest) {
  if (rest.size() > 1) return UsageError(cmd, "get takes at most one CATEGORY.FIELD");
  int64_t count = 0;
  if (rest.empty()) {
    const Status status = s.agent->ForEachValue([&](const vault::Record& r) {
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
  auto records = s.agent->ListValues(category, field);
  if (!records.ok()) return Fail(records.status());
  for (const vault::Record& r : *records) PrintRecord(r);
  std::printf("%zu values\n", records->size());
  return kExitOk;
}

int ProfileHistory(const Command& cmd, DeviceSession& s, const std::vector<std::string>& rest) {
  std::string category, field;
  if (rest.size() != 1) return UsageError(cmd, "history takes one CATEGORY.FIELD");
  if (!SplitField(rest[0], &category, &field)) {
    return UsageError(cmd, "'" + rest[0] + "' is not CATEGORY.FIELD");
  }
  auto history = s.agent->ValueHistory(category, field);
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
  auto session = OpenDeviceSession(cmd, args, sub == "set" ? Access::kWrite : Access::kRead, &code);
  if (session == nullptr) return code;
  if (sub == "set") return ProfileSet(cmd, *session, args.rest());
  if (sub == "get") return ProfileGet(cmd, *session, args.rest());
  return ProfileHistory(cmd, *session, args.rest());
}

// What an export or a report must never overwrite: the database and key store this command
// was given. Read (not taken) from `args` before OpenSession takes the options, so a refused
// destination is refused before anything is opened or created.
ProtectedPaths PathsToProtect(const Args& args) {
  ProtectedPaths paths;
  args.PeekOption("--db", &paths.database);
  args.PeekOption("--keystore", &paths.key_store_dir);
  return paths;
}

// Runs `write` into a new private file (mode 0600: it holds personal data) that replaces `path`
// only once complete (output_file.h).
template <typename WriteFn>
Status WritePrivateFile(const std::string& path, const ProtectedPaths& protect, WriteFn write) {
  return WriteOutputFile(path, protect, 0600, [&](std::FILE* file) {
    FileSink sink(file);
    return write(sink);
  });
}

int RunExport(const std::vector<std::string>& all) {
  const Command& cmd = kExportCommand;
  Args args(all);
  std::string out;
  if (!args.TakeOption("--out", &out)) return kExitUsage;
  if (out.empty()) return UsageError(cmd, "--out FILE is required");
  const ProtectedPaths protect = PathsToProtect(args);
  if (Status s = CheckOutputPath(out, protect); !s.ok()) return Fail(s);
  int code = kExitOk;
  auto session = OpenDeviceSession(cmd, args, Access::kWrite, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "export takes no arguments");
  vault::ExportSummary summary;
  const Status status = WritePrivateFile(out, protect, [&](ByteSink& sink) -> Status {
    TACET_ASSIGN_OR_RETURN(summary, session->agent->Export(sink));
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
  const ProtectedPaths protect = PathsToProtect(args);
  if (Status s = CheckOutputPath(out, protect); !s.ok()) return Fail(s);
  int code = kExitOk;
  auto session = OpenDeviceSession(cmd, args, Access::kWrite, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "report takes no arguments");
  report::ReportSummary summary;
  const Status status = WritePrivateFile(out, protect, [&](ByteSink& sink) -> Status {
    TACET_ASSIGN_OR_RETURN(summary, session->agent->Report(sink));
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
  auto session = OpenDeviceSession(cmd, args, Access::kWrite, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "erase takes no arguments");
  auto erased = category.empty() ? session->agent->EraseAll() : session->agent->Erase(category);
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
  auto session = OpenDeviceSession(cmd, args, Access::kRead, &code);
  if (session == nullptr) return code;
  if (!args.rest().empty()) return UsageError(cmd, "verify takes no arguments");
  const Status verified = session->agent->VerifyAudit();
  if (!verified.ok()) return Fail(verified);
  // Rows, history, head, audit cross-check.
  const Status vault_verified = session->agent->VerifyVault();
  if (!vault_verified.ok()) return Fail(vault_verified);
  auto count = session->agent->AuditEntryCount();
  if (!count.ok()) return Fail(count.status());
  std::printf("ok: %lld audit entries, chain and anchor agree\n", static_cast<long long>(*count));
  return kExitOk;
}

}  // namespace
}  // namespace tacet::cli
