// tacet::vault::Vault: the user's personal data on the device, encrypted at rest, every change
// kept, erasable per category, purged when its retention period ends. See docs/vault.md.
//
//   TACET_ASSIGN_OR_RETURN(auto vault, Vault::Open(deps));
//   TACET_ASSIGN_OR_RETURN(int64_t id, vault->Set("contact", "email_address", "a@b.example",
//                                                ChangeSource::kUser));
//   TACET_ASSIGN_OR_RETURN(auto trail, vault->History("contact", "email_address"));
//
// Records. A record is one value of one policy field (category and field ids come from the
// policy). Single-valued fields (a name, an e-mail address) are written with Set, which corrects
// the field's record if there is one; log-like fields (listening history, location history,
// voice commands) get one record per entry with Add.
//
// Encryption. Each value is sealed with AES-256-GCM (NIST SP 800-38D) under its category's data
// key (key_ring.h) with a fresh random 96-bit nonce from the Drbg, and associated data
//   "tacet-vault-record-v1" || u64be(record id) || u32be(len) || category || u32be(len) || field
//   || u64be(version)
// so a ciphertext moved to another record, field, category or version fails to open (kDataLoss).
// No value is ever bound to SQL in clear: the database, its WAL and its journal hold only
// ciphertext, ids, field names, times and sources.
//
// History. A correction moves the previous ciphertext, unchanged (its associated data already
// names its version), into vault_history with the time it was written, the time it was replaced
// and the source that wrote it, then seals the new value under version + 1 — in one transaction
// with the audit entry, so a correction is either complete or absent.
//
// Consent. A write is refused (kPermissionDenied, saying why) when no purpose that uses the
// category is allowed — purposes whose legal basis is a legal obligation, or a legitimate interest
// the user cannot object to, do not count: an obligation or interest in handing over or keeping
// what one holds is no reason to collect it (GDPR Art. 5(1)(c)). Raw voice
// audio additionally needs a consent-based purpose that uses the category (explicit consent,
// GDPR Art. 9(2)(a)); a location field needs the location precision it carries to be granted.
//
// Thread-safety: a Vault is used by one thread at a time, serialised with every other user of
// its Database (the agent's storage thread).
#ifndef TACET_VAULT_VAULT_H_
#define TACET_VAULT_VAULT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_log.h"
#include "base/status.h"
#include "crypto/drbg.h"
#include "policy/policy.h"
#include "store/database.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/key_store.h"
#include "tacet/platform/permissions.h"
#include "vault/field_rules.h"
#include "vault/key_ring.h"

namespace tacet::vault {

// Who wrote a value. Stored by name (ChangeSourceName).
enum class ChangeSource : uint8_t { kUser, kApp, kService, kImport };
// "user", "app", "service", "import". Static storage.
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

class Vault {
 public:
  // Checks `deps` (kInvalidArgument naming a missing one), opens the key ring (creating the KEK on
  // first use) and destroys any data key left behind by an erasure that was interrupted after its
  // rows were deleted.
  static StatusOr<std::unique_ptr<Vault>> Open(const VaultDeps& deps);
  Vault(const Vault&) = delete;
  Vault& operator=(const Vault&) = delete;

  // Adds a new record to `category`.`field`. Errors: kNotFound for a category or field the policy
  // does not have; kInvalidArgument (naming the field) for a value that fails validation;
  // kPermissionDenied (with the reason) when consent does not allow storing it. On any error
  // nothing is written. Returns the record id.
  StatusOr<int64_t> Add(std::string_view category, std::string_view field, std::string_view value,
                        ChangeSource source);
  // Writes the field's single value: corrects its newest record if there is one, else adds one.
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

  // Erases `category`: rows deleted (secure_delete zeroes them), audit entry, all in one critical
  // transaction; then the wrapped data key is destroyed, the WAL checkpointed with TRUNCATE and
  // the erasure listener told. kNotFound for a category the policy does not have.
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

  const policy::Policy& policy() const { return *deps_.policy; }

 private:
  explicit Vault(const VaultDeps& deps, std::unique_ptr<KeyRing> keys)
      : deps_(deps), keys_(std::move(keys)) {}

  struct Target;
  StatusOr<Target> Resolve(std::string_view category, std::string_view field) const;
  Status CheckConsent(const Target& target) const;
  StatusOr<Bytes> SealValue(const Target& target, int64_t id, int64_t version,
                            std::string_view value, Bytes* nonce);
  StatusOr<std::string> OpenValue(std::string_view category, std::string_view field, int64_t id,
                                  int64_t version, ByteView nonce, ByteView ciphertext);
  StatusOr<int64_t> Insert(const Target& target, std::string_view value, ChangeSource source);
  StatusOr<ErasureResult> EraseCategories(const std::vector<std::string>& categories,
                                          bool everything);
  Status DestroyOrphanKeys();

  VaultDeps deps_;
  std::unique_ptr<KeyRing> keys_;
};

}  // namespace tacet::vault

#endif  // TACET_VAULT_VAULT_H_
