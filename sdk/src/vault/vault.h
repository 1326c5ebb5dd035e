// tacet::vault::Vault: the user's personal data on the device, encrypted at rest, every change
// kept, erasable per category, purged when its retention period ends. See docs/vault.md.
//
//   TACET_ASSIGN_OR_RETURN(auto vault, Vault::Open(deps));
//   TACET_ASSIGN_OR_RETURN(int64_t id, vault->Set("contact", "email_address", "a@b.example",
//                                                ChangeSource::kUser));
//   TACET_ASSIGN_OR_RETURN(auto trail, vault->History("contact", "email_address"));
//
// Records. A record is one value of one policy field (category and field ids come from the
// policy). A field is single-valued or log-like (IsSingleValued): log-like fields — listening
// history, search queries, interaction events, device information, purchases, voice commands and
// recordings, precise and approximate location, contest entries, surveys, form submissions, the
// follow graph, recently played artists, public playlists — get one record per entry (Add, or Set,
// which adds an entry for them). Every other field (a name, an e-mail address, a plan, a payment
// token, ...) holds one value: Set corrects the field's record if there is one, else adds it, in
// one BEGIN IMMEDIATE transaction; the record carries `single = 1` and a partial UNIQUE index on
// (category, field) WHERE single = 1 makes a second one impossible, so two processes setting the
// field at once leave one record whose history holds the other value. Add on a single-valued field
// that already has its record is kAlreadyExists (use Set or Correct).
//
// Encryption. Each value is sealed with AES-256-GCM (NIST SP 800-38D) under its category's data
// key (key_ring.h) with a fresh random 96-bit nonce from the Drbg, and associated data (format 2)
//   "tacet-vault-record-v2" || u64be(record id) || u32be(len) || category || u32be(len) || field
//   || u64be(version) || u64be(written_unix_ms) || u32be(len) || source name
// so a ciphertext moved to another record, field, category or version, or a row whose written time
// or source was changed, fails to open (kDataLoss). Databases written before format 2 hold format-1
// values (the same without the last two items, label "...-v1"); the first read-write Open re-seals
// every one of them under format 2 in one transaction, and from then on (the vault has a head, see
// Integrity) a format-1 row is refused. No value is ever bound to SQL in clear: the database, its
// WAL and its journal hold only ciphertext, ids, field names, times and sources.
//
// History. A correction moves the previous ciphertext, unchanged (its associated data already
// names its version, written time and source), into vault_history with the time it was replaced,
// then seals the new value under version + 1 — in one transaction with the audit entry, so a
// correction is either complete or absent. Each record keeps `version_floor`, its oldest version
// still held (raised only by a retention purge), so its history is exactly versions
// floor .. version - 1.
//
// Integrity. Every row (current version or past version) has a digest HMAC-SHA-256(integrity key,
// its id, category, field, version, times, source, single flag, nonce and SHA-256 of its
// ciphertext); `vault_head` keeps the number of rows and their digests' sum modulo 2^256, with an
// HMAC (integrity key derived from the KEK, key_ring.h). Every write, correction, erasure and
// purge updates the head in its own transaction. Verify() checks every row against it, each
// record's versions for gaps, and the versions against the audit log's corrections. A head that
// does not authenticate, or that is missing while the vault holds rows, is never re-made: writes
// go on (the user's data comes first) and Verify reports it until EraseAll empties the vault.
// See docs/vault.md for exactly what is and is not detected.
//
// Keys. A data key is destroyed only by an erasure: the erasure's transaction records an intent
// per category (vault_erasure_intents) with the deleted rows and the audit entry; after the commit
// the key is destroyed and the intent cleared; Open (and the next write to the category) finishes
// an intent a crash left behind. Nothing else deletes a data key — in particular a category without
// rows keeps its key (a key made for a first write whose transaction then failed stays, unused
// until the next write of the category, which uses it). The KEK is made only for a vault that holds
// nothing at all; a vault with data whose KEK is missing is kDataLoss.
//
// Consent. A write is refused (kPermissionDenied, saying why) when no purpose that uses the
// category may collect it (consent::DecideCollection, the rule the capture gates apply too) —
// purposes whose legal basis is a legal obligation, or a legitimate interest the user cannot
// object to, do not count: an obligation or interest in handing over or keeping what one holds is
// no reason to collect it (GDPR Art. 5(1)(c)). Raw voice
// audio additionally needs a consent-based purpose that uses the category (explicit consent,
// GDPR Art. 9(2)(a)); a location field needs the location precision it carries to be granted.
//
// Thread-safety: a Vault is used by one thread at a time, serialised with every other user of
// its Database (the agent's storage thread).
#ifndef TACET_VAULT_VAULT_H_
#define TACET_VAULT_VAULT_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "base/enum_names.h"
#include "base/status.h"
#include "crypto/drbg.h"
#include "policy/policy.h"
#include "store/database.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/key_store.h"
#include "tacet/platform/permissions.h"
#include "vault/field_rules.h"
#include "vault/key_ring.h"

namespace tacet::consent {
class ConsentSnapshot;
}  // namespace tacet::consent

