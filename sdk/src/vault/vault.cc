#include "vault/vault.h"

#include <limits>

#include <cinttypes>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "base/bytes.h"
#include "consent/collection.h"
#include "consent/consent_snapshot.h"
#include "crypto/hmac.h"
#include "crypto/secure.h"
#include "crypto/sha256.h"
#include "store/transaction.h"

namespace tacet::vault {
namespace {

constexpr char kRecordAadLabelV1[] = "tacet-vault-record-v1";
constexpr char kRecordAadLabelV2[] = "tacet-vault-record-v2";
constexpr char kRowDigestLabel[] = "tacet-vault-row-v1";
constexpr char kHeadMacLabel[] = "tacet-vault-head-v1";
constexpr int64_t kMillisPerDay = 86400000;
using Digest = std::array<uint8_t, 32>;

// Fields with one record per entry (see vault.h). Every other field is single-valued.
constexpr const char* kLogLikeFields[] = {
    "listening_history", "search_queries",   "interaction_events", "device_information",
    "purchase_history",  "voice_commands",   "voice_recordings",   "precise_location",
    "approximate_location", "contest_entries", "survey_responses", "form_submissions",
    "follow_graph",      "recently_played_artists", "public_playlists",
};

void AppendLp(Bytes& out, std::string_view s) {
  AppendU32Be(out, static_cast<uint32_t>(s.size()));
  Append(out, ByteView::FromString(s));
}

// The associated data of format 1 (databases written before format 2; read and upgraded only).
Bytes RecordAadV1(int64_t id, std::string_view category, std::string_view field,
                  int64_t version) {
  Bytes aad;
  aad.reserve(64 + category.size() + field.size());
  Append(aad, ByteView::FromString(kRecordAadLabelV1));
  AppendU64Be(aad, static_cast<uint64_t>(id));
  AppendLp(aad, category);
  AppendLp(aad, field);
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

// True when `sql` (a SELECT with at most one parameter, bound to `arg` when given) returns a row.
StatusOr<bool> Exists(store::Database& db, const char* sql, std::string_view arg = {}) {
  TACET_ASSIGN_OR_RETURN(auto q, db.Prepare(sql));
  if (!arg.empty()) TACET_RETURN_IF_ERROR(q.Bind(1, arg));
  return q.Step();
}

StatusOr<bool> HoldsRows(store::Database& db) {
  TACET_ASSIGN_OR_RETURN(bool records, Exists(db, "SELECT 1 FROM vault_records LIMIT 1"));
  if (records) return true;
  return Exists(db, "SELECT 1 FROM vault_history LIMIT 1");
}

// a += b and a -= b modulo 2^256, big-endian.
void AddMod(Digest& a, const Digest& b) {
  unsigned carry = 0;
  for (int i = 31; i >= 0; --i) {
    const unsigned v = unsigned{a[static_cast<size_t>(i)]} + b[static_cast<size_t>(i)] + carry;
    a[static_cast<size_t>(i)] = static_cast<uint8_t>(v & 0xff);
    carry = v >> 8;
  }
}
void SubMod(Digest& a, const Digest& b) {
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int v = int{a[static_cast<size_t>(i)]} - b[static_cast<size_t>(i)] - borrow;
    borrow = v < 0 ? 1 : 0;
    if (v < 0) v += 256;
    a[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  }
}

// Row columns, the same for both tables (see Vault::Row):
//   0 id, 1 category, 2 field, 3 version, 4 created, 5 written, 6 replaced, 7 source, 8 single,
//   9 aad_version, 10 nonce, 11 ciphertext, 12 version_floor (records) / 0, 13 past (0/1)
constexpr char kRecordRows[] =
    "SELECT id, category, field, version, created_unix_ms, written_unix_ms, 0, source, single, "
    "aad_version, nonce, ciphertext, version_floor, 0 FROM vault_records";
constexpr char kHistoryRows[] =
    "SELECT h.record_id, r.category, r.field, h.version, 0, h.written_unix_ms, "
    "h.replaced_unix_ms, h.source, 0, h.aad_version, h.nonce, h.ciphertext, 0, 1 FROM "
    "vault_history h JOIN vault_records r ON r.id = h.record_id";

// Reads a snapshot: BEGIN (deferred) ... ROLLBACK, so several queries see one state of the file.
class ReadSnapshot {
 public:
  explicit ReadSnapshot(store::Database& db) : db_(db) {}
  Status Begin() {
    TACET_RETURN_IF_ERROR(db_.Exec("BEGIN"));
    open_ = true;
    return OkStatus();
  }
  ~ReadSnapshot() {
    if (open_) db_.Exec("ROLLBACK").IgnoreError();
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;

 private:
  store::Database& db_;
  bool open_ = false;
};

}  // namespace

const char* ChangeSourceName(ChangeSource source) {
  return NameOf(kChangeSourceNames, source, "unknown");
}

StatusOr<ChangeSource> ParseChangeSource(std::string_view name) {
  if (const auto source = ParseName(kChangeSourceNames, name)) return *source;
  return InvalidArgumentError("vault: unknown change source '" + std::string(name) +
                              "' (expected user, app, service or import)");
}

bool IsSingleValued(std::string_view field_id) {
  for (const char* f : kLogLikeFields) {
    if (field_id == f) return false;
  }
  return true;
}

Bytes RecordAssociatedData(int64_t id, std::string_view category, std::string_view field,
                           int64_t version, int64_t written_unix_ms, std::string_view source) {
  Bytes aad;
  aad.reserve(80 + category.size() + field.size() + source.size());
  Append(aad, ByteView::FromString(kRecordAadLabelV2));
  AppendU64Be(aad, static_cast<uint64_t>(id));
  AppendLp(aad, category);
  AppendLp(aad, field);
  AppendU64Be(aad, static_cast<uint64_t>(version));
  AppendU64Be(aad, static_cast<uint64_t>(written_unix_ms));
  AppendLp(aad, source);
  return aad;
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
      {2, "vault: associated-data format per row, single-valued records, version floors, "
          "erasure intents, integrity head",
       // aad_version: 1 for rows sealed before format 2 (Vault::Open re-seals them).
       "ALTER TABLE vault_records ADD COLUMN aad_version INTEGER NOT NULL DEFAULT 1;"
       "ALTER TABLE vault_history ADD COLUMN aad_version INTEGER NOT NULL DEFAULT 1;"
       // single = 1: the one record of a single-valued field; the index makes a second impossible.
       "ALTER TABLE vault_records ADD COLUMN single INTEGER NOT NULL DEFAULT 0 "
       "  CHECK (single IN (0, 1));"
       "CREATE UNIQUE INDEX vault_records_single ON vault_records(category, field) "
       "  WHERE single = 1;"
       // The oldest version still held; the history is exactly versions floor .. version - 1.
       "ALTER TABLE vault_records ADD COLUMN version_floor INTEGER NOT NULL DEFAULT 1;"
       "UPDATE vault_records SET version_floor = coalesce((SELECT min(h.version) FROM "
       "  vault_history h WHERE h.record_id = vault_records.id), version);"
       // An erasure committed whose data key is still to be destroyed.
       "CREATE TABLE vault_erasure_intents (category TEXT PRIMARY KEY) STRICT;"
       // The number of rows and the sum of their digests, with a MAC (see vault.h).
       "CREATE TABLE vault_head ("
       "  id INTEGER PRIMARY KEY CHECK (id = 1),"
       "  row_count INTEGER NOT NULL,"
       "  row_sum BLOB NOT NULL,"
       "  mac BLOB NOT NULL"
       ") STRICT;"},
  };
}

struct Vault::Target {
  const policy::Category* category;
  std::string_view category_id;
  std::string_view field_id;
  FieldKind kind;
};

// One version of a record as stored: the current one (vault_records) or a past one
// (vault_history).
struct Vault::Row {
  int64_t id = 0;
  std::string category;
  std::string field;
  int64_t version = 0;
  int64_t created = 0;   // current versions only; 0 for past ones
  int64_t written = 0;
  int64_t replaced = 0;  // past versions only; 0 for the current one
  std::string source;
  bool single = false;   // current versions only
  int64_t format = 2;    // aad_version
  Bytes nonce;
  Bytes ciphertext;
  int64_t floor = 0;     // current versions only (not part of the digest)
  bool past = false;

