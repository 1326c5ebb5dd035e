#include "vault/vault.h"

#include <set>
#include <utility>

#include "base/bytes.h"
#include "crypto/secure.h"
#include "store/transaction.h"

namespace tacet::vault {
namespace {

constexpr char kRecordAadLabel[] = "tacet-vault-record-v1";
constexpr int64_t kMillisPerDay = 86400000;
constexpr const char* kSourceNames[] = {"user", "app", "service", "import"};

// The associated data of a record version (see vault.h).
Bytes RecordAad(int64_t id, std::string_view category, std::string_view field, int64_t version) {
  Bytes aad;
  aad.reserve(64 + category.size() + field.size());
  Append(aad, ByteView::FromString(kRecordAadLabel));
  AppendU64Be(aad, static_cast<uint64_t>(id));
  AppendU32Be(aad, static_cast<uint32_t>(category.size()));
  Append(aad, ByteView::FromString(category));
  AppendU32Be(aad, static_cast<uint32_t>(field.size()));
  Append(aad, ByteView::FromString(field));
  AppendU64Be(aad, static_cast<uint64_t>(version));
  return aad;
}

std::string FieldName(std::string_view category, std::string_view field) {
  return std::string(category) + "." + std::string(field);
}

StatusOr<ChangeSource> ReadSource(const std::string& name, int64_t id) {
  StatusOr<ChangeSource> s = ParseChangeSource(name);
  if (!s.ok()) return DataLossError("vault: record " + std::to_string(id) + " has an unknown source");
  return s;
}

StatusOr<int64_t> QueryCount(store::Database& db, const char* sql, std::string_view arg) {
  TACET_ASSIGN_OR_RETURN(auto q, db.Prepare(sql));
  TACET_RETURN_IF_ERROR(q.Bind(1, arg));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt64(0) : 0;
}

}  // namespace

const char* ChangeSourceName(ChangeSource source) {
  auto i = static_cast<size_t>(source);
  return i < sizeof(kSourceNames) / sizeof(kSourceNames[0]) ? kSourceNames[i] : "unknown";
}

StatusOr<ChangeSource> ParseChangeSource(std::string_view name) {
  for (size_t i = 0; i < sizeof(kSourceNames) / sizeof(kSourceNames[0]); ++i) {
    if (name == kSourceNames[i]) return static_cast<ChangeSource>(i);
  }
  return InvalidArgumentError("vault: unknown change source '" + std::string(name) +
                              "' (expected user, app, service or import)");
}

std::vector<store::Migration> VaultMigrations() {
  return {
      {1, "vault: encrypted records and their past versions",
       // Values live only in `ciphertext` (AES-256-GCM, see vault.h); everything else is
       // metadata the vault needs in clear to find, expire and erase records.
       "CREATE TABLE vault_records ("
       "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
       "  category TEXT NOT NULL,"
       "  field TEXT NOT NULL,"
       "  version INTEGER NOT NULL CHECK (version >= 1),"
       "  created_unix_ms INTEGER NOT NULL,"
       "  written_unix_ms INTEGER NOT NULL,"
       "  source TEXT NOT NULL,"
       "  nonce BLOB NOT NULL,"
       "  ciphertext BLOB NOT NULL"
       ") STRICT;"
       "CREATE INDEX vault_records_by_field ON vault_records(category, field, id);"
       "CREATE INDEX vault_records_by_age ON vault_records(category, written_unix_ms);"
       "CREATE TABLE vault_history ("
       "  record_id INTEGER NOT NULL REFERENCES vault_records(id) ON DELETE CASCADE,"
       "  version INTEGER NOT NULL,"
       "  written_unix_ms INTEGER NOT NULL,"
       "  replaced_unix_ms INTEGER NOT NULL,"
       "  source TEXT NOT NULL,"
       "  nonce BLOB NOT NULL,"
       "  ciphertext BLOB NOT NULL,"
       "  PRIMARY KEY (record_id, version)"
       ") STRICT;"},
  };
}

struct Vault::Target {
  const fb::Category* category;
  std::string_view category_id;
  std::string_view field_id;
  FieldKind kind;
};

StatusOr<std::unique_ptr<Vault>> Vault::Open(const VaultDeps& deps) {
  std::string missing;
  auto need = [&missing](const void* p, const char* name) {
    if (p != nullptr) return;
    if (!missing.empty()) missing += ", ";
    missing += name;
  };
  need(deps.db, "db");
  need(deps.policy.get(), "policy");
  need(deps.consent, "consent");
  need(deps.keys, "keys");
  need(deps.clock, "clock");
  need(deps.drbg, "drbg");
  need(deps.audit, "audit");
  if (!missing.empty()) return InvalidArgumentError("vault: missing dependencies: " + missing);
  TACET_ASSIGN_OR_RETURN(auto keys, KeyRing::Open(*deps.keys, *deps.drbg));
  std::unique_ptr<Vault> vault(new Vault(deps, std::move(keys)));
  TACET_RETURN_IF_ERROR(vault->DestroyOrphanKeys());
  return vault;
}

// An erasure deletes the rows first (one committed transaction) and then the data key. If the
// process died in between, or after a data key was made for a first write that never committed,
// a key without data is left in the key store: destroy it now.
Status Vault::DestroyOrphanKeys() {
  for (const fb::Category* c : *policy().root().categories()) {
    std::string_view id = c->id()->string_view();
    TACET_ASSIGN_OR_RETURN(
        int64_t n, QueryCount(*deps_.db, "SELECT count(*) FROM vault_records WHERE category = ?1", id));
    if (n == 0) TACET_RETURN_IF_ERROR(keys_->Destroy(id));
  }
  return OkStatus();
}

StatusOr<Vault::Target> Vault::Resolve(std::string_view category, std::string_view field) const {
  const fb::Category* c = policy().FindCategory(category);
  if (c == nullptr) {
    return NotFoundError("vault: the policy has no category '" + std::string(category) + "'");
  }
  if (c->fields() != nullptr) {
    for (const fb::Field* f : *c->fields()) {
      if (f->id()->string_view() == field) {
        return Target{c, c->id()->string_view(), f->id()->string_view(), KindOfField(field)};
      }
    }
  }
  return NotFoundError("vault: category '" + std::string(category) + "' has no field '" +
                       std::string(field) + "'");
}

Status Vault::CheckConsent(const Target& t) const {
  ConsentView& consent = *deps_.consent;
  const std::string what = "vault: refusing to store " + FieldName(t.category_id, t.field_id);
  if (t.category->optional() && consent.CategoryDeclined(t.category_id)) {
    return PermissionDeniedError(what + ": the user declined to provide '" +
                                 std::string(t.category_id) + "'");
  }
  bool allowed = false, explicitly = false;
  std::string denied;
  for (const fb::Purpose* p : *policy().root().purposes()) {
    // Reasons to hand over or keep what is held, not to collect: a legal obligation, and a
    // legitimate interest the user cannot object to (safety and legal claims, a sale of the
    // business, content reporting).
    if (p->legal_basis() == fb::LegalBasis::LegalObligation) continue;
    if (p->legal_basis() == fb::LegalBasis::LegitimateInterest && !p->refusable()) continue;
    std::string_view pid = p->id()->string_view();
    if (!policy().MayUse(t.category_id, pid).allowed) continue;
    if (consent.Allows(pid, t.category_id)) {
      allowed = true;
      if (p->legal_basis() == fb::LegalBasis::Consent) explicitly = true;
    } else {
      if (!denied.empty()) denied += ", ";
      denied += pid;
    }
  }
  if (!allowed) {
    return PermissionDeniedError(what + ": no purpose that uses '" + std::string(t.category_id) +
                                 "' is allowed (not allowed: " + denied + ")");
  }
  if (t.kind == FieldKind::kAudio && !explicitly) {
    return PermissionDeniedError(what + ": raw audio needs explicit consent to a purpose that "
                                        "uses it (not granted: " + denied + ")");
  }
  platform::LocationPrecision granted = consent.location_precision();
  if (t.kind == FieldKind::kPreciseLocation && granted != platform::LocationPrecision::kPrecise) {
    return PermissionDeniedError(what + ": precise location is not granted (granted: " +
                                 platform::LocationPrecisionName(granted) + ")");
  }
  if (t.kind == FieldKind::kApproximateLocation && granted == platform::LocationPrecision::kNone) {
    return PermissionDeniedError(what + ": location is not granted");
  }
  return OkStatus();
}

StatusOr<Bytes> Vault::SealValue(const Target& t, int64_t id, int64_t version,
                                 std::string_view value, Bytes* nonce) {
  // A key is only created for a category that holds nothing: if rows exist but the key is gone,
  // making a new one would silently orphan them.
  StatusOr<crypto::Aead*> key = keys_->DataKey(t.category_id, /*create=*/false);
  if (!key.ok() && key.status().code() == StatusCode::kNotFound) {
    TACET_ASSIGN_OR_RETURN(auto others, deps_.db->Prepare("SELECT count(*) FROM vault_records "
                                                          "WHERE category = ?1 AND id != ?2"));
    TACET_RETURN_IF_ERROR(others.Bind(1, t.category_id));
    TACET_RETURN_IF_ERROR(others.Bind(2, id));
    TACET_ASSIGN_OR_RETURN(bool row, others.Step());
    const int64_t existing = row ? others.ColumnInt64(0) : 0;
    if (existing > 0) {
      return DataLossError("vault: the data key of category '" + std::string(t.category_id) +
                           "' is missing but the category holds " + std::to_string(existing) +
                           " records");
    }
    key = keys_->DataKey(t.category_id, /*create=*/true);
  }
  if (!key.ok()) return key.status();
  nonce->assign(crypto::kAeadNonceSize, 0);
  TACET_RETURN_IF_ERROR(deps_.drbg->Generate(nonce->data(), nonce->size()));
  Bytes ciphertext;
  ciphertext.reserve(value.size() + crypto::kAeadTagSize);
  TACET_RETURN_IF_ERROR((*key)->Seal(*nonce, RecordAad(id, t.category_id, t.field_id, version),
                                     ByteView::FromString(value), &ciphertext));
  return ciphertext;
}

StatusOr<std::string> Vault::OpenValue(std::string_view category, std::string_view field,
                                       int64_t id, int64_t version, ByteView nonce,
                                       ByteView ciphertext) {
  const std::string where = "vault: record " + std::to_string(id) + " (" +
                            FieldName(category, field) + ", version " + std::to_string(version) +
                            ")";
  StatusOr<crypto::Aead*> key = keys_->DataKey(category, /*create=*/false);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kNotFound) {
      return DataLossError(where + ": the category's data key is missing");
    }
    return key.status();
  }
  if (nonce.size() != crypto::kAeadNonceSize) {
    return DataLossError(where + ": malformed nonce");
  }
  Bytes plain;
  plain.reserve(ciphertext.size());
  if (!(*key)->Open(nonce, RecordAad(id, category, field, version), ciphertext, &plain).ok()) {
    return DataLossError(where + " failed authentication");
  }
  std::string value(plain.begin(), plain.end());
  crypto::SecureZero(plain.data(), plain.size());
  return value;
}

