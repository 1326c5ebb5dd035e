// Collecting the report's model from the vault, the consent ledger and the audit log.
#include "report/privacy_report.h"

#include <deque>
#include <map>
#include <utility>

#include "store/transaction.h"
#include "vault/field_rules.h"

namespace tacet::report {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

std::string ValueText(std::string_view field, const std::string& value) {
  const vault::FieldKind kind = vault::KindOfField(field);
  if (vault::IsTextKind(kind)) return value;
  return "(" + std::to_string(value.size()) + " bytes of " + vault::FieldKindName(kind) + ")";
}

const char* OptionalCategoryWord(consent::ConsentState state) {
  switch (state) {
    case consent::ConsentState::kGranted: return "provided";
    case consent::ConsentState::kDenied: return "declined";
    case consent::ConsentState::kUnknown: break;
  }
  return "not asked";
}

void CollectConsent(consent::ConsentLedger& ledger, ReportData* data,
                    std::map<std::string, std::string, std::less<>>* category_words) {
  const consent::ConsentSnapshot& s = ledger.snapshot();
  const policy::PolicyModel& root = s.policy().model();
  data->consent_available = true;
  for (int i = 0; i < s.purpose_count(); ++i) {
    const policy::Purpose* p = &root.purposes[static_cast<size_t>(i)];
    ConsentItem item;
    item.id = Str(p->id);
    item.display_name = Str(p->display_name);
    item.state = consent::ConsentStateName(s.purpose(i));
    item.source = consent::DecisionSourceName(s.purpose_source(i));
    item.note = policy::LegalBasisName(p->legal_basis);
    if (!p->refusable) item.note += ", not refusable";
    item.allowed = s.Allows(i);
    data->purposes.push_back(std::move(item));
  }
  for (int i = 0; i < s.channel_count(); ++i) {
    const policy::Channel* c = &root.channels[static_cast<size_t>(i)];
    ConsentItem item;
    item.id = Str(c->id);
    item.display_name = Str(c->display_name);
    item.state = consent::ConsentStateName(s.channel(i));
    item.source = consent::DecisionSourceName(s.channel_source(i));
    item.allowed = s.channel(i) == consent::ConsentState::kGranted;
    data->channels.push_back(std::move(item));
  }
  for (int i = 0; i < s.category_count(); ++i) {
    const policy::Category* c = &root.categories[static_cast<size_t>(i)];
    if (c->optional) (*category_words)[Str(c->id)] = OptionalCategoryWord(s.category(i));
  }
  data->location_precision = platform::LocationPrecisionName(s.location_precision());
}

// A postal address as the lines of an envelope; empty parts are left out.
std::vector<std::string> AddressLines(const policy::PostalAddress* a) {
  std::vector<std::string> lines;
  if (a == nullptr) return lines;
  auto add = [&](std::string line) {
    if (!line.empty()) lines.push_back(std::move(line));
  };
  add(Str(a->organisation));
  add(Str(a->street));
  add(Str(a->floor));
  std::string code = Str(a->region);
  const std::string postal = Str(a->postal_code);
  code += (!code.empty() && !postal.empty() ? " " : "") + postal;
  std::string town = Str(a->city);
  town += (!town.empty() && !code.empty() ? ", " : "") + code;
  add(std::move(town));
  add(Str(a->country));
  return lines;
}

// The ledger's subject keys ("purpose:<id>", "channel:<id>", "category:<id>", "location") → the
// names the policy gives them, for the history of choices.
std::map<std::string, std::string, std::less<>> SubjectNames(const policy::PolicyModel& root) {
  std::map<std::string, std::string, std::less<>> names;
  auto add = [&](const char* kind, std::string_view id, std::string_view display_name) {
    if (!id.empty() && !display_name.empty()) {
      names[std::string(kind) + ":" + std::string(id)] = std::string(display_name);
    }
  };
  for (const policy::Purpose& p : root.purposes) add("purpose", p.id, p.display_name);
  for (const policy::Channel& c : root.channels) add("channel", c.id, c.display_name);
  for (const policy::Category& c : root.categories) add("category", c.id, c.display_name);
  names["location"] = "Location access";
  return names;
}

}  // namespace