  // From the column layout of kRecordRows / kHistoryRows.
  void Read(const store::Statement& q) {
    id = q.ColumnInt64(0);
    category = q.ColumnText(1);
    field = q.ColumnText(2);
    version = q.ColumnInt64(3);
    created = q.ColumnInt64(4);
    written = q.ColumnInt64(5);
    replaced = q.ColumnInt64(6);
    source = q.ColumnText(7);
    single = q.ColumnInt64(8) != 0;
    format = q.ColumnInt64(9);
    nonce = q.ColumnBlob(10);
    ciphertext = q.ColumnBlob(11);
    floor = q.ColumnInt64(12);
    past = q.ColumnInt64(13) != 0;
  }
  std::string Where() const {
    return "vault: record " + std::to_string(id) + " (" + FieldName(category, field) +
           ", version " + std::to_string(version) + ")";
  }
};

// The vault's head as loaded in a transaction, with the changes the transaction makes to it.
struct Vault::Head {
  bool present = false;  // a vault_head row exists
  bool usable = false;   // it authenticates (or there is none and no row): kept up to date
  int64_t count = 0;
  Digest sum{};
  void Add(const Digest& d) {
    AddMod(sum, d);
    ++count;
  }
  void Remove(const Digest& d) {
    SubMod(sum, d);
    --count;
  }
};

Digest Vault::RowDigest(const Row& r) const {
  Bytes m;
  m.reserve(160 + r.category.size() + r.field.size());
  Append(m, ByteView::FromString(kRowDigestLabel));
  m.push_back(r.past ? 2 : 1);
  AppendU64Be(m, static_cast<uint64_t>(r.id));
  AppendLp(m, r.category);
  AppendLp(m, r.field);
  AppendU64Be(m, static_cast<uint64_t>(r.version));
  AppendU64Be(m, static_cast<uint64_t>(r.past ? 0 : r.created));
  AppendU64Be(m, static_cast<uint64_t>(r.written));
  AppendU64Be(m, static_cast<uint64_t>(r.past ? r.replaced : 0));
  AppendLp(m, r.source);
  m.push_back(!r.past && r.single ? 1 : 0);
  AppendU32Be(m, static_cast<uint32_t>(r.format));
  AppendU32Be(m, static_cast<uint32_t>(r.nonce.size()));
  Append(m, r.nonce);
  Append(m, crypto::Sha256(r.ciphertext));
  return crypto::HmacSha256(keys_->integrity_key().view(), m);
}

namespace {
Digest HeadMac(ByteView key, int64_t count, const Digest& sum) {
  Bytes m;
  Append(m, ByteView::FromString(kHeadMacLabel));
  AppendU64Be(m, static_cast<uint64_t>(count));
  Append(m, sum);
  return crypto::HmacSha256(key, m);
}
}  // namespace

StatusOr<Vault::Head> Vault::LoadHead() {
  Head head;
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("SELECT row_count, row_sum, mac FROM "
                                                   "vault_head WHERE id = 1"));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) {
    TACET_ASSIGN_OR_RETURN(bool rows, HoldsRows(*deps_.db));
    head.usable = !rows;  // a new vault starts from the empty set; a missing head is never re-made
    return head;
  }
  head.present = true;
  head.count = q.ColumnInt64(0);
  const Bytes sum = q.ColumnBlob(1), mac = q.ColumnBlob(2);
  if (sum.size() != head.sum.size() || head.count < 0) return head;
  std::copy(sum.begin(), sum.end(), head.sum.begin());
  const Digest expected = HeadMac(keys_->integrity_key().view(), head.count, head.sum);
  head.usable = crypto::ConstantTimeEquals(expected, mac);
  return head;
}

Status Vault::StoreHead(const Head& head) {
  if (!head.usable) return OkStatus();
  const Digest mac = HeadMac(keys_->integrity_key().view(), head.count, head.sum);
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("INSERT OR REPLACE INTO vault_head(id, "
                                                   "row_count, row_sum, mac) VALUES (1, ?1, ?2, "
                                                   "?3)"));
  TACET_RETURN_IF_ERROR(q.Bind(1, head.count));
  TACET_RETURN_IF_ERROR(q.BindBlob(2, head.sum));
  TACET_RETURN_IF_ERROR(q.BindBlob(3, mac));
  return q.Step().status();
}

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
  store::Database& db = *deps.db;
  // A KEK is made only for a vault that holds nothing at all.
  TACET_ASSIGN_OR_RETURN(bool rows, HoldsRows(db));
  TACET_ASSIGN_OR_RETURN(bool intents, Exists(db, "SELECT 1 FROM vault_erasure_intents LIMIT 1"));
  TACET_ASSIGN_OR_RETURN(bool head, Exists(db, "SELECT 1 FROM vault_head"));
  TACET_ASSIGN_OR_RETURN(auto keys,
                         KeyRing::Open(*deps.keys, *deps.drbg, !rows && !intents && !head));
  std::unique_ptr<Vault> vault(new Vault(deps, std::move(keys)));
  vault->format1_allowed_ = !head;
  if (db.read_only()) return vault;
  // Nothing below begins a write transaction unless there is something to do, so opening next to
  // a busy writer does not wait for it.
  if (intents) TACET_RETURN_IF_ERROR(vault->FinishErasures(nullptr));
  if (!head && rows) {
    Status upgraded = vault->UpgradeToFormat2();
    // A row that does not authenticate under format 1 leaves the vault as it was: Get names the
    // record and Verify reports the missing head. Anything else (busy, I/O) is the caller's.
    if (!upgraded.ok() && upgraded.code() != StatusCode::kDataLoss) return upgraded;
    TACET_ASSIGN_OR_RETURN(bool now_head, Exists(db, "SELECT 1 FROM vault_head"));
    vault->format1_allowed_ = !now_head;
  }
  return vault;
}