StatusOr<int64_t> Vault::Insert(const Target& t, std::string_view value, ChangeSource source) {
  const int64_t now = deps_.clock->NowUnixMillis();
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  // The id is part of the associated data, so the row is made first with empty blobs and filled
  // in inside the same transaction.
  TACET_ASSIGN_OR_RETURN(
      auto insert,
      deps_.db->Prepare("INSERT INTO vault_records(category, field, version, created_unix_ms, "
                        "written_unix_ms, source, nonce, ciphertext) VALUES (?1, ?2, 1, ?3, ?3, "
                        "?4, x'', x'')"));
  TACET_RETURN_IF_ERROR(insert.Bind(1, t.category_id));
  TACET_RETURN_IF_ERROR(insert.Bind(2, t.field_id));
  TACET_RETURN_IF_ERROR(insert.Bind(3, now));
  TACET_RETURN_IF_ERROR(insert.Bind(4, std::string_view(ChangeSourceName(source))));
  TACET_RETURN_IF_ERROR(insert.Step().status());
  const int64_t id = deps_.db->LastInsertRowId();

  Bytes nonce;
  TACET_ASSIGN_OR_RETURN(Bytes ciphertext, SealValue(t, id, 1, value, &nonce));
  TACET_ASSIGN_OR_RETURN(auto fill, deps_.db->Prepare("UPDATE vault_records SET nonce = ?1, "
                                                      "ciphertext = ?2 WHERE id = ?3"));
  TACET_RETURN_IF_ERROR(fill.BindBlob(1, nonce));
  TACET_RETURN_IF_ERROR(fill.BindBlob(2, ciphertext));
  TACET_RETURN_IF_ERROR(fill.Bind(3, id));
  TACET_RETURN_IF_ERROR(fill.Step().status());
  TACET_RETURN_IF_ERROR(txn.Commit());
  return id;
}