StatusOr<ReportData> CollectReport(const ReportSources& src) {
  if (src.vault == nullptr || src.audit == nullptr || src.clock == nullptr) {
    return InvalidArgumentError("report: vault, audit and clock are required");
  }
  vault::Vault& vault = *src.vault;
  const policy::Policy& policy = vault.policy();
  const policy::PolicyModel& root = policy.model();
  ReportData data;
  data.generated_unix_ms = src.clock->NowUnixMillis();
  data.policy_id = std::string(policy.id());
  data.policy_version = policy.version();
  data.controller = Str(root.controller.name);
  data.privacy_contact = Str(root.privacy_contact.email);
  data.privacy_contact_address = AddressLines(&root.privacy_contact.postal_address);
  if (data.privacy_contact_address.empty()) {
    data.privacy_contact_address = AddressLines(&root.controller.address);
  }
  for (const policy::Right& r : root.rights) {
    data.rights.push_back(
        {Str(r.id), Str(r.description), r.self_service, r.via_privacy_contact});
  }

  std::map<std::string, std::string, std::less<>> category_words;
  if (src.ledger != nullptr) {
    CollectConsent(*src.ledger, &data, &category_words);
    const std::map<std::string, std::string, std::less<>> names = SubjectNames(root);
    TACET_ASSIGN_OR_RETURN(std::vector<consent::HistoryEntry> history, src.ledger->History());
    for (const consent::HistoryEntry& e : history) {
      ConsentChange change;
      change.seq = e.seq;
      change.time_unix_ms = e.time_unix_ms;
      change.subject = e.subject;
      // In the words the rest of the page uses: a category is provided or declined.
      change.state = e.subject == "location" ? platform::LocationPrecisionName(e.precision)
                     : e.subject.rfind("category:", 0) == 0 ? OptionalCategoryWord(e.state)
                                                            : consent::ConsentStateName(e.state);
      change.source = consent::DecisionSourceName(e.source);
      auto name = names.find(e.subject);
      if (name != names.end()) change.display_name = name->second;
      data.consent_history.push_back(std::move(change));
    }
  }

  // Categories and fields in policy order; (category, field) → position for the record pass.
  std::map<std::pair<std::string, std::string>, std::pair<size_t, size_t>> where;
  for (const policy::Category& c : root.categories) {
    CategoryReport cat;
    cat.id = Str(c.id);
    cat.display_name = Str(c.display_name);
    cat.description = Str(c.description);
    cat.retention_days = c.retention_days;
    cat.optional = c.optional;
    if (cat.optional) {
      auto it = category_words.find(cat.id);
      cat.consent = it == category_words.end() ? "not available" : it->second;
    }
    for (const policy::Field& f : c.fields) {
      FieldReport field;
      field.id = Str(f.id);
      field.display_name = Str(f.display_name);
      field.is_public = f.is_public || c.is_public;
      where[{cat.id, field.id}] = {data.categories.size(), cat.fields.size()};
      cat.fields.push_back(std::move(field));
    }
    data.categories.push_back(std::move(cat));
  }
  // A record of a category or field the current policy no longer has still belongs in the report.
  // Returns (category index, field index).
  auto locate = [&](const std::string& category,
                    const std::string& field) -> std::pair<size_t, size_t> {
    auto it = where.find({category, field});
    if (it == where.end()) {
      size_t ci = 0;
      while (ci < data.categories.size() && data.categories[ci].id != category) ++ci;
      if (ci == data.categories.size()) {
        CategoryReport cat;
        cat.id = category;
        cat.display_name = category + " (no longer in the policy)";
        data.categories.push_back(std::move(cat));
      }
      FieldReport f;
      f.id = field;
      f.display_name = field;
      it = where.emplace(std::make_pair(category, field),
                         std::make_pair(ci, data.categories[ci].fields.size()))
               .first;
      data.categories[ci].fields.push_back(std::move(f));
    }
    return it->second;
  };

  TACET_RETURN_IF_ERROR(vault.ForEachRecord([&](const vault::Record& r) -> Status {
    const auto [ci, fi] = locate(r.category, r.field);
    CategoryReport& cat = data.categories[ci];
    FieldReport& field = cat.fields[fi];
    ValueItem item;
    item.record_id = r.id;
    item.version = r.version;
    item.text = ValueText(r.field, r.value);
    item.source = vault::ChangeSourceName(r.source);
    item.written_unix_ms = r.written_unix_ms;
    StatusOr<int64_t> expires = vault.ExpiresAt(r.category, r.written_unix_ms);
    item.expires_unix_ms = expires.ok() ? *expires : 0;
    if (item.expires_unix_ms > 0 &&
        (cat.next_expiry_unix_ms == 0 || item.expires_unix_ms < cat.next_expiry_unix_ms)) {
      cat.next_expiry_unix_ms = item.expires_unix_ms;
    }
    ++field.values;
    ++cat.values;
    if (field.newest.size() == kMaxValuesPerField) field.newest.erase(field.newest.begin());
    field.newest.push_back(std::move(item));
    return OkStatus();
  }));
  TACET_RETURN_IF_ERROR(vault.ForEachPastVersion(
      [&](std::string_view category, std::string_view field, const vault::HistoryEntry&) {
        const auto [ci, fi] = locate(std::string(category), std::string(field));
        ++data.categories[ci].fields[fi].past_versions;
        return OkStatus();
      }));

  if (src.captures != nullptr) {
    data.captures_available = true;
    data.captures = *src.captures;
  }
  if (src.disclosures != nullptr) {
    data.disclosures_available = true;
    data.disclosures = *src.disclosures;
  }

  std::deque<AuditLine> newest;
  TACET_RETURN_IF_ERROR(src.audit->ForEach([&](const audit::AuditEntry& e) {
    ++data.audit_total;
    if (newest.size() == kMaxAuditEntries) newest.pop_front();
    newest.push_back({e.seq, e.time_unix_ms, audit::AuditKindName(e.kind), e.subject, e.detail});
    return OkStatus();
  }));
  data.audit.assign(newest.begin(), newest.end());
  return data;
}

StatusOr<ReportSummary> WritePrivacyReport(const ReportSources& sources, store::Database& db,
                                           ByteSink& sink) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(ReportData data, CollectReport(sources));
  ReportSummary summary;
  for (const CategoryReport& c : data.categories) {
    summary.records += c.values;
    if (c.values > 0) ++summary.categories_held;
  }
  TACET_RETURN_IF_ERROR(sink.Write(RenderHtml(data)));
  TACET_RETURN_IF_ERROR(sources.audit->AppendInTransaction(
      txn, audit::AuditKind::kExport, "privacy_report",
      "records=" + std::to_string(summary.records) +
          " categories=" + std::to_string(summary.categories_held)));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return summary;
}

}  // namespace tacet::report