Status Vault::FinishErasures(const std::string* category) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  std::vector<std::string> pending;
  {
    TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(
                                       category == nullptr
                                           ? "SELECT category FROM vault_erasure_intents"
                                           : "SELECT category FROM vault_erasure_intents WHERE "
                                             "category = ?1"));
    if (category != nullptr) TACET_RETURN_IF_ERROR(q.Bind(1, *category));
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      pending.push_back(q.ColumnText(0));
    }
  }
  if (pending.empty()) return txn.Rollback();
  TACET_ASSIGN_OR_RETURN(auto clear, deps_.db->Prepare("DELETE FROM vault_erasure_intents WHERE "
                                                       "category = ?1"));
  for (const std::string& c : pending) {
    // An erasure deletes the category's rows in the transaction that writes its intent, so an
    // intent beside rows was not written by an erasure (someone edited the database): the key
    // stays, the intent stays, and Verify reports it. Nothing is destroyed on its say-so.
    TACET_ASSIGN_OR_RETURN(int64_t held, RowsOfCategory(c, /*except_id=*/0));
    if (held > 0) continue;
    // Crypto-shredding: without its data key, no leftover copy of the ciphertext can be read.
    TACET_RETURN_IF_ERROR(keys_->Destroy(c));
    TACET_RETURN_IF_ERROR(clear.Bind(1, c));
    TACET_RETURN_IF_ERROR(clear.Step().status());
    TACET_RETURN_IF_ERROR(clear.Reset());
  }
  return txn.Commit();
}

StatusOr<Vault::Target> Vault::Resolve(std::string_view category, std::string_view field) const {
  const policy::Category* c = policy().FindCategory(category);
  if (c == nullptr) {
    return NotFoundError("vault: the policy has no category '" + std::string(category) + "'");
  }
  for (const policy::Field& f : c->fields) {
    if (f.id == field) {
      return Target{c, c->id, f.id, KindOfField(field)};
    }
  }
  return NotFoundError("vault: category '" + std::string(category) + "' has no field '" +
                       std::string(field) + "'");
}

Status Vault::CheckConsent(const Target& t) const {
  // One snapshot for the whole decision, and the one rule every collecting module applies
  // (consent::DecideCollection): a legal obligation, or a legitimate interest the user cannot
  // object to, is a reason to hand over or keep what is held (safety and legal claims, a sale of
  // the business, content reporting), never to collect.
  const consent::ConsentSnapshot& snapshot = deps_.consent->snapshot();
  const std::string what = "vault: refusing to store " + FieldName(t.category_id, t.field_id);
  const int category = snapshot.CategoryIndex(t.category_id);
  if (category < 0) {
    return PermissionDeniedError(what + ": the consent ledger's policy has no category '" +
                                 std::string(t.category_id) + "'");
  }
  bool allowed = false, explicitly = false, declined = false;
  std::string denied;
  for (int p = 0; p < snapshot.purpose_count(); ++p) {
    const consent::CollectionDecision d = consent::DecideCollection(snapshot, p, category);
    const policy::Purpose* purpose =
        &snapshot.policy().model().purposes[static_cast<size_t>(p)];
    switch (d.reason) {
      case consent::CollectionReason::kAllowed:
        allowed = true;
        if (purpose->legal_basis == policy::LegalBasis::kConsent) explicitly = true;
        continue;
      case consent::CollectionReason::kUnknownPurpose:
      case consent::CollectionReason::kUnknownCategory:
      case consent::CollectionReason::kNotUsedByPurpose:
      case consent::CollectionReason::kNotACollectionBasis:
        continue;  // not a purpose that could collect the category at all
      case consent::CollectionReason::kCategoryDeclined:
        declined = true;
        break;
      default:
        break;
    }
    if (!denied.empty()) denied += ", ";
    denied += purpose->id;
  }
  if (!allowed && declined) {
    return PermissionDeniedError(what + ": the user declined to provide '" +
                                 std::string(t.category_id) + "'");
  }
  if (!allowed) {
    return PermissionDeniedError(what + ": no purpose that uses '" + std::string(t.category_id) +
                                 "' is allowed (not allowed: " + denied + ")");
  }
  if (t.kind == FieldKind::kAudio && !explicitly) {
    return PermissionDeniedError(what + ": raw audio needs explicit consent to a purpose that "
                                        "uses it (not granted: " + denied + ")");
  }
  platform::LocationPrecision granted = snapshot.location_precision();
  if (t.kind == FieldKind::kPreciseLocation && granted != platform::LocationPrecision::kPrecise) {
    return PermissionDeniedError(what + ": precise location is not granted (granted: " +
                                 platform::LocationPrecisionName(granted) + ")");
  }
  if (t.kind == FieldKind::kApproximateLocation && granted == platform::LocationPrecision::kNone) {
    return PermissionDeniedError(what + ": location is not granted");
  }
  return OkStatus();
}


StatusOr<int64_t> Vault::RowsOfCategory(std::string_view category, int64_t except_id) {
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(
                                     "SELECT (SELECT count(*) FROM vault_records WHERE category = "
                                     "?1 AND id != ?2) + (SELECT count(*) FROM vault_history h "
                                     "JOIN vault_records r ON r.id = h.record_id WHERE "
                                     "r.category = ?1)"));
  TACET_RETURN_IF_ERROR(q.Bind(1, category));
  TACET_RETURN_IF_ERROR(q.Bind(2, except_id));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt64(0) : 0;
}

StatusOr<crypto::Aead*> Vault::DataKeyForWrite(std::string_view category, int64_t id) {
  // An erasure of this category whose process died before destroying the key: finish it first
  // (inside this write transaction, which no other erasure can interleave with), so the new value
  // is sealed under a new key and not under one that is about to be destroyed.
  TACET_ASSIGN_OR_RETURN(bool pending, Exists(*deps_.db, "SELECT 1 FROM vault_erasure_intents "
                                                         "WHERE category = ?1", category));
  if (pending) {
    TACET_ASSIGN_OR_RETURN(int64_t held, RowsOfCategory(category, id));
    if (held > 0) {
      return DataLossError("vault: an erasure intent names category '" + std::string(category) +
                           "', which still holds " + std::to_string(held) +
                           " records: no erasure wrote it; the data key is kept and nothing "
                           "was written");
    }
    TACET_RETURN_IF_ERROR(keys_->Destroy(category));
    TACET_ASSIGN_OR_RETURN(auto clear, deps_.db->Prepare("DELETE FROM vault_erasure_intents "
                                                         "WHERE category = ?1"));
    TACET_RETURN_IF_ERROR(clear.Bind(1, category));
    TACET_RETURN_IF_ERROR(clear.Step().status());
  }
  // Read from the key store again: another process may have erased the category since.
  StatusOr<crypto::Aead*> key = keys_->DataKey(category, /*create=*/false, /*refresh=*/true);
  if (key.ok() || key.status().code() != StatusCode::kNotFound) return key;
  // A key is only created for a category that holds nothing: if rows exist but the key is gone,
  // making a new one would silently orphan them.
  TACET_ASSIGN_OR_RETURN(int64_t existing, RowsOfCategory(category, id));
  if (existing > 0) {
    return DataLossError("vault: the data key of category '" + std::string(category) +
                         "' is missing but the category holds " + std::to_string(existing) +
                         " records and past versions");
  }
  return keys_->DataKey(category, /*create=*/true);
}