StatusOr<int64_t> Vault::Add(std::string_view category, std::string_view field,
                             std::string_view value, ChangeSource source) {
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  TACET_RETURN_IF_ERROR(CheckConsent(t));
  TACET_RETURN_IF_ERROR(ValidateValue(t.category_id, t.field_id, t.kind, value));
  return Insert(t, value, source);
}

StatusOr<int64_t> Vault::Set(std::string_view category, std::string_view field,
                             std::string_view value, ChangeSource source) {
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  TACET_ASSIGN_OR_RETURN(auto newest, deps_.db->Prepare("SELECT id FROM vault_records WHERE "
                                                        "category = ?1 AND field = ?2 ORDER BY "
                                                        "id DESC LIMIT 1"));
  TACET_RETURN_IF_ERROR(newest.Bind(1, t.category_id));
  TACET_RETURN_IF_ERROR(newest.Bind(2, t.field_id));
  TACET_ASSIGN_OR_RETURN(bool row, newest.Step());
  if (!row) return Add(category, field, value, source);
  const int64_t id = newest.ColumnInt64(0);
  TACET_RETURN_IF_ERROR(newest.Reset());
  TACET_RETURN_IF_ERROR(Correct(id, value, source));
  return id;
}

Status Vault::Correct(int64_t id, std::string_view value, ChangeSource source) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(auto read, deps_.db->Prepare("SELECT category, field, version, "
                                                      "written_unix_ms, source, nonce, ciphertext "
                                                      "FROM vault_records WHERE id = ?1"));
  TACET_RETURN_IF_ERROR(read.Bind(1, id));
  TACET_ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return NotFoundError("vault: no record " + std::to_string(id));
  const std::string category = read.ColumnText(0), field = read.ColumnText(1);
  const int64_t version = read.ColumnInt64(2), written = read.ColumnInt64(3);
  const std::string old_source = read.ColumnText(4);
  const Bytes nonce = read.ColumnBlob(5), ciphertext = read.ColumnBlob(6);
  TACET_RETURN_IF_ERROR(read.Reset());

  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  TACET_RETURN_IF_ERROR(CheckConsent(t));
  TACET_RETURN_IF_ERROR(ValidateValue(t.category_id, t.field_id, t.kind, value));
  // The old value moves to the history as it is; make sure it is intact before vouching for it.
  {
    TACET_ASSIGN_OR_RETURN(std::string old_value,
                           OpenValue(category, field, id, version, nonce, ciphertext));
    crypto::SecureZero(old_value.data(), old_value.size());
  }

  const int64_t now = deps_.clock->NowUnixMillis();
  TACET_ASSIGN_OR_RETURN(auto keep, deps_.db->Prepare("INSERT INTO vault_history(record_id, "
                                                      "version, written_unix_ms, "
                                                      "replaced_unix_ms, source, nonce, "
                                                      "ciphertext) VALUES (?1, ?2, ?3, ?4, ?5, "
                                                      "?6, ?7)"));
  TACET_RETURN_IF_ERROR(keep.Bind(1, id));
  TACET_RETURN_IF_ERROR(keep.Bind(2, version));
  TACET_RETURN_IF_ERROR(keep.Bind(3, written));
  TACET_RETURN_IF_ERROR(keep.Bind(4, now));
  TACET_RETURN_IF_ERROR(keep.Bind(5, old_source));
  TACET_RETURN_IF_ERROR(keep.BindBlob(6, nonce));
  TACET_RETURN_IF_ERROR(keep.BindBlob(7, ciphertext));
  TACET_RETURN_IF_ERROR(keep.Step().status());

  Bytes new_nonce;
  TACET_ASSIGN_OR_RETURN(Bytes sealed, SealValue(t, id, version + 1, value, &new_nonce));
  TACET_ASSIGN_OR_RETURN(auto update, deps_.db->Prepare("UPDATE vault_records SET version = ?1, "
                                                        "written_unix_ms = ?2, source = ?3, "
                                                        "nonce = ?4, ciphertext = ?5 WHERE id = "
                                                        "?6"));
  TACET_RETURN_IF_ERROR(update.Bind(1, version + 1));
  TACET_RETURN_IF_ERROR(update.Bind(2, now));
  TACET_RETURN_IF_ERROR(update.Bind(3, std::string_view(ChangeSourceName(source))));
  TACET_RETURN_IF_ERROR(update.BindBlob(4, new_nonce));
  TACET_RETURN_IF_ERROR(update.BindBlob(5, sealed));
  TACET_RETURN_IF_ERROR(update.Bind(6, id));
  TACET_RETURN_IF_ERROR(update.Step().status());

  TACET_RETURN_IF_ERROR(deps_.audit->AppendInTransaction(
      txn, audit::AuditKind::kCorrection, FieldName(category, field),
      "record " + std::to_string(id) + " version " + std::to_string(version) + " -> " +
          std::to_string(version + 1) + " by " + ChangeSourceName(source)));
  return txn.Commit();
}