namespace tacet::vault {

// Who wrote a value. Stored by name (ChangeSourceName).
enum class ChangeSource : uint8_t { kUser, kApp, kService, kImport };
inline constexpr EnumName<ChangeSource> kChangeSourceNames[] = {
    {ChangeSource::kUser, "user"},
    {ChangeSource::kApp, "app"},
    {ChangeSource::kService, "service"},
    {ChangeSource::kImport, "import"},
};
static_assert(EnumNamesAreUnique(kChangeSourceNames));
// "user", "app", "service", "import" ("unknown" out of range). Static storage.
const char* ChangeSourceName(ChangeSource source);
// The inverse; kInvalidArgument for anything else.
StatusOr<ChangeSource> ParseChangeSource(std::string_view name);

// What the vault needs to know about the user's choices. Implemented over the consent ledger's
// snapshot (ConsentSnapshot::Allows, ::category, ::location_precision); see consent_view.h.
// Implementations must answer without blocking; they are called on the vault's thread.
class ConsentView {
 public:
  virtual ~ConsentView() = default;
  // The ledger's combined answer: the purpose is granted (or not refusable), its required
  // purposes are allowed, the policy lets it use the category and the category is provided.
  virtual bool Allows(std::string_view purpose_id, std::string_view category_id) = 0;
  // For an optional category: true when the user declined to provide it.
  virtual bool CategoryDeclined(std::string_view category_id) = 0;
  // The most precise location the user allows.
  virtual platform::LocationPrecision location_precision() = 0;
  // The ledger's current snapshot: the vault decides a write with consent::DecideCollection over
  // it (one snapshot per decision). Must stay valid for the duration of the call that asked.
  virtual const consent::ConsentSnapshot& snapshot() = 0;
};

// Told after an erasure has committed. The sync module's outbox implements it: drop queued
// payloads carrying the erased categories and queue a deletion request for the backend (as
// Glean sends a deletion-request ping when collection is turned off). Called on the thread that
// called Erase/EraseAll, after the data is gone; must not block long and must not call back into
// the vault. Its Status is returned to the Erase caller (the local erasure stands either way).
class ErasureListener {
 public:
  virtual ~ErasureListener() = default;
  // `categories`: the policy category ids erased; `everything`: EraseAll rather than per category.
  virtual Status OnErased(const std::vector<std::string>& categories, bool everything) = 0;
};

struct Record {
  int64_t id = 0;
  std::string category;
  std::string field;
  int64_t version = 1;               // 1 when written, +1 per correction
  std::string value;                 // the plaintext; owned by the caller
  int64_t created_unix_ms = 0;       // when the record was first written
  int64_t written_unix_ms = 0;       // when this version was written (retention counts from it)
  ChangeSource source = ChangeSource::kApp;  // who wrote this version
};

// One version of a record: a past one (replaced_unix_ms > 0) or the current one.
struct HistoryEntry {
  int64_t record_id = 0;
  int64_t version = 0;
  std::string value;
  int64_t written_unix_ms = 0;
  int64_t replaced_unix_ms = 0;  // 0 for the current version
  ChangeSource source = ChangeSource::kApp;
};

struct ErasureResult {
  int64_t records = 0;          // records deleted
  int64_t history_entries = 0;  // past versions deleted
};

struct SweepResult {
  int64_t records = 0;
  int64_t history_entries = 0;
};

// What the vault runs on. Non-owning: everything must outlive the Vault.
struct VaultDeps {
  store::Database* db = nullptr;          // opened with VaultMigrations() and AuditMigrations()
  std::shared_ptr<const policy::Policy> policy;
  ConsentView* consent = nullptr;
  platform::KeyStore* keys = nullptr;
  platform::Clock* clock = nullptr;
  crypto::Drbg* drbg = nullptr;
  audit::AuditLog* audit = nullptr;
  ErasureListener* erasure_listener = nullptr;  // optional
};

// The vault's tables, versions numbered from 1 within the module.
std::vector<store::Migration> VaultMigrations();

// Whether Set keeps one value for `field_id` (see "Records" above); false for log-like fields.
bool IsSingleValued(std::string_view field_id);

// The associated data of a record version under format 2 (see "Encryption" above), exposed for
// the known-answer test and outside verifiers.
Bytes RecordAssociatedData(int64_t id, std::string_view category, std::string_view field,
                           int64_t version, int64_t written_unix_ms, std::string_view source);

class Vault {
 public:
  // Checks `deps` (kInvalidArgument naming a missing one) and opens the key ring (creating the
  // KEK only when the vault holds nothing: no record, past version, pending erasure or head;
  // kDataLoss when it holds data and the KEK is missing). On a read-write database it then
  // finishes any erasure a crash interrupted (destroys the keys its intents name, clears them) and
  // upgrades a vault written before format 2 (re-seals every row, marks each single-valued
  // field's newest record, makes the head) in one transaction. Deletes no other key, ever.
  static StatusOr<std::unique_ptr<Vault>> Open(const VaultDeps& deps);
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;