StatusOr<std::string> Vault::OpenRow(const Row& row) {
  StatusOr<crypto::Aead*> key = keys_->DataKey(row.category, /*create=*/false);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kNotFound) {
      return DataLossError(row.Where() + ": the category's data key is missing");
    }
    return key.status();
  }
  if (row.nonce.size() != crypto::kAeadNonceSize) {
    return DataLossError(row.Where() + ": malformed nonce");
  }
  Bytes aad;
  if (row.format == 2) {
    aad = RecordAssociatedData(row.id, row.category, row.field, row.version, row.written,
                               row.source);
  } else if (row.format == 1 && format1_allowed_) {
    aad = RecordAadV1(row.id, row.category, row.field, row.version);
  } else if (row.format == 1) {
    return DataLossError(row.Where() + " is marked as sealed under format 1, which this vault "
                                       "no longer holds");
  } else {
    return DataLossError(row.Where() + " has an unknown format " + std::to_string(row.format));
  }
  Bytes plain;
  plain.reserve(row.ciphertext.size());
  if (!(*key)->Open(row.nonce, aad, row.ciphertext, &plain).ok()) {
    return DataLossError(row.Where() + " failed authentication");
  }
  std::string value(plain.begin(), plain.end());
  crypto::SecureZero(plain.data(), plain.size());
  return value;
}

StatusOr<int64_t> Vault::InsertLocked(Head& head, const Target& t, std::string_view value,
                                      ChangeSource source, bool single) {
  Row r;
  r.category = std::string(t.category_id);
  r.field = std::string(t.field_id);
  r.version = 1;
  r.created = r.written = deps_.clock->NowUnixMillis();
  r.source = ChangeSourceName(source);
  r.single = single;
  // The id is part of the associated data, so the row is made first with empty blobs and filled
  // in inside the same transaction.
  TACET_ASSIGN_OR_RETURN(
      auto insert,
      deps_.db->Prepare("INSERT INTO vault_records(category, field, version, created_unix_ms, "
                        "written_unix_ms, source, single, aad_version, version_floor, nonce, "
                        "ciphertext) VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5, 2, 1, x'', x'')"));
  TACET_RETURN_IF_ERROR(insert.Bind(1, t.category_id));
  TACET_RETURN_IF_ERROR(insert.Bind(2, t.field_id));
  TACET_RETURN_IF_ERROR(insert.Bind(3, r.written));
  TACET_RETURN_IF_ERROR(insert.Bind(4, r.source));
  TACET_RETURN_IF_ERROR(insert.Bind(5, int64_t{single ? 1 : 0}));
  TACET_RETURN_IF_ERROR(insert.Step().status());
  r.id = deps_.db->LastInsertRowId();

  TACET_ASSIGN_OR_RETURN(crypto::Aead * key, DataKeyForWrite(t.category_id, r.id));
  r.nonce.assign(crypto::kAeadNonceSize, 0);
  TACET_RETURN_IF_ERROR(deps_.drbg->Generate(r.nonce.data(), r.nonce.size()));
  r.ciphertext.reserve(value.size() + crypto::kAeadTagSize);
  TACET_RETURN_IF_ERROR(key->Seal(
      r.nonce, RecordAssociatedData(r.id, r.category, r.field, 1, r.written, r.source),
      ByteView::FromString(value), &r.ciphertext));
  TACET_ASSIGN_OR_RETURN(auto fill, deps_.db->Prepare("UPDATE vault_records SET nonce = ?1, "
                                                      "ciphertext = ?2 WHERE id = ?3"));
  TACET_RETURN_IF_ERROR(fill.BindBlob(1, r.nonce));
  TACET_RETURN_IF_ERROR(fill.BindBlob(2, r.ciphertext));
  TACET_RETURN_IF_ERROR(fill.Bind(3, r.id));
  TACET_RETURN_IF_ERROR(fill.Step().status());
  head.Add(RowDigest(r));
  return r.id;
}

StatusOr<int64_t> Vault::Add(std::string_view category, std::string_view field,
                             std::string_view value, ChangeSource source) {
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  TACET_RETURN_IF_ERROR(CheckConsent(t));
  TACET_RETURN_IF_ERROR(ValidateValue(t.category_id, t.field_id, t.kind, value));
  const bool single = IsSingleValued(t.field_id);
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  if (single) {
    TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("SELECT id FROM vault_records WHERE "
                                                     "category = ?1 AND field = ?2 AND single "
                                                     "= 1"));
    TACET_RETURN_IF_ERROR(q.Bind(1, t.category_id));
    TACET_RETURN_IF_ERROR(q.Bind(2, t.field_id));
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      return AlreadyExistsError("vault: " + FieldName(t.category_id, t.field_id) +
                                " is single-valued and already has record " +
                                std::to_string(q.ColumnInt64(0)) + " (use Set or Correct)");
    }
  }
  TACET_ASSIGN_OR_RETURN(Head head, LoadHead());
  TACET_ASSIGN_OR_RETURN(int64_t id, InsertLocked(head, t, value, source, single));
  TACET_RETURN_IF_ERROR(StoreHead(head));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return id;
}

StatusOr<int64_t> Vault::Set(std::string_view category, std::string_view field,
                             std::string_view value, ChangeSource source) {
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  if (!IsSingleValued(t.field_id)) return Add(category, field, value, source);
  TACET_RETURN_IF_ERROR(CheckConsent(t));
  TACET_RETURN_IF_ERROR(ValidateValue(t.category_id, t.field_id, t.kind, value));
  // Read and write under one write lock: two processes setting the field at once serialise here,
  // and the second corrects the record the first made.
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare("SELECT id FROM vault_records WHERE category "
                                                   "= ?1 AND field = ?2 AND single = 1"));
  TACET_RETURN_IF_ERROR(q.Bind(1, t.category_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, t.field_id));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  const int64_t existing = row ? q.ColumnInt64(0) : 0;
  TACET_RETURN_IF_ERROR(q.Reset());
  TACET_ASSIGN_OR_RETURN(Head head, LoadHead());
  int64_t id = existing;
  if (row) {
    TACET_RETURN_IF_ERROR(CorrectLocked(txn, head, existing, value, source));
  } else {
    TACET_ASSIGN_OR_RETURN(id, InsertLocked(head, t, value, source, /*single=*/true));
  }
  TACET_RETURN_IF_ERROR(StoreHead(head));
  TACET_RETURN_IF_ERROR(txn.Commit());
  return id;
}

Status Vault::Correct(int64_t id, std::string_view value, ChangeSource source) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(Head head, LoadHead());
  TACET_RETURN_IF_ERROR(CorrectLocked(txn, head, id, value, source));
  TACET_RETURN_IF_ERROR(StoreHead(head));
  return txn.Commit();
}

