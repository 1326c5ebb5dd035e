// tacet::report: the user's privacy report, a self-contained HTML page for a person to read —
// what is held per category, what is public, when the microphone and location were used, the
// consents and their history, what was shared with whom, when each thing will be deleted, and
// how to exercise the policy's rights (whom to write to, by e-mail or post, for a copy or a
// correction).
// See docs/report.md.
//
// Design. The report reads the same sources as the export (vault, consent ledger, audit log, and
// the capture and disclosure records other modules supply) into a small ReportData model, then
// renders that model. It does not parse the export's JSON back: the library has no JSON reader,
// and a page for a person lists at most kMaxValuesPerField values of each field (with a count of
// the rest) so the model stays small however big the vault is. The page holds the same facts as
// the export of the same moment; the export stays the complete, machine-readable copy.
//
// Safety of the page. Every piece of text (values, ids, policy strings) is HTML-escaped and its
// Unicode bidirectional controls are shown as visible markers ("⟨U+202E⟩", base/utf8.h), so no
// value can reorder how the text around it reads; a value longer than kMaxShownCharacters is
// cut, with the whole of it one click away in a <details> element. The page
// has no script, loads nothing (inline CSS and SVG only) and carries a Content-Security-Policy
// that forbids scripts and every external resource, so a hostile value cannot run or phone home.
#ifndef TACET_REPORT_PRIVACY_REPORT_H_
#define TACET_REPORT_PRIVACY_REPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "base/byte_sink.h"
#include "base/status.h"
#include "consent/consent_ledger.h"
#include "store/database.h"
#include "tacet/platform/clock.h"
#include "vault/vault.h"