StatusOr<Record> Vault::Get(int64_t id) {
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("SELECT category, field, version, "
                                                   "created_unix_ms, written_unix_ms, source, "
                                                   "nonce, ciphertext FROM vault_records WHERE id "
                                                   "= ?1"));
  TACET_RETURN_IF_ERROR(q.Bind(1, id));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError("vault: no record " + std::to_string(id));
  Record r;
  r.id = id;
  r.category = q.ColumnText(0);
  r.field = q.ColumnText(1);
  r.version = q.ColumnInt64(2);
  r.created_unix_ms = q.ColumnInt64(3);
  r.written_unix_ms = q.ColumnInt64(4);
  TACET_ASSIGN_OR_RETURN(r.source, ReadSource(q.ColumnText(5), id));
  TACET_ASSIGN_OR_RETURN(r.value, OpenValue(r.category, r.field, id, r.version, q.ColumnBlob(6),
                                            q.ColumnBlob(7)));
  return r;
}

Status Vault::ForEachRecord(const std::function<Status(const Record&)>& fn) {
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("SELECT id, category, field, version, "
                                                   "created_unix_ms, written_unix_ms, source, "
                                                   "nonce, ciphertext FROM vault_records ORDER "
                                                   "BY id"));
  Record r;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    r.id = q.ColumnInt64(0);
    r.category = q.ColumnText(1);
    r.field = q.ColumnText(2);
    r.version = q.ColumnInt64(3);
    r.created_unix_ms = q.ColumnInt64(4);
    r.written_unix_ms = q.ColumnInt64(5);
    TACET_ASSIGN_OR_RETURN(r.source, ReadSource(q.ColumnText(6), r.id));
    TACET_ASSIGN_OR_RETURN(r.value, OpenValue(r.category, r.field, r.id, r.version,
                                              q.ColumnBlob(7), q.ColumnBlob(8)));
    Status s = fn(r);
    crypto::SecureZero(r.value.data(), r.value.size());
    TACET_RETURN_IF_ERROR(s);
  }
  return OkStatus();
}