Status Vault::CorrectLocked(store::Transaction& txn, Head& head, int64_t id,
                            std::string_view value, ChangeSource source) {
  Row old;
  {
    TACET_ASSIGN_OR_RETURN(auto read,
                           deps_.db->Prepare(std::string(kRecordRows) + " WHERE id = ?1"));
    TACET_RETURN_IF_ERROR(read.Bind(1, id));
    TACET_ASSIGN_OR_RETURN(bool row, read.Step());
    if (!row) return NotFoundError("vault: no record " + std::to_string(id));
    old.Read(read);
  }
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(old.category, old.field));
  TACET_RETURN_IF_ERROR(CheckConsent(t));
  TACET_RETURN_IF_ERROR(ValidateValue(t.category_id, t.field_id, t.kind, value));
  // The old value moves to the history as it is; make sure it is intact before vouching for it.
  {
    TACET_ASSIGN_OR_RETURN(std::string old_value, OpenRow(old));
    crypto::SecureZero(old_value.data(), old_value.size());
  }

  const int64_t now = deps_.clock->NowUnixMillis();
  Row past = old;
  past.past = true;
  past.replaced = now;
  past.created = 0;
  past.single = false;
  TACET_ASSIGN_OR_RETURN(auto keep, deps_.db->Prepare("INSERT INTO vault_history(record_id, "
                                                      "version, written_unix_ms, "
                                                      "replaced_unix_ms, source, aad_version, "
                                                      "nonce, ciphertext) VALUES (?1, ?2, ?3, "
                                                      "?4, ?5, ?6, ?7, ?8)"));
  TACET_RETURN_IF_ERROR(keep.Bind(1, id));
  TACET_RETURN_IF_ERROR(keep.Bind(2, past.version));
  TACET_RETURN_IF_ERROR(keep.Bind(3, past.written));
  TACET_RETURN_IF_ERROR(keep.Bind(4, now));
  TACET_RETURN_IF_ERROR(keep.Bind(5, past.source));
  TACET_RETURN_IF_ERROR(keep.Bind(6, past.format));
  TACET_RETURN_IF_ERROR(keep.BindBlob(7, past.nonce));
  TACET_RETURN_IF_ERROR(keep.BindBlob(8, past.ciphertext));
  TACET_RETURN_IF_ERROR(keep.Step().status());

  Row next = old;
  next.version = old.version + 1;
  next.written = now;
  next.source = ChangeSourceName(source);
  next.format = 2;
  next.ciphertext.clear();
  next.nonce.assign(crypto::kAeadNonceSize, 0);
  TACET_ASSIGN_OR_RETURN(crypto::Aead * key, DataKeyForWrite(t.category_id, id));
  TACET_RETURN_IF_ERROR(deps_.drbg->Generate(next.nonce.data(), next.nonce.size()));
  TACET_RETURN_IF_ERROR(key->Seal(next.nonce,
                                  RecordAssociatedData(id, next.category, next.field,
                                                       next.version, next.written, next.source),
                                  ByteView::FromString(value), &next.ciphertext));
  TACET_ASSIGN_OR_RETURN(auto update, deps_.db->Prepare("UPDATE vault_records SET version = ?1, "
                                                        "written_unix_ms = ?2, source = ?3, "
                                                        "aad_version = 2, nonce = ?4, "
                                                        "ciphertext = ?5 WHERE id = ?6"));
  TACET_RETURN_IF_ERROR(update.Bind(1, next.version));
  TACET_RETURN_IF_ERROR(update.Bind(2, now));
  TACET_RETURN_IF_ERROR(update.Bind(3, next.source));
  TACET_RETURN_IF_ERROR(update.BindBlob(4, next.nonce));
  TACET_RETURN_IF_ERROR(update.BindBlob(5, next.ciphertext));
  TACET_RETURN_IF_ERROR(update.Bind(6, id));
  TACET_RETURN_IF_ERROR(update.Step().status());
  head.Remove(RowDigest(old));
  head.Add(RowDigest(past));
  head.Add(RowDigest(next));

  return deps_.audit->AppendInTransaction(
      txn, audit::AuditKind::kCorrection, FieldName(old.category, old.field),
      "record " + std::to_string(id) + " version " + std::to_string(old.version) + " -> " +
          std::to_string(next.version) + " by " + ChangeSourceName(source));
}

StatusOr<Record> Vault::Get(int64_t id) {
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(std::string(kRecordRows) + " WHERE id = ?1"));
  TACET_RETURN_IF_ERROR(q.Bind(1, id));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFoundError("vault: no record " + std::to_string(id));
  Row stored;
  stored.Read(q);
  Record r;
  r.id = id;
  r.category = stored.category;
  r.field = stored.field;
  r.version = stored.version;
  r.created_unix_ms = stored.created;
  r.written_unix_ms = stored.written;
  TACET_ASSIGN_OR_RETURN(r.source, ReadSource(stored.source, id));
  TACET_ASSIGN_OR_RETURN(r.value, OpenRow(stored));
  return r;
}

Status Vault::ForEachRecord(const std::function<Status(const Record&)>& fn) {
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(std::string(kRecordRows) + " ORDER BY id"));
  Row stored;
  Record r;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    stored.Read(q);
    r.id = stored.id;
    r.category = stored.category;
    r.field = stored.field;
    r.version = stored.version;
    r.created_unix_ms = stored.created;
    r.written_unix_ms = stored.written;
    TACET_ASSIGN_OR_RETURN(r.source, ReadSource(stored.source, r.id));
    TACET_ASSIGN_OR_RETURN(r.value, OpenRow(stored));
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
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(std::string(kHistoryRows) +
                                                   " ORDER BY h.record_id, h.version"));
  Row stored;
  HistoryEntry e;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    stored.Read(q);
    e.record_id = stored.id;
    e.version = stored.version;
    e.written_unix_ms = stored.written;
    e.replaced_unix_ms = stored.replaced;
    TACET_ASSIGN_OR_RETURN(e.source, ReadSource(stored.source, e.record_id));
    TACET_ASSIGN_OR_RETURN(e.value, OpenRow(stored));
    Status s = fn(stored.category, stored.field, e);
    crypto::SecureZero(e.value.data(), e.value.size());
    TACET_RETURN_IF_ERROR(s);
  }
  return OkStatus();
}

StatusOr<std::vector<HistoryEntry>> Vault::History(std::string_view category,
                                                   std::string_view field) {
  TACET_ASSIGN_OR_RETURN(Target t, Resolve(category, field));
  // Past versions and current values together, ordered by record then version.
  TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(std::string(kHistoryRows) +
                                                   " WHERE r.category = ?1 AND r.field = ?2 "
                                                   "UNION ALL " + kRecordRows +
                                                   " WHERE category = ?1 AND field = ?2 ORDER "
                                                   "BY 1, 4"));
  TACET_RETURN_IF_ERROR(q.Bind(1, t.category_id));
  TACET_RETURN_IF_ERROR(q.Bind(2, t.field_id));
  std::vector<HistoryEntry> out;
  Row stored;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    stored.Read(q);
    HistoryEntry e;
    e.record_id = stored.id;
    e.version = stored.version;
    e.written_unix_ms = stored.written;
    e.replaced_unix_ms = stored.replaced;
    TACET_ASSIGN_OR_RETURN(e.source, ReadSource(stored.source, e.record_id));
    TACET_ASSIGN_OR_RETURN(e.value, OpenRow(stored));
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<ErasureResult> Vault::Erase(std::string_view category) {
  const policy::Category* c = policy().FindCategory(category);
  if (c == nullptr) {
    return NotFoundError("vault: the policy has no category '" + std::string(category) + "'");
  }
  return EraseCategories({std::string(c->id)}, /*everything=*/false);
}