namespace tacet::report {

// Characters (code points) of a value shown before it is cut; the rest is behind a <details>.
inline constexpr size_t kMaxShownCharacters = 200;
// Values listed per field; older ones are counted, not shown.
inline constexpr size_t kMaxValuesPerField = 20;
// Audit entries listed (the newest); the rest are counted.
inline constexpr size_t kMaxAuditEntries = 50;
// Days the capture timeline covers, ending at the report's time.
inline constexpr int kTimelineDays = 7;

enum class CaptureKind : uint8_t { kMicrophone, kLocation };

// One span during which the microphone or location was in use. The capture gates' access log
// supplies these (its adapter turns each open/close pair into one interval).
struct CaptureInterval {
  CaptureKind kind = CaptureKind::kMicrophone;
  int64_t start_unix_ms = 0;
  int64_t end_unix_ms = 0;  // >= start
  std::string feature;      // what asked for it (a feature or purpose id)
};

// One disclosure: data that left the device (the sync module supplies these).
struct Disclosure {
  int64_t time_unix_ms = 0;
  std::string recipient;  // the policy's recipient id
  std::string purpose;
  std::vector<std::string> categories;
};

// --- the model ----------------------------------------------------------------------------------

struct ValueItem {
  int64_t record_id = 0;
  int64_t version = 1;             // > 1: corrected (its past versions are counted in the field)
  std::string text;                // the value, or "(N bytes of audio)" for a binary field
  std::string source;              // "user", "app", ...
  int64_t written_unix_ms = 0;
  int64_t expires_unix_ms = 0;     // 0 when unknown
};

struct FieldReport {
  std::string id;
  std::string display_name;
  bool is_public = false;
  int64_t values = 0;              // every current value
  int64_t past_versions = 0;       // kept corrections
  std::vector<ValueItem> newest;   // at most kMaxValuesPerField, oldest first
};

struct CategoryReport {
  std::string id;
  std::string display_name;
  std::string description;
  uint32_t retention_days = 0;
  bool optional = false;
  std::string consent;             // for an optional category: "provided", "declined", "not asked"
  int64_t values = 0;
  int64_t next_expiry_unix_ms = 0; // the earliest expires_at of its values; 0 when it holds none
  std::vector<FieldReport> fields;
};

struct ConsentItem {
  std::string id;
  std::string display_name;
  std::string state;               // "granted", "denied", "unknown"
  std::string source;
  std::string note;                // the legal basis for a purpose
  bool allowed = false;            // what is in effect (a non-refusable purpose is allowed)
};

struct ConsentChange {
  int64_t seq = 0;
  int64_t time_unix_ms = 0;
  std::string subject;             // the ledger's key: "purpose:<id>", "category:<id>", ...
  std::string state;               // for "location": the precision; for a category: "provided"
                                   // or "declined"
  std::string source;
  std::string display_name;        // the policy's name for the subject; empty when it has none
                                   // (the page then shows `subject`)
};

// A right the policy gives the user (the policy's `rights`), and how it is exercised.
struct RightItem {
  std::string id;
  std::string description;
  bool self_service = false;         // in the app, without asking anyone
  bool via_privacy_contact = false;  // by writing to the privacy contact
};

struct AuditLine {
  int64_t seq = 0;
  int64_t time_unix_ms = 0;
  std::string kind;
  std::string subject;
  std::string detail;
};

struct ReportData {
  int64_t generated_unix_ms = 0;
  std::string policy_id;
  uint64_t policy_version = 0;
  std::string controller;
  std::string privacy_contact;                       // the privacy contact's e-mail address
  // The privacy contact's postal address, one line per entry (organisation, street, floor,
  // "city, region postal code", country; empty parts left out). The controller's address when the
  // policy gives the privacy contact none.
  std::vector<std::string> privacy_contact_address;
  std::vector<RightItem> rights;                     // in policy order
  std::vector<CategoryReport> categories;
  bool consent_available = false;
  std::vector<ConsentItem> purposes;
  std::vector<ConsentItem> channels;
  std::string location_precision;
  std::vector<ConsentChange> consent_history;
  bool captures_available = false;
  std::vector<CaptureInterval> captures;
  bool disclosures_available = false;
  std::vector<Disclosure> disclosures;
  int64_t audit_total = 0;
  std::vector<AuditLine> audit;    // the newest kMaxAuditEntries, oldest first
};

// Where the report reads from. Non-owning. vault, audit and clock are required; a null ledger
// leaves the consent section "not available"; null captures / disclosures mean the module that
// records them is not part of this build, which the page says (rather than "none").
struct ReportSources {
  vault::Vault* vault = nullptr;
  audit::AuditLog* audit = nullptr;
  platform::Clock* clock = nullptr;
  consent::ConsentLedger* ledger = nullptr;
  const std::vector<CaptureInterval>* captures = nullptr;
  const std::vector<Disclosure>* disclosures = nullptr;
};

struct ReportSummary {
  int64_t records = 0;
  int64_t categories_held = 0;  // categories holding at least one value
};

// Reads everything into a model, decrypting one record at a time and keeping at most
// kMaxValuesPerField per field. kInvalidArgument for a missing required source; vault errors
// (kDataLoss for a value that fails authentication) are returned. Run inside a transaction for a
// consistent picture (WritePrivacyReport does). Thread-safety: the vault's thread.
StatusOr<ReportData> CollectReport(const ReportSources& sources);

// The page for `data`: a complete HTML5 document (UTF-8), every text HTML-escaped. Pure;
// thread-safe.
std::string RenderHtml(const ReportData& data);

// Collect + render into `sink` inside one transaction on `db` (the vault's database), and append
// an audit entry (kind "export", subject "privacy_report") in that transaction once the page is
// written: a failed report leaves no entry. The caller owns the sink. Thread-safety: as for the
// vault.
StatusOr<ReportSummary> WritePrivacyReport(const ReportSources& sources, store::Database& db,
                                           ByteSink& sink);

// `text` with & < > " ' replaced by character references (HTML 5 §13.1.2.6 safe in text and in
// quoted attribute values). Bytes that are not well-formed UTF-8 become U+FFFD; C0 controls other
// than tab and line breaks, and DEL, become U+FFFD; bidirectional controls (IsBidiControl)
// become visible markers such as "⟨U+202E⟩". Pure.
std::string HtmlEscape(std::string_view text);

}  // namespace tacet::report

#endif  // TACET_REPORT_PRIVACY_REPORT_H_