StatusOr<std::vector<Record>> Vault::List(std::string_view category, std::string_view field) {
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("SELECT id FROM vault_records WHERE category "
                                                   "= ?1 AND field = ?2 ORDER BY id"));
  TACET_RETURN_IF_ERROR(q.Bind(1, t.category_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, t.field_id));
  std::vector<Record> out;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    TACET_ASSIGN_OR_RETURN(Record r, Get(q.ColumnInt64(0)));
    out.push_back(std::move(r));
  }
  return out;
}

Status Vault::ForEachPastVersion(
    const std::function<Status(std::string_view, std::string_view, const HistoryEntry&)>& fn) {
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(
                                     "SELECT h.record_id, h.version, h.written_unix_ms, "
                                     "h.replaced_unix_ms, h.source, h.nonce, h.ciphertext, "
                                     "r.category, r.field FROM vault_history h JOIN "
                                     "vault_records r ON r.id = h.record_id ORDER BY "
                                     "h.record_id, h.version"));
  HistoryEntry e;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    e.record_id = q.ColumnInt64(0);
    e.version = q.ColumnInt64(1);
    e.written_unix_ms = q.ColumnInt64(2);
    e.replaced_unix_ms = q.ColumnInt64(3);
    TACET_ASSIGN_OR_RETURN(e.source, ReadSource(q.ColumnText(4), e.record_id));
    const std::string category = q.ColumnText(7), field = q.ColumnText(8);
    TACET_ASSIGN_OR_RETURN(e.value, OpenValue(category, field, e.record_id, e.version,
                                              q.ColumnBlob(5), q.ColumnBlob(6)));
    Status s = fn(category, field, e);
    crypto::SecureZero(e.value.data(), e.value.size());
    TACET_RETURN_IF_ERROR(s);
  }
  return OkStatus();
}