StatusOr<ErasureResult> Vault::EraseAll() {
  std::set<std::string> all;
  for (const policy::Category& c : policy().model().categories) {
    all.insert(std::string(c.id));
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
    TACET_ASSIGN_OR_RETURN(Head head, LoadHead());
    TACET_ASSIGN_OR_RETURN(auto current, deps_.db->Prepare(std::string(kRecordRows) +
                                                           " WHERE category = ?1"));
    TACET_ASSIGN_OR_RETURN(auto past, deps_.db->Prepare(std::string(kHistoryRows) +
                                                        " WHERE r.category = ?1"));
    TACET_ASSIGN_OR_RETURN(auto history, deps_.db->Prepare(
                                             "DELETE FROM vault_history WHERE record_id IN "
                                             "(SELECT id FROM vault_records WHERE category = ?1)"));
    TACET_ASSIGN_OR_RETURN(auto records,
                           deps_.db->Prepare("DELETE FROM vault_records WHERE category = ?1"));
    TACET_ASSIGN_OR_RETURN(auto intent, deps_.db->Prepare("INSERT OR IGNORE INTO "
                                                          "vault_erasure_intents(category) "
                                                          "VALUES (?1)"));
    Row row;
    for (const std::string& category : categories) {
      // What leaves the head: every row of the category, as it is stored.
      for (store::Statement* q : {&current, &past}) {
        TACET_RETURN_IF_ERROR(q->Bind(1, category));
        while (true) {
          TACET_ASSIGN_OR_RETURN(bool more, q->Step());
          if (!more) break;
          row.Read(*q);
          head.Remove(RowDigest(row));
        }
        TACET_RETURN_IF_ERROR(q->Reset());
      }
      TACET_RETURN_IF_ERROR(history.Bind(1, category));
      TACET_RETURN_IF_ERROR(history.Step().status());
      result.history_entries += deps_.db->Changes();
      TACET_RETURN_IF_ERROR(history.Reset());
      TACET_RETURN_IF_ERROR(records.Bind(1, category));
      TACET_RETURN_IF_ERROR(records.Step().status());
      result.records += deps_.db->Changes();
      TACET_RETURN_IF_ERROR(records.Reset());
      // The journal of the key to destroy, committed with the deletion.
      if (KeyRing::DataKeyName(category).ok()) {
        TACET_RETURN_IF_ERROR(intent.Bind(1, category));
        TACET_RETURN_IF_ERROR(intent.Step().status());
        TACET_RETURN_IF_ERROR(intent.Reset());
      }
    }
    if (everything) {
      // Nothing is left to protect: the head starts again from the empty set, also when it had
      // been damaged (the one way back to a vault that verifies).
      TACET_ASSIGN_OR_RETURN(bool left, HoldsRows(*deps_.db));
      if (!left) head = Head{true, true, 0, {}};
    }
    const std::string subject = everything ? "everything" : "category " + categories.front();
    TACET_RETURN_IF_ERROR(deps_.audit->AppendInTransaction(
        txn, audit::AuditKind::kErasure, subject,
        "records=" + std::to_string(result.records) +
            " history=" + std::to_string(result.history_entries)));
    TACET_RETURN_IF_ERROR(StoreHead(head));
    TACET_RETURN_IF_ERROR(txn.Commit());
  }
  // Crypto-shredding: the keys the intents name are destroyed, then the intents cleared. A crash
  // before this leaves the intents for the next Open (or the next write to the category).
  for (const std::string& category : categories) {
    TACET_RETURN_IF_ERROR(FinishErasures(&category).WithContext(
        "vault: erasure committed, but its data key is not destroyed yet (retried at the next "
        "open)"));
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
  const policy::Category* c = policy().FindCategory(category);
  if (c == nullptr) {
    return NotFoundError("vault: the policy has no category '" + std::string(category) + "'");
  }
  return written_unix_ms + static_cast<int64_t>(c->retention_days) * kMillisPerDay;
}

StatusOr<SweepResult> Vault::Sweep(int64_t now_unix_ms) {
  SweepResult total;
  for (const policy::Category& c : policy().model().categories) {
    if (c.retention_days == 0) continue;  // the validator refuses 0; never purge on it
    const std::string_view id = c.id;
    // Saturating: a platform clock may say anything (the capi_sequence_fuzzer's lying clock said
    // INT64_MIN); a cutoff before every representable time expires nothing.
    int64_t cutoff = 0;
    if (__builtin_sub_overflow(now_unix_ms, static_cast<int64_t>(c.retention_days) * kMillisPerDay,
                               &cutoff)) {
      cutoff = std::numeric_limits<int64_t>::min();
    }
    TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
    TACET_ASSIGN_OR_RETURN(Head head, LoadHead());
    // An expired record goes with its whole history. A live record loses its past versions up to
    // the newest expired one (a prefix, so its history stays contiguous above its new floor).
    TACET_ASSIGN_OR_RETURN(auto expired, deps_.db->Prepare(std::string(kRecordRows) +
                                                           " WHERE category = ?1 AND "
                                                           "written_unix_ms <= ?2 ORDER BY id"));
    TACET_RETURN_IF_ERROR(expired.Bind(1, id));
    TACET_RETURN_IF_ERROR(expired.Bind(2, cutoff));
    TACET_ASSIGN_OR_RETURN(
        auto old_versions,
        deps_.db->Prepare(std::string(kHistoryRows) +
                          " WHERE r.category = ?1 AND (r.written_unix_ms <= ?2 OR h.version <= "
                          "(SELECT max(h2.version) FROM vault_history h2 WHERE h2.record_id = "
                          "h.record_id AND h2.written_unix_ms <= ?2)) ORDER BY h.record_id, "
                          "h.version"));
    TACET_RETURN_IF_ERROR(old_versions.Bind(1, id));
    TACET_RETURN_IF_ERROR(old_versions.Bind(2, cutoff));
    std::vector<int64_t> records;
    std::vector<std::pair<int64_t, int64_t>> versions;  // (record, version)
    std::map<int64_t, int64_t> floors;                   // live record -> new floor
    std::set<int64_t> expired_ids;
    Row row;
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool more, expired.Step());
      if (!more) break;
      row.Read(expired);
      head.Remove(RowDigest(row));
      records.push_back(row.id);
      expired_ids.insert(row.id);
    }
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool more, old_versions.Step());
      if (!more) break;
      row.Read(old_versions);
      head.Remove(RowDigest(row));
      versions.emplace_back(row.id, row.version);
      if (expired_ids.count(row.id) == 0) floors[row.id] = row.version + 1;
    }
    TACET_RETURN_IF_ERROR(expired.Reset());
    TACET_RETURN_IF_ERROR(old_versions.Reset());
    if (records.empty() && versions.empty()) {
      TACET_RETURN_IF_ERROR(txn.Rollback());
      continue;
    }
    TACET_ASSIGN_OR_RETURN(auto drop_version, deps_.db->Prepare("DELETE FROM vault_history WHERE "
                                                                "record_id = ?1 AND version = "
                                                                "?2"));
    for (const auto& [record, version] : versions) {
      TACET_RETURN_IF_ERROR(drop_version.Bind(1, record));
      TACET_RETURN_IF_ERROR(drop_version.Bind(2, version));
      TACET_RETURN_IF_ERROR(drop_version.Step().status());
      TACET_RETURN_IF_ERROR(drop_version.Reset());
    }
    TACET_ASSIGN_OR_RETURN(auto drop_record,
                           deps_.db->Prepare("DELETE FROM vault_records WHERE id = ?1"));
    for (int64_t record : records) {
      TACET_RETURN_IF_ERROR(drop_record.Bind(1, record));
      TACET_RETURN_IF_ERROR(drop_record.Step().status());
      TACET_RETURN_IF_ERROR(drop_record.Reset());
    }
    TACET_ASSIGN_OR_RETURN(auto raise_floor, deps_.db->Prepare("UPDATE vault_records SET "
                                                               "version_floor = max(version_floor, "
                                                               "?2) WHERE id = ?1"));
    for (const auto& [record, floor] : floors) {
      TACET_RETURN_IF_ERROR(raise_floor.Bind(1, record));
      TACET_RETURN_IF_ERROR(raise_floor.Bind(2, floor));
      TACET_RETURN_IF_ERROR(raise_floor.Step().status());
      TACET_RETURN_IF_ERROR(raise_floor.Reset());
    }
    const auto records_purged = static_cast<int64_t>(records.size());
    const auto history_purged = static_cast<int64_t>(versions.size());
    TACET_RETURN_IF_ERROR(deps_.audit->AppendInTransaction(
        txn, audit::AuditKind::kRetentionPurge, "category " + std::string(id),
        "records=" + std::to_string(records_purged) + " history=" +
            std::to_string(history_purged) + " retention_days=" +
            std::to_string(c.retention_days)));
    TACET_RETURN_IF_ERROR(StoreHead(head));
    TACET_RETURN_IF_ERROR(txn.Commit());
    total.records += records_purged;
    total.history_entries += history_purged;
  }
  if (total.records + total.history_entries > 0) {
    TACET_RETURN_IF_ERROR(deps_.db->Checkpoint(store::CheckpointMode::kTruncate));
  }
  return total;
}

