#include "base/time_format.h"
#include "vault/export.h"

#include <string>

#include "store/transaction.h"

namespace tacet::vault {
namespace {

using Writer = JsonWriter;

Status Time(Writer& w, std::string_view key, int64_t unix_ms) {
  TACET_ASSIGN_OR_RETURN(std::string t, FormatRfc3339Utc(unix_ms));
  return w.Member(key, t);
}

// A value: text as a string, audio (and any non-text kind) as base64.
Status Value(Writer& w, std::string_view field, const std::string& value) {
  const bool text = IsTextKind(KindOfField(field));
  TACET_RETURN_IF_ERROR(w.Member("encoding", text ? "utf-8" : "base64"));
  TACET_RETURN_IF_ERROR(w.Key("value"));
  if (text) return w.String(value);
  return w.Base64(ByteView::FromString(value));
}

Status Unavailable(Writer& w, std::string_view key, std::string_view note) {
  TACET_RETURN_IF_ERROR(w.Key(key));
  TACET_RETURN_IF_ERROR(w.BeginObject());
  TACET_RETURN_IF_ERROR(w.Key("available"));
  TACET_RETURN_IF_ERROR(w.Bool(false));
  TACET_RETURN_IF_ERROR(w.Member("note", note));
  TACET_RETURN_IF_ERROR(w.Key("entries"));
  TACET_RETURN_IF_ERROR(w.BeginArray());
  TACET_RETURN_IF_ERROR(w.EndArray());
  return w.EndObject();
}

Status Section(Writer& w, std::string_view key, ExportSection* section, std::string_view note) {
  if (section == nullptr) return Unavailable(w, key, note);
  TACET_RETURN_IF_ERROR(w.Key(key));
  TACET_RETURN_IF_ERROR(w.BeginObject());
  TACET_RETURN_IF_ERROR(w.Key("available"));
  TACET_RETURN_IF_ERROR(w.Bool(true));
  TACET_RETURN_IF_ERROR(w.Key("entries"));
  TACET_RETURN_IF_ERROR(w.BeginArray());
  TACET_RETURN_IF_ERROR(section->WriteEntries(w));
  TACET_RETURN_IF_ERROR(w.EndArray());
  return w.EndObject();
}

Status Categories(Writer& w, const Vault& vault) {
  TACET_RETURN_IF_ERROR(w.Key("categories"));
  TACET_RETURN_IF_ERROR(w.BeginArray());
  for (const policy::Category& c : vault.policy().model().categories) {
    TACET_RETURN_IF_ERROR(w.BeginObject());
    TACET_RETURN_IF_ERROR(w.Member("id", c.id));
    TACET_RETURN_IF_ERROR(w.Member("display_name", c.display_name));
    TACET_RETURN_IF_ERROR(w.Member("retention_days", int64_t{c.retention_days}));
    TACET_RETURN_IF_ERROR(w.Key("optional"));
    TACET_RETURN_IF_ERROR(w.Bool(c.optional));
    TACET_RETURN_IF_ERROR(w.Key("fields"));
    TACET_RETURN_IF_ERROR(w.BeginArray());
    for (const policy::Field& f : c.fields) {
      TACET_RETURN_IF_ERROR(w.BeginObject());
      TACET_RETURN_IF_ERROR(w.Member("id", f.id));
      TACET_RETURN_IF_ERROR(w.Member("display_name", f.display_name));
      TACET_RETURN_IF_ERROR(w.Key("is_public"));
      TACET_RETURN_IF_ERROR(w.Bool(f.is_public || c.is_public));
      TACET_RETURN_IF_ERROR(w.Member("kind", FieldKindName(KindOfField(f.id))));
      TACET_RETURN_IF_ERROR(w.EndObject());
    }
    TACET_RETURN_IF_ERROR(w.EndArray());
    TACET_RETURN_IF_ERROR(w.EndObject());
  }
  return w.EndArray();
}

Status Consent(Writer& w, consent::ConsentLedger* ledger) {
  if (ledger == nullptr) {
    return Unavailable(w, "consent", "no consent ledger was given to the export");
  }
  const consent::ConsentSnapshot& s = ledger->snapshot();
  const policy::PolicyModel& p = s.policy().model();
  TACET_RETURN_IF_ERROR(w.Key("consent"));
  TACET_RETURN_IF_ERROR(w.BeginObject());
  TACET_RETURN_IF_ERROR(w.Key("available"));
  TACET_RETURN_IF_ERROR(w.Bool(true));
  auto states = [&](const char* key, const auto& list, auto state_of, auto source_of) -> Status {
    TACET_RETURN_IF_ERROR(w.Key(key));
    TACET_RETURN_IF_ERROR(w.BeginArray());
    int i = 0;
    for (const auto& entry : list) {
      TACET_RETURN_IF_ERROR(w.BeginObject());
      TACET_RETURN_IF_ERROR(w.Member("id", entry.id));
      TACET_RETURN_IF_ERROR(w.Member("state", consent::ConsentStateName(state_of(i))));
      TACET_RETURN_IF_ERROR(w.Member("source", consent::DecisionSourceName(source_of(i))));
      TACET_RETURN_IF_ERROR(w.EndObject());
      ++i;
    }
    return w.EndArray();
  };
  TACET_RETURN_IF_ERROR(states(
      "purposes", p.purposes, [&](int i) { return s.purpose(i); },
      [&](int i) { return s.purpose_source(i); }));
  TACET_RETURN_IF_ERROR(states(
      "channels", p.channels, [&](int i) { return s.channel(i); },
      [&](int i) { return s.channel_source(i); }));
  TACET_RETURN_IF_ERROR(states(
      "categories", p.categories, [&](int i) { return s.category(i); },
      [&](int i) { return s.category_source(i); }));
  TACET_RETURN_IF_ERROR(
      w.Member("location_precision", platform::LocationPrecisionName(s.location_precision())));
  // The ledger returns its history as a vector; it holds one entry per decision, which stays
  // small next to the vault.
  TACET_ASSIGN_OR_RETURN(std::vector<consent::HistoryEntry> history,
                         ledger->History());
  TACET_RETURN_IF_ERROR(w.Key("history"));
  TACET_RETURN_IF_ERROR(w.BeginArray());
  for (const consent::HistoryEntry& e : history) {
    TACET_RETURN_IF_ERROR(w.BeginObject());
    TACET_RETURN_IF_ERROR(w.Member("seq", e.seq));
    TACET_RETURN_IF_ERROR(w.Member("subject", e.subject));
    TACET_RETURN_IF_ERROR(w.Member("state", consent::ConsentStateName(e.state)));
    TACET_RETURN_IF_ERROR(w.Member("precision", platform::LocationPrecisionName(e.precision)));
    TACET_RETURN_IF_ERROR(Time(w, "time", e.time_unix_ms));
    TACET_RETURN_IF_ERROR(w.Member("source", consent::DecisionSourceName(e.source)));
    TACET_RETURN_IF_ERROR(w.Member("policy_version", static_cast<int64_t>(e.policy_version)));
    TACET_RETURN_IF_ERROR(w.EndObject());
  }
  TACET_RETURN_IF_ERROR(w.EndArray());
  return w.EndObject();
}

}  // namespace

StatusOr<ExportSummary> WriteExport(const ExportSources& src, store::Database& db, ByteSink& sink) {
  if (src.vault == nullptr || src.audit == nullptr || src.clock == nullptr) {
    return InvalidArgumentError("export: vault, audit and clock are required");
  }
  Vault& vault = *src.vault;
  ExportSummary summary;
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db, store::Durability::kNormal));
  Writer w(sink);
  TACET_RETURN_IF_ERROR(w.BeginObject());
  TACET_RETURN_IF_ERROR(w.Member("format", "tacet-export"));
  TACET_RETURN_IF_ERROR(w.Member("version", int64_t{kExportVersion}));
  TACET_RETURN_IF_ERROR(Time(w, "generated_at", src.clock->NowUnixMillis()));
  {
    const policy::Policy& p = vault.policy();
    TACET_RETURN_IF_ERROR(w.Key("policy"));
    TACET_RETURN_IF_ERROR(w.BeginObject());
    TACET_RETURN_IF_ERROR(w.Member("id", p.id()));
    TACET_RETURN_IF_ERROR(w.Member("version", static_cast<int64_t>(p.version())));
    TACET_RETURN_IF_ERROR(w.Member("hash", HexEncode(p.hash())));
    TACET_RETURN_IF_ERROR(w.EndObject());
  }
  TACET_RETURN_IF_ERROR(Categories(w, vault));

  TACET_RETURN_IF_ERROR(w.Key("records"));
  TACET_RETURN_IF_ERROR(w.BeginArray());
  auto write_record = [&](const Record& r) -> Status {
    TACET_RETURN_IF_ERROR(w.BeginObject());
    TACET_RETURN_IF_ERROR(w.Member("id", r.id));
    TACET_RETURN_IF_ERROR(w.Member("category", r.category));
    TACET_RETURN_IF_ERROR(w.Member("field", r.field));
    TACET_RETURN_IF_ERROR(w.Member("version", r.version));
    TACET_RETURN_IF_ERROR(Value(w, r.field, r.value));
    TACET_RETURN_IF_ERROR(w.Member("source", ChangeSourceName(r.source)));
    TACET_RETURN_IF_ERROR(Time(w, "created_at", r.created_unix_ms));
    TACET_RETURN_IF_ERROR(Time(w, "written_at", r.written_unix_ms));
    StatusOr<int64_t> expires = vault.ExpiresAt(r.category, r.written_unix_ms);
    TACET_RETURN_IF_ERROR(w.Key("expires_at"));
    if (expires.ok()) {
      TACET_ASSIGN_OR_RETURN(std::string t, FormatRfc3339Utc(*expires));
      TACET_RETURN_IF_ERROR(w.String(t));
    } else {
      TACET_RETURN_IF_ERROR(w.Null());  // a category the current policy no longer has
    }
    ++summary.records;
    return w.EndObject();
  };
  TACET_RETURN_IF_ERROR(vault.ForEachRecord(write_record));
  TACET_RETURN_IF_ERROR(w.EndArray());

  TACET_RETURN_IF_ERROR(w.Key("history"));
  TACET_RETURN_IF_ERROR(w.BeginArray());
  auto write_past_version = [&](std::string_view category, std::string_view field,
                                const HistoryEntry& e) -> Status {
        TACET_RETURN_IF_ERROR(w.BeginObject());
        TACET_RETURN_IF_ERROR(w.Member("record_id", e.record_id));
        TACET_RETURN_IF_ERROR(w.Member("category", category));
        TACET_RETURN_IF_ERROR(w.Member("field", field));
        TACET_RETURN_IF_ERROR(w.Member("version", e.version));
        TACET_RETURN_IF_ERROR(Value(w, field, e.value));
        TACET_RETURN_IF_ERROR(w.Member("source", ChangeSourceName(e.source)));
        TACET_RETURN_IF_ERROR(Time(w, "written_at", e.written_unix_ms));
        TACET_RETURN_IF_ERROR(Time(w, "replaced_at", e.replaced_unix_ms));
        ++summary.history_entries;
        return w.EndObject();
  };
  TACET_RETURN_IF_ERROR(vault.ForEachPastVersion(write_past_version));
  TACET_RETURN_IF_ERROR(w.EndArray());

  TACET_RETURN_IF_ERROR(Consent(w, src.ledger));
  TACET_RETURN_IF_ERROR(Section(w, "access_log", src.access_log,
                                "the capture access log is written by the capture gates; this "
                                "build exports none yet"));
  TACET_RETURN_IF_ERROR(Section(w, "disclosures", src.disclosures,
                                "what was shared with which recipient is recorded by the sync "
                                "module; this build exports none yet"));

  TACET_RETURN_IF_ERROR(w.Key("audit"));
  TACET_RETURN_IF_ERROR(w.BeginArray());
  auto write_audit_entry = [&](const audit::AuditEntry& e) -> Status {
    TACET_RETURN_IF_ERROR(w.BeginObject());
    TACET_RETURN_IF_ERROR(w.Member("seq", e.seq));
    TACET_RETURN_IF_ERROR(Time(w, "time", e.time_unix_ms));
    TACET_RETURN_IF_ERROR(w.Member("kind", audit::AuditKindName(e.kind)));
    TACET_RETURN_IF_ERROR(w.Member("subject", e.subject));
    TACET_RETURN_IF_ERROR(w.Member("detail", e.detail));
    return w.EndObject();
  };
  TACET_RETURN_IF_ERROR(src.audit->ForEach(write_audit_entry));
  TACET_RETURN_IF_ERROR(w.EndArray());
  TACET_RETURN_IF_ERROR(w.EndObject());
  TACET_RETURN_IF_ERROR(w.Finish());

  TACET_RETURN_IF_ERROR(src.audit->AppendInTransaction(
      txn, audit::AuditKind::kExport, "everything",
      "records=" + std::to_string(summary.records) +
          " history=" + std::to_string(summary.history_entries)));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return summary;
}

}  // namespace tacet::vault