  // Adds a new record to `category`.`field`. Errors: kNotFound for a category or field the policy
  // does not have; kInvalidArgument (naming the field) for a value that fails validation;
  // kPermissionDenied (with the reason) when consent does not allow storing it; kAlreadyExists
  // for a single-valued field that already has its record. On any error nothing is written.
  // Returns the record id.
  StatusOr<int64_t> Add(std::string_view category, std::string_view field, std::string_view value,
                        ChangeSource source);
  // A single-valued field: writes its one value, correcting its record (kept in history) if there
  // is one, else adding it — read and write in one BEGIN IMMEDIATE transaction. A log-like field:
  // adds an entry, as Add. Returns the record id.
  StatusOr<int64_t> Set(std::string_view category, std::string_view field, std::string_view value,
                        ChangeSource source);
  // Replaces record `id`'s value, keeping the old one in its history; audited as a correction.
  // Same errors as Add, plus kNotFound for an unknown id and kDataLoss when the stored value does
  // not authenticate. Atomic with its audit entry.
  Status Correct(int64_t id, std::string_view value, ChangeSource source);

  // Decrypts record `id`. kNotFound, or kDataLoss naming the record when it does not authenticate.
  StatusOr<Record> Get(int64_t id);
  // The current records of `category`.`field`, oldest first.
  StatusOr<std::vector<Record>> List(std::string_view category, std::string_view field);
  // Every version of every record of `category`.`field`, by record then version; the last entry
  // of each record is its current value.
  StatusOr<std::vector<HistoryEntry>> History(std::string_view category, std::string_view field);

  // Streams every record (by id), decrypting one at a time; stops at and returns the first error.
  Status ForEachRecord(const std::function<Status(const Record&)>& fn);
  // Streams every past version (by record, version).
  Status ForEachPastVersion(
      const std::function<Status(std::string_view category, std::string_view field,
                                 const HistoryEntry&)>& fn);

  // Erases `category`: rows deleted (secure_delete zeroes them), audit entry, erasure intent and
  // head, all in one critical transaction; then the wrapped data key is destroyed and the intent
  // cleared, the WAL checkpointed with TRUNCATE and the erasure listener told. kNotFound for a
  // category the policy does not have.
  StatusOr<ErasureResult> Erase(std::string_view category);
  // Erases every category of the policy (and any row of a category it no longer has).
  StatusOr<ErasureResult> EraseAll();

  // Deletes every value older than its category's retention_days (counted from when the value was
  // written, `now_unix_ms` minus the period), records and past versions alike, with one audit
  // entry per category that lost something. Then checkpoints with TRUNCATE if anything went.
  StatusOr<SweepResult> Sweep(int64_t now_unix_ms);

  // When a value written at `written_unix_ms` in `category` expires (for the export and report).
  // kNotFound for an unknown category.
  StatusOr<int64_t> ExpiresAt(std::string_view category, int64_t written_unix_ms) const;

  // Checks the whole vault, reading a consistent snapshot: every row decrypts under its
  // associated data; each record's history is exactly versions floor .. version - 1; each record's
  // version is the one the audit log's last correction of it names (1 when none), and a record the
  // log corrected is missing only after an erasure or a purge of its category; the rows' count and
  // digest sum match the head, whose MAC authenticates. OK, or kDataLoss naming the first record,
  // version or field that does not fit (never a value). Writes nothing.
  Status Verify();

  const policy::Policy& policy() const { return *deps_.policy; }

 private:
  explicit Vault(const VaultDeps& deps, std::unique_ptr<KeyRing> keys)
      : deps_(deps), keys_(std::move(keys)) {}

  struct Target;
  struct Row;
  struct Head;
  StatusOr<Target> Resolve(std::string_view category, std::string_view field) const;
  Status CheckConsent(const Target& target) const;
  // The data key a write in the open transaction seals under (see "Keys" above).
  // Records of `category` other than `except_id`, plus every past version of the category (a
  // record being written for the first time has none).
  StatusOr<int64_t> RowsOfCategory(std::string_view category, int64_t except_id);
  StatusOr<crypto::Aead*> DataKeyForWrite(std::string_view category, int64_t id);
  StatusOr<std::string> OpenRow(const Row& row);
  std::array<uint8_t, 32> RowDigest(const Row& row) const;
  StatusOr<Head> LoadHead();
  Status StoreHead(const Head& head);
  // Inside the caller's open write transaction.
  StatusOr<int64_t> InsertLocked(Head& head, const Target& target, std::string_view value,
                                 ChangeSource source, bool single);
  Status CorrectLocked(store::Transaction& txn, Head& head, int64_t id, std::string_view value,
                       ChangeSource source);
  StatusOr<ErasureResult> EraseCategories(const std::vector<std::string>& categories,
                                          bool everything);
  // Destroys the keys of the pending erasure intents (all, or only `category`'s) and clears them,
  // in a transaction of its own.
  Status FinishErasures(const std::string* category);
  Status UpgradeToFormat2();

  VaultDeps deps_;
  std::unique_ptr<KeyRing> keys_;
  bool format1_allowed_ = false;  // no head when opened: a vault not yet upgraded
};

}  // namespace tacet::vault

#endif  // TACET_VAULT_VAULT_H_