Status Vault::UpgradeToFormat2() {
  TACET_ASSIGN_OR_RETURN(auto txn,
                         store::Transaction::Begin(*deps_.db, store::Durability::kCritical));
  // Another process may have upgraded meanwhile. And a vault that already holds format-2 rows but
  // no head lost its head: that is reported by Verify, never re-made.
  TACET_ASSIGN_OR_RETURN(bool head, Exists(*deps_.db, "SELECT 1 FROM vault_head"));
  TACET_ASSIGN_OR_RETURN(bool v2, Exists(*deps_.db, "SELECT 1 FROM vault_records WHERE "
                                                    "aad_version != 1 UNION ALL SELECT 1 FROM "
                                                    "vault_history WHERE aad_version != 1 "
                                                    "LIMIT 1"));
  if (head || v2) return txn.Rollback();

  // Each single-valued field's newest record becomes its one record (Set used to correct the
  // newest; older duplicates left by the old race stay as extra records).
  TACET_ASSIGN_OR_RETURN(auto mark, deps_.db->Prepare(
                                        "UPDATE vault_records SET single = 1 WHERE id = (SELECT "
                                        "max(id) FROM vault_records WHERE category = ?1 AND field "
                                        "= ?2) AND NOT EXISTS (SELECT 1 FROM vault_records WHERE "
                                        "category = ?1 AND field = ?2 AND single = 1)"));
  for (const policy::Category& c : policy().model().categories) {
    for (const policy::Field& f : c.fields) {
      if (!IsSingleValued(f.id)) continue;
      TACET_RETURN_IF_ERROR(mark.Bind(1, c.id));
      TACET_RETURN_IF_ERROR(mark.Bind(2, f.id));
      TACET_RETURN_IF_ERROR(mark.Step().status());
      TACET_RETURN_IF_ERROR(mark.Reset());
    }
  }

  // Re-seal every format-1 row under format 2 (a fresh nonce; the value never leaves memory).
  // A row whose category lost its data key cannot be re-sealed and stays as it is.
  for (bool past : {false, true}) {
    std::vector<std::pair<int64_t, int64_t>> keys;  // (record, version)
    {
      TACET_ASSIGN_OR_RETURN(
          auto q, deps_.db->Prepare(past ? "SELECT record_id, version FROM vault_history ORDER "
                                           "BY 1, 2"
                                         : "SELECT id, version FROM vault_records ORDER BY 1"));
      while (true) {
        TACET_ASSIGN_OR_RETURN(bool more, q.Step());
        if (!more) break;
        keys.emplace_back(q.ColumnInt64(0), q.ColumnInt64(1));
      }
    }
    TACET_ASSIGN_OR_RETURN(
        auto read, deps_.db->Prepare(past ? std::string(kHistoryRows) +
                                                " WHERE h.record_id = ?1 AND h.version = ?2"
                                          : std::string(kRecordRows) +
                                                " WHERE id = ?1 AND version = ?2"));
    TACET_ASSIGN_OR_RETURN(
        auto write,
        deps_.db->Prepare(past ? "UPDATE vault_history SET aad_version = 2, nonce = ?3, "
                                 "ciphertext = ?4 WHERE record_id = ?1 AND version = ?2"
                               : "UPDATE vault_records SET aad_version = 2, nonce = ?3, "
                                 "ciphertext = ?4 WHERE id = ?1 AND version = ?2"));
    Row row;
    for (const auto& [id, version] : keys) {
      TACET_RETURN_IF_ERROR(read.Bind(1, id));
      TACET_RETURN_IF_ERROR(read.Bind(2, version));
      TACET_ASSIGN_OR_RETURN(bool found, read.Step());
      if (found) row.Read(read);
      TACET_RETURN_IF_ERROR(read.Reset());
      if (!found) continue;
      StatusOr<crypto::Aead*> key = keys_->DataKey(row.category, /*create=*/false);
      if (!key.ok() && key.status().code() == StatusCode::kNotFound) continue;
      if (!key.ok()) return key.status();
      TACET_ASSIGN_OR_RETURN(std::string value, OpenRow(row));
      Bytes nonce(crypto::kAeadNonceSize), sealed;
      Status s = deps_.drbg->Generate(nonce.data(), nonce.size());
      if (s.ok()) {
        s = (*key)->Seal(nonce,
                         RecordAssociatedData(row.id, row.category, row.field, row.version,
                                              row.written, row.source),
                         ByteView::FromString(value), &sealed);
      }
      crypto::SecureZero(value.data(), value.size());
      TACET_RETURN_IF_ERROR(s);
      TACET_RETURN_IF_ERROR(write.Bind(1, id));
      TACET_RETURN_IF_ERROR(write.Bind(2, version));
      TACET_RETURN_IF_ERROR(write.BindBlob(3, nonce));
      TACET_RETURN_IF_ERROR(write.BindBlob(4, sealed));
      TACET_RETURN_IF_ERROR(write.Step().status());
      TACET_RETURN_IF_ERROR(write.Reset());
    }
  }

  // The head over every row as it now is.
  Head fresh;
  fresh.present = true;
  fresh.usable = true;
  for (const char* sql : {kRecordRows, kHistoryRows}) {
    TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(sql));
    Row row;
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      row.Read(q);
      fresh.Add(RowDigest(row));
    }
  }
  TACET_RETURN_IF_ERROR(StoreHead(fresh));
  return txn.Commit();
}

namespace {

// What the audit log says about the vault's versions.
struct AuditedVersions {
  struct Correction {
    int64_t version = 0;  // the version the newest correction made
    int64_t seq = 0;      // that entry's number
    std::string field;    // "category.field"
  };
  std::map<int64_t, Correction> corrected;      // by record id
  std::map<std::string, int64_t> last_removal;  // category -> seq of its last erasure or purge
  int64_t last_erase_all = 0;

