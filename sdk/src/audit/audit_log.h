// tacet::audit::AuditLog: a tamper-evident, append-only record of what Tacet did with the user's
// data — corrections, exports, erasures, retention purges and disclosures.
//
// Chain. Entry n carries hash_n = SHA-256(hash_{n-1} || Encode(entry n)) with hash_0 = 32 zero
// bytes and Encode the length-prefixed canonical encoding documented in audit_log.cc (FIPS 180-4
// SHA-256). Entries are numbered 1, 2, 3, ... without gaps, and the number is part of the hash, so
// an edited, removed, reordered or inserted row breaks the chain at a row Verify() names.
//
// Anchor. A hash chain alone cannot show that its tail was cut off (or that the whole chain was
// recomputed by someone who can write the database). The newest (seq, hash) is therefore kept in
// `audit_head` with an HMAC-SHA-256 (RFC 2104) under a key held in the platform KeyStore
// ("audit_head_mac"): whoever can write the SQLite file but not the key store cannot truncate or
// rewrite the log without Verify() noticing. The head is never re-made from the entries: every
// append first checks that the head authenticates and names the newest entry, and refuses
// (kDataLoss, writing nothing) when it is missing or stale while entries exist, so a cut tail
// cannot be made to look whole by the next ordinary write.
//
// What goes in. Subjects and details name fields, record ids, categories and counts — NEVER a
// personal value: the log is kept in clear and outlives the data it talks about (an erasure entry
// must not repeat what was erased).
//
// Tables: audit_entries, audit_head (AuditMigrations()).
#ifndef TACET_AUDIT_AUDIT_LOG_H_
#define TACET_AUDIT_AUDIT_LOG_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/enum_names.h"
#include "base/status.h"
#include "crypto/drbg.h"
#include "crypto/secure.h"
#include "store/database.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/key_store.h"

namespace tacet::audit {

// Stored by name (AuditKindName), so the numbering is free to change; names never do.
enum class AuditKind : uint8_t {
  kCorrection,      // a vault value was changed (the old one kept in its history)
  kExport,          // the user's data was exported (right of access)
  kErasure,         // a category, or everything, was erased
  kRetentionPurge,  // the retention sweeper deleted expired data
  kDisclosure,      // data left the device for a recipient (written by the sync module)
};

inline constexpr EnumName<AuditKind> kAuditKindNames[] = {
    {AuditKind::kCorrection, "correction"},
    {AuditKind::kExport, "export"},
    {AuditKind::kErasure, "erasure"},
    {AuditKind::kRetentionPurge, "retention_purge"},
    {AuditKind::kDisclosure, "disclosure"},
};
static_assert(EnumNamesAreUnique(kAuditKindNames));

// "correction", "export", "erasure", "retention_purge", "disclosure" ("unknown" out of range).
// Static storage.
const char* AuditKindName(AuditKind kind);
// The inverse of AuditKindName; kInvalidArgument for any other string.
StatusOr<AuditKind> ParseAuditKind(std::string_view name);

// Longest subject and detail accepted by Append, in bytes.
inline constexpr size_t kMaxAuditSubject = 256;
inline constexpr size_t kMaxAuditDetail = 4096;
// Name of the anchor's HMAC key in the KeyStore.
inline constexpr char kAuditHeadKeyName[] = "audit_head_mac";

struct AuditEntry {
  int64_t seq = 0;  // 1, 2, 3, ...
  int64_t time_unix_ms = 0;
  AuditKind kind = AuditKind::kCorrection;
  std::string subject;
  std::string detail;
  std::array<uint8_t, 32> hash{};
};

// The audit tables, versions numbered from 1 within the module.
std::vector<store::Migration> AuditMigrations();

class AuditLog {
 public:
  // `db` must have been opened with a schema that includes AuditMigrations(). Reads the anchor
  // key from `keys`, creating it (32 bytes from `drbg`) only when the log is new (no entry and no
  // head); creation is idempotent across processes (GetOrCreateSecret: every opener of a new log
  // ends up with the one key in the store). Keeps non-owning references to db and clock, which
  // must outlive the AuditLog; the key is copied (and wiped on destruction). kDataLoss when the log
  // has entries or a head but the key is gone, and when the key is not 32 bytes or is all zeros
  // (a wiped key would let anyone forge the head).
  static StatusOr<std::unique_ptr<AuditLog>> Open(store::Database& db, platform::Clock& clock,
                                                  platform::KeyStore& keys, crypto::Drbg& drbg);

  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one entry in a transaction of its own (Durability::kCritical). kInvalidArgument for
  // a subject or detail that is too long or not valid UTF-8.
  Status Append(AuditKind kind, std::string_view subject, std::string_view detail);
  // Appends inside the caller's open transaction `txn` on the same Database, so that a change and
  // the entry describing it commit (or roll back) together. The caller commits.
  // Before writing, checks the anchor against the newest entry: kDataLoss, naming what is wrong
  // and writing nothing, when entries exist but the head is missing, when the head fails
  // authentication, when it records another entry than the newest (seq or hash), and when there
  // is a head but no entry. The caller's change then fails with it (an erasure, purge, correction
  // or export is refused rather than recorded on a log whose loss would be hidden). Only the tail
  // is checked here; Verify() checks the whole chain.
  Status AppendInTransaction(store::Transaction& txn, AuditKind kind, std::string_view subject,
                             std::string_view detail);

  // Recomputes the chain and checks the anchor. OK, or kDataLoss naming the first entry that does
  // not fit (edited, missing, reordered, inserted) or the anchor that does not match.
  Status Verify();

  // Calls `fn` for each entry in order, one row in memory at a time; stops at the first error
  // (returned). Does not verify (call Verify for that).
  Status ForEach(const std::function<Status(const AuditEntry&)>& fn);
  // Number of entries.
  StatusOr<int64_t> Count();

  // Thread-safety: as for the Database (one thread at a time, serialised with its other users).

 private:
  AuditLog(store::Database& db, platform::Clock& clock, crypto::SecretBytes key)
      : db_(db), clock_(clock), key_(std::move(key)) {}

  store::Database& db_;
  platform::Clock& clock_;
  crypto::SecretBytes key_;
};

// The chain step: SHA-256(prev || Encode(entry)), exposed for tests and tools.
std::array<uint8_t, 32> ChainHash(ByteView prev, int64_t seq, int64_t time_unix_ms,
                                  AuditKind kind, std::string_view subject,
                                  std::string_view detail);

// The head anchor's MAC: HMAC-SHA-256(key, "tacet-audit-head-v1" || u64be(seq) || hash)
// (RFC 2104), for the newest entry's seq and hash. Exposed for tests and outside verifiers
// (tests/fixtures/formats/audit.json has known answers).
std::array<uint8_t, 32> HeadMac(ByteView key, int64_t seq, ByteView hash);

}  // namespace tacet::audit

#endif  // TACET_AUDIT_AUDIT_LOG_H_