StatusOr<std::vector<HistoryEntry>> Vault::History(std::string_view category,
                                                   std::string_view field) {
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  // Past versions and current values together, ordered by record then version.
  TACET_ASSIGN_OR_RETURN(
      auto q, deps_.db->Prepare(
                  "SELECT h.record_id, h.version, h.written_unix_ms, h.replaced_unix_ms, "
                  "h.source, h.nonce, h.ciphertext FROM vault_history h JOIN vault_records r ON "
                  "r.id = h.record_id WHERE r.category = ?1 AND r.field = ?2 "
                  "UNION ALL SELECT id, version, written_unix_ms, 0, source, nonce, ciphertext "
                  "FROM vault_records WHERE category = ?1 AND field = ?2 ORDER BY 1, 2"));
  TACET_RETURN_IF_ERROR(q.Bind(1, t.category_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, t.field_id));
  std::vector<HistoryEntry> out;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    HistoryEntry e;
    e.record_id = q.ColumnInt64(0);
    e.version = q.ColumnInt64(1);
    e.written_unix_ms = q.ColumnInt64(2);
    e.replaced_unix_ms = q.ColumnInt64(3);
    TACET_ASSIGN_OR_RETURN(e.source, ReadSource(q.ColumnText(4), e.record_id));
    TACET_ASSIGN_OR_RETURN(e.value, OpenValue(t.category_id, t.field_id, e.record_id, e.version,
                                              q.ColumnBlob(5), q.ColumnBlob(6)));
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<ErasureResult> Vault::Erase(std::string_view category) {
  const fb::Category* c = policy().FindCategory(category);
  if (c == nullptr) {
    return NotFoundError("vault: the policy has no category '" + std::string(category) + "'");
  }
  return EraseCategories({std::string(c->id()->string_view())}, /*everything=*/false);
}

StatusOr<ErasureResult> Vault::EraseAll() {
  std::set<std::string> all;
  for (const fb::Category* c : *policy().root().categories()) {
    all.insert(std::string(c->id()->string_view()));
  }
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("SELECT DISTINCT category FROM vault_records"));
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    all.insert(q.ColumnText(0));
  }
  return EraseCategories(std::vector<std::string>(all.begin(), all.end()), /*everything=*/true);
}