  // The seq of the last entry that may have deleted a record of `category`.
  int64_t RemovedSince(const std::string& category) const {
    auto it = last_removal.find(category);
    const int64_t one = it == last_removal.end() ? 0 : it->second;
    return one > last_erase_all ? one : last_erase_all;
  }
};

StatusOr<AuditedVersions> ReadAudit(audit::AuditLog& log) {
  AuditedVersions out;
  TACET_RETURN_IF_ERROR(log.ForEach([&out](const audit::AuditEntry& e) -> Status {
    switch (e.kind) {
      case audit::AuditKind::kCorrection: {
        long long id = 0, from = 0, to = 0;  // NOLINT(runtime/int): sscanf's %lld
        if (std::sscanf(e.detail.c_str(), "record %lld version %lld -> %lld", &id, &from, &to) !=
            3) {
          return DataLossError("vault: audit entry " + std::to_string(e.seq) +
                               " is a correction that names no record version");
        }
        AuditedVersions::Correction& c = out.corrected[id];
        c.version = to;
        c.seq = e.seq;
        c.field = e.subject;
        break;
      }
      case audit::AuditKind::kErasure:
        if (e.subject == "everything") {
          out.last_erase_all = e.seq;
        } else if (e.subject.rfind("category ", 0) == 0) {
          out.last_removal[e.subject.substr(9)] = e.seq;
        }
        break;
      case audit::AuditKind::kRetentionPurge:
        // Only a purge that deleted records can explain a missing record.
        if (e.subject.rfind("category ", 0) == 0 && e.detail.rfind("records=0 ", 0) != 0) {
          out.last_removal[e.subject.substr(9)] = e.seq;
        }
        break;
      default:
        break;
    }
    return OkStatus();
  }));
  return out;
}

}  // namespace

Status Vault::Verify() {
  // The audit log is the witness of the cross-check below: it must hold together first.
  TACET_RETURN_IF_ERROR(deps_.audit->Verify());
  ReadSnapshot snapshot(*deps_.db);
  TACET_RETURN_IF_ERROR(snapshot.Begin());
  {
    // An erasure intent beside rows of its category was not written by an erasure.
    TACET_ASSIGN_OR_RETURN(auto intents,
                           deps_.db->Prepare("SELECT category FROM vault_erasure_intents"));
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool more, intents.Step());
      if (!more) break;
      const std::string category = intents.ColumnText(0);
      TACET_ASSIGN_OR_RETURN(int64_t held, RowsOfCategory(category, 0));
      if (held > 0) {
        return DataLossError("vault: an erasure intent names category '" + category +
                             "', which still holds " + std::to_string(held) +
                             " records: it was not written by an erasure");
      }
    }
  }
  TACET_ASSIGN_OR_RETURN(Head head, LoadHead());
  TACET_ASSIGN_OR_RETURN(AuditedVersions audited, ReadAudit(*deps_.audit));

  struct Seen {
    int64_t version;
    int64_t next;  // the next past version expected (starts at the floor)
    std::string field;
  };
  std::map<int64_t, Seen> records;
  Head rows;  // recomputed from the rows
  Row row;
  {
    TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(std::string(kRecordRows) + " ORDER BY id"));
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      row.Read(q);
      TACET_ASSIGN_OR_RETURN(std::string value, OpenRow(row));
      crypto::SecureZero(value.data(), value.size());
      if (row.floor < 1 || row.floor > row.version) {
        return DataLossError(row.Where() + ": its oldest version held (" +
                             std::to_string(row.floor) + ") is out of range");
      }
      rows.Add(RowDigest(row));
      records[row.id] = Seen{row.version, row.floor, FieldName(row.category, row.field)};
    }
  }
  {
    TACET_ASSIGN_OR_RETURN(auto q, deps_.db->Prepare(std::string(kHistoryRows) +
                                                     " ORDER BY h.record_id, h.version"));
    while (true) {
      TACET_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      row.Read(q);
      Seen& seen = records[row.id];  // present: the join only returns rows of existing records
      if (row.version != seen.next) {
        const std::string where = "vault: record " + std::to_string(row.id) + " (" +
                                  seen.field + ")";
        if (row.version > seen.next) {
          return DataLossError(where + ": past version " + std::to_string(seen.next) +
                               " is missing from its history");
        }
        return DataLossError(where + ": past version " + std::to_string(row.version) +
                             " is not expected in its history (oldest held " +
                             std::to_string(seen.next) + ", current " +
                             std::to_string(seen.version) + ")");
      }
      if (row.version >= seen.version) {
        return DataLossError(row.Where() + " is in the history but the record is at version " +
                             std::to_string(seen.version));
      }
      TACET_ASSIGN_OR_RETURN(std::string value, OpenRow(row));
      crypto::SecureZero(value.data(), value.size());
      rows.Add(RowDigest(row));
      ++seen.next;
    }
  }
  for (const auto& [id, seen] : records) {
    if (seen.next != seen.version) {
      return DataLossError("vault: record " + std::to_string(id) + " (" + seen.field +
                           "): past version " + std::to_string(seen.next) +
                           " is missing from its history");
    }
  }

  // The versions against the audit log: every correction is audited in its own transaction, so a
  // record is at the version its last audited correction made (1 when there is none), and a
  // record the log corrected is gone only after an erasure or purge of its category.
  for (const auto& [id, seen] : records) {
    auto it = audited.corrected.find(id);
    const int64_t expected = it == audited.corrected.end() ? 1 : it->second.version;
    if (seen.version != expected) {
      return DataLossError(
          "vault: record " + std::to_string(id) + " (" + seen.field + ") is at version " +
          std::to_string(seen.version) + " but the audit log " +
          (it == audited.corrected.end()
               ? std::string("records no correction of it")
               : "took it to version " + std::to_string(expected) + " (entry " +
                     std::to_string(it->second.seq) + ")"));
    }
  }
  for (const auto& [id, c] : audited.corrected) {
    if (records.count(id) != 0) continue;
    const std::string category = c.field.substr(0, c.field.find('.'));
    if (audited.RemovedSince(category) > c.seq) continue;
    return DataLossError("vault: record " + std::to_string(id) + " (" + c.field +
                         ") is missing, but the audit log corrected it (entry " +
                         std::to_string(c.seq) + ") and records no erasure or purge of '" +
                         category + "' since");
  }

  // The rows as a whole against the head.
  if (!head.present) {
    if (rows.count == 0) return OkStatus();
    return DataLossError("vault: the vault holds " + std::to_string(rows.count) +
                         " record versions but has no integrity head (deleted, or a vault "
                         "written before format 2 that was never opened read-write)");
  }
  if (!head.usable) {
    return DataLossError("vault: the integrity head does not authenticate (edited, or made under "
                         "another key-encryption key)");
  }
  if (head.count != rows.count || !crypto::ConstantTimeEquals(head.sum, rows.sum)) {
    return DataLossError("vault: the records and past versions (" + std::to_string(rows.count) +
                         ") do not match the integrity head (" + std::to_string(head.count) +
                         "): a record or past version was deleted, added or replaced outside "
                         "the vault");
  }
  return OkStatus();
}

}  // namespace tacet::vault