StatusOr<ErasureResult> Vault::EraseCategories(const std::vector<std::string>& categories,
                                               bool everything) {
  ErasureResult result;
  {
    TACET_ASSIGN_OR_RETURN(auto txn,
                           store::Transaction::Begin(*deps_.db, store::Durability::kCritical));
    TACET_ASSIGN_OR_RETURN(auto history, deps_.db->Prepare(
                                             "DELETE FROM vault_history WHERE record_id IN "
                                             "(SELECT id FROM vault_records WHERE category = ?1)"));
    TACET_ASSIGN_OR_RETURN(auto records,
                           deps_.db->Prepare("DELETE FROM vault_records WHERE category = ?1"));
    for (const std::string& category : categories) {
      TACET_RETURN_IF_ERROR(history.Bind(1, category));
      TACET_RETURN_IF_ERROR(history.Step().status());
      result.history_entries += deps_.db->Changes();
      TACET_RETURN_IF_ERROR(history.Reset());
      TACET_RETURN_IF_ERROR(records.Bind(1, category));
      TACET_RETURN_IF_ERROR(records.Step().status());
      result.records += deps_.db->Changes();
      TACET_RETURN_IF_ERROR(records.Reset());
    }
    const std::string subject = everything ? "everything" : "category " + categories.front();
    TACET_RETURN_IF_ERROR(deps_.audit->AppendInTransaction(
        txn, audit::AuditKind::kErasure, subject,
        "records=" + std::to_string(result.records) +
            " history=" + std::to_string(result.history_entries)));
    TACET_RETURN_IF_ERROR(txn.Commit());
  }
  // Crypto-shredding: without its data key, no leftover copy of the ciphertext can be read.
  for (const std::string& category : categories) {
    if (KeyRing::DataKeyName(category).ok()) TACET_RETURN_IF_ERROR(keys_->Destroy(category));
  }
  // secure_delete zeroed the rows in the pages; TRUNCATE copies those pages over the database
  // file and empties the WAL, so no older frame keeps the ciphertext either.
  TACET_RETURN_IF_ERROR(deps_.db->Checkpoint(store::CheckpointMode::kTruncate)
                            .WithContext("vault: erasure committed, but the WAL was not truncated"));
  if (deps_.erasure_listener != nullptr) {
    TACET_RETURN_IF_ERROR(deps_.erasure_listener->OnErased(categories, everything)
                              .WithContext("vault: erasure committed; the erasure listener failed"));
  }
  return result;
}

StatusOr<int64_t> Vault::ExpiresAt(std::string_view category, int64_t written_unix_ms) const {
  const fb::Category* c = policy().FindCategory(category);
  if (c == nullptr) {
    return NotFoundError("vault: the policy has no category '" + std::string(category) + "'");
  }
  return written_unix_ms + static_cast<int64_t>(c->retention_days()) * kMillisPerDay;
}

StatusOr<SweepResult> Vault::Sweep(int64_t now_unix_ms) {
  SweepResult total;
  for (const fb::Category* c : *policy().root().categories()) {
    if (c->retention_days() == 0) continue;  // the validator refuses 0; never purge on it
    const std::string_view id = c->id()->string_view();
    const int64_t cutoff = now_unix_ms - static_cast<int64_t>(c->retention_days()) * kMillisPerDay;
    TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
    // A record's past versions are older than its current one, so an expired record takes its
    // whole history with it; a live record may still lose its oldest versions.
    TACET_ASSIGN_OR_RETURN(auto history, deps_.db->Prepare(
                                             "DELETE FROM vault_history WHERE record_id IN "
                                             "(SELECT id FROM vault_records WHERE category = ?1) "
                                             "AND (written_unix_ms <= ?2 OR record_id IN (SELECT id "
                                             "FROM vault_records WHERE category = ?1 AND "
                                             "written_unix_ms <= ?2))"));
    TACET_RETURN_IF_ERROR(history.Bind(1, id));
    TACET_RETURN_IF_ERROR(history.Bind(2, cutoff));
    TACET_RETURN_IF_ERROR(history.Step().status());
    const int64_t history_purged = deps_.db->Changes();
    TACET_ASSIGN_OR_RETURN(auto records, deps_.db->Prepare("DELETE FROM vault_records WHERE "
                                                           "category = ?1 AND written_unix_ms "
                                                           "<= ?2"));
    TACET_RETURN_IF_ERROR(records.Bind(1, id));
    TACET_RETURN_IF_ERROR(records.Bind(2, cutoff));
    TACET_RETURN_IF_ERROR(records.Step().status());
    const int64_t records_purged = deps_.db->Changes();
    if (records_purged == 0 && history_purged == 0) {
      TACET_RETURN_IF_ERROR(txn.Rollback());
      continue;
    }
    TACET_RETURN_IF_ERROR(deps_.audit->AppendInTransaction(
        txn, audit::AuditKind::kRetentionPurge, "category " + std::string(id),
        "records=" + std::to_string(records_purged) + " history=" +
            std::to_string(history_purged) + " retention_days=" +
            std::to_string(c->retention_days())));
    TACET_RETURN_IF_ERROR(txn.Commit());
    total.records += records_purged;
    total.history_entries += history_purged;
  }
  if (total.records + total.history_entries > 0) {
    TACET_RETURN_IF_ERROR(deps_.db->Checkpoint(store::CheckpointMode::kTruncate));
  }
  return total;
}

}  // namespace tacet::vault
