#include "audit/audit_log.h"

#include <utility>

#include "base/bytes.h"
#include "base/utf8.h"
#include "crypto/hmac.h"
#include "crypto/sha256.h"
#include "store/transaction.h"

namespace tacet::audit {
namespace {

constexpr char kChainLabel[] = "tacet-audit-entry-v1";
constexpr char kHeadLabel[] = "tacet-audit-head-v1";
constexpr size_t kHeadKeySize = 32;

void AppendLengthPrefixed(Bytes& out, std::string_view s) {
  AppendU32Be(out, static_cast<uint32_t>(s.size()));
  Append(out, ByteView::FromString(s));
}

Status CheckText(const char* what, std::string_view s, size_t max) {
  if (s.size() > max) {
    return InvalidArgumentError(std::string("audit: the ") + what + " has " +
                                std::to_string(s.size()) + " bytes; at most " +
                                std::to_string(max) + " are allowed");
  }
  if (!IsValidUtf8(s)) {
    return InvalidArgumentError(std::string("audit: the ") + what + " is not valid UTF-8");
  }
  return OkStatus();
}

std::string SeqName(int64_t seq) { return "entry " + std::to_string(seq); }

// Checks the anchor row against the newest entry (`last_seq` 0 for an empty log, `last_hash` its
// stored or recomputed hash). kDataLoss (message without the "audit: " prefix, which callers add
// with their context) when entries exist without a head, when a head exists without entries, when
// the head fails authentication under `key`, or when it records another seq or hash.
Status CheckAnchor(store::Database& db, ByteView key, int64_t last_seq, ByteView last_hash) {
  TACET_ASSIGN_OR_RETURN(auto head, db.Prepare("SELECT seq, hash, mac FROM audit_head WHERE id = 1"));
  TACET_ASSIGN_OR_RETURN(bool row, head.Step());
  if (!row) {
    if (last_seq == 0) return OkStatus();
    return DataLossError("the head anchor is missing but the log has " + std::to_string(last_seq) +
                         " entries (entries or the anchor were removed outside the log)");
  }
  const int64_t head_seq = head.ColumnInt64(0);
  const Bytes head_hash = head.ColumnBlob(1);
  const Bytes head_mac = head.ColumnBlob(2);
  const std::array<uint8_t, 32> mac = HeadMac(key, head_seq, head_hash);
  if (!crypto::ConstantTimeEquals(mac, head_mac)) {
    return DataLossError("the head anchor fails authentication");
  }
  if (head_seq != last_seq) {
    return DataLossError("the log ends at entry " + std::to_string(last_seq) +
                         " but the anchor records entry " + std::to_string(head_seq) +
                         " (entries removed or added outside the log)");
  }
  if (!crypto::ConstantTimeEquals(head_hash, last_hash)) {
    return DataLossError(SeqName(last_seq) + " differs from the anchored head");
  }
  return OkStatus();
}

}  // namespace

const char* AuditKindName(AuditKind kind) { return NameOf(kAuditKindNames, kind, "unknown"); }

StatusOr<AuditKind> ParseAuditKind(std::string_view name) {
  if (const auto kind = ParseName(kAuditKindNames, name)) return *kind;
  return InvalidArgumentError("audit: unknown entry kind '" + std::string(name) + "'");
}

std::vector<store::Migration> AuditMigrations() {
  return {
      {1, "audit: hash-chained entries and the keyed head anchor",
       "CREATE TABLE audit_entries ("
       "  seq INTEGER PRIMARY KEY,"
       "  time_unix_ms INTEGER NOT NULL,"
       "  kind TEXT NOT NULL,"
       "  subject TEXT NOT NULL,"
       "  detail TEXT NOT NULL,"
       "  hash BLOB NOT NULL CHECK (length(hash) = 32)"
       ") STRICT;"
       "CREATE TABLE audit_head ("
       "  id INTEGER PRIMARY KEY CHECK (id = 1),"
       "  seq INTEGER NOT NULL,"
       "  hash BLOB NOT NULL,"
       "  mac BLOB NOT NULL"
       ") STRICT;"},
  };
}

// Encode(entry) = "tacet-audit-entry-v1" || u64be(seq) || u64be(time) || u32be(len) || kind
//                 || u32be(len) || subject || u32be(len) || detail
// Every variable-length part is length-prefixed, so no two different entries encode alike.
std::array<uint8_t, 32> ChainHash(ByteView prev, int64_t seq, int64_t time_unix_ms,
                                  AuditKind kind, std::string_view subject,
                                  std::string_view detail) {
  Bytes encoded;
  encoded.reserve(64 + subject.size() + detail.size());
  Append(encoded, ByteView::FromString(kChainLabel));
  AppendU64Be(encoded, static_cast<uint64_t>(seq));
  AppendU64Be(encoded, static_cast<uint64_t>(time_unix_ms));
  AppendLengthPrefixed(encoded, AuditKindName(kind));
  AppendLengthPrefixed(encoded, subject);
  AppendLengthPrefixed(encoded, detail);
  crypto::Sha256Hasher hasher;
  hasher.Update(prev);
  hasher.Update(encoded);
  return hasher.Finish();
}

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(store::Database& db, platform::Clock& clock,
                                                   platform::KeyStore& keys, crypto::Drbg& drbg) {
  // The key may be created only for a new log: for one with entries or a head, a missing key is
  // a loss to report (a new key would make the old head fail, or worse, a re-made head pass).
  int64_t entries = 0;
  int64_t heads = 0;
  {
    TACET_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT (SELECT count(*) FROM audit_entries), "
                                              "(SELECT count(*) FROM audit_head)"));
    TACET_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      entries = q.ColumnInt64(0);
      heads = q.ColumnInt64(1);
    }
  }
  StatusOr<Bytes> stored = NotFoundError("");
  if (entries == 0 && heads == 0) {
    stored = platform::GetOrCreateSecret(keys, kAuditHeadKeyName, [&]() -> StatusOr<Bytes> {
      Bytes fresh(kHeadKeySize);
      TACET_RETURN_IF_ERROR(drbg.Generate(fresh.data(), fresh.size()));
      return fresh;
    });
  } else {
    stored = keys.Get(kAuditHeadKeyName);
    if (!stored.ok() && stored.status().code() == StatusCode::kNotFound) {
      return DataLossError("audit: the log has " + std::to_string(entries) + " entries and " +
                           (heads != 0 ? "an anchored head" : "no head") + " but the anchor key '" +
                           std::string(kAuditHeadKeyName) + "' is missing from the key store");
    }
  }
  if (!stored.ok()) return stored.status().WithContext("audit: reading the anchor key");
  Bytes& raw = stored.value();
  crypto::SecretBytes key(raw);
  crypto::SecureZero(raw.data(), raw.size());
  TACET_RETURN_IF_ERROR(platform::CheckKeyMaterial(kAuditHeadKeyName, key.view(), kHeadKeySize));
  return std::unique_ptr<AuditLog>(new AuditLog(db, clock, std::move(key)));
}

// HMAC-SHA-256(key, "tacet-audit-head-v1" || u64be(seq) || hash) (RFC 2104).
std::array<uint8_t, 32> HeadMac(ByteView key, int64_t seq, ByteView hash) {
  Bytes msg;
  tacet::Append(msg, ByteView::FromString(kHeadLabel));
  AppendU64Be(msg, static_cast<uint64_t>(seq));
  tacet::Append(msg, hash);
  return crypto::HmacSha256(key, msg);
}

Status AuditLog::Append(AuditKind kind, std::string_view subject, std::string_view detail) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kCritical));
  TACET_RETURN_IF_ERROR(AppendInTransaction(txn, kind, subject, detail));
  return txn.Commit();
}

Status AuditLog::AppendInTransaction(store::Transaction& /*txn*/, AuditKind kind,
                                     std::string_view subject, std::string_view detail) {
  if (AuditKindName(kind) == std::string_view("unknown")) {
    return InvalidArgumentError("audit: invalid entry kind " +
                                std::to_string(static_cast<int>(kind)));
  }
  TACET_RETURN_IF_ERROR(CheckText("subject", subject, kMaxAuditSubject));
  TACET_RETURN_IF_ERROR(CheckText("detail", detail, kMaxAuditDetail));

  // The chain continues from the newest row; inside the caller's BEGIN IMMEDIATE no other
  // connection can append in between.
  int64_t prev_seq = 0;
  std::array<uint8_t, 32> prev_hash{};
  {
    TACET_ASSIGN_OR_RETURN(
        auto last, db_.Prepare("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1"));
    TACET_ASSIGN_OR_RETURN(bool row, last.Step());
    if (row) {
      prev_seq = last.ColumnInt64(0);
      Bytes h = last.ColumnBlob(1);
      if (h.size() != prev_hash.size()) {
        return DataLossError("audit: " + SeqName(prev_seq) + " has a hash of " +
                             std::to_string(h.size()) + " bytes");
      }
      std::copy(h.begin(), h.end(), prev_hash.begin());
    }
  }
  // Continue only from an anchored tail: a missing or stale head is reported, never re-made (a
  // new head over a cut chain would make the cut verify). Destruction is the exception: an
  // erasure or a retention purge must not be blocked by someone who deleted the head (the data
  // they were to destroy would be kept), so their entry is chained on and the head left as it
  // is, still stale, for Verify to keep reporting.
  const Status anchored = CheckAnchor(db_, key_.view(), prev_seq, prev_hash);
  const bool destroys = kind == AuditKind::kErasure || kind == AuditKind::kRetentionPurge;
  if (!anchored.ok() && !destroys) return anchored.WithContext("audit: refusing to append");
  const int64_t seq = prev_seq + 1;
  const int64_t now = clock_.NowUnixMillis();
  const std::array<uint8_t, 32> hash = ChainHash(prev_hash, seq, now, kind, subject, detail);

  TACET_ASSIGN_OR_RETURN(auto insert,
                         db_.Prepare("INSERT INTO audit_entries(seq, time_unix_ms, kind, subject, "
                                     "detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  TACET_RETURN_IF_ERROR(insert.Bind(1, seq));
  TACET_RETURN_IF_ERROR(insert.Bind(2, now));
  TACET_RETURN_IF_ERROR(insert.Bind(3, std::string_view(AuditKindName(kind))));
  TACET_RETURN_IF_ERROR(insert.Bind(4, subject));
  TACET_RETURN_IF_ERROR(insert.Bind(5, detail));
  TACET_RETURN_IF_ERROR(insert.BindBlob(6, hash));
  TACET_RETURN_IF_ERROR(insert.Step().status());
  if (!anchored.ok()) return OkStatus();  // the head stays stale: never re-anchored here

  std::array<uint8_t, 32> mac = HeadMac(key_.view(), seq, hash);
  TACET_ASSIGN_OR_RETURN(auto head,
                         db_.Prepare("INSERT INTO audit_head(id, seq, hash, mac) VALUES (1, ?1, ?2, "
                                     "?3) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, "
                                     "hash = excluded.hash, mac = excluded.mac"));
  TACET_RETURN_IF_ERROR(head.Bind(1, seq));
  TACET_RETURN_IF_ERROR(head.BindBlob(2, hash));
  TACET_RETURN_IF_ERROR(head.BindBlob(3, mac));
  return head.Step().status();
}

Status AuditLog::ForEach(const std::function<Status(const AuditEntry&)>& fn) {
  TACET_ASSIGN_OR_RETURN(auto rows, db_.Prepare("SELECT seq, time_unix_ms, kind, subject, detail, "
                                                "hash FROM audit_entries ORDER BY seq"));
  AuditEntry entry;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) return OkStatus();
    entry.seq = rows.ColumnInt64(0);
    entry.time_unix_ms = rows.ColumnInt64(1);
    StatusOr<AuditKind> kind = ParseAuditKind(rows.ColumnText(2));
    if (!kind.ok()) {
      return DataLossError("audit: " + SeqName(entry.seq) + " has an unknown kind");
    }
    entry.kind = *kind;
    entry.subject = rows.ColumnText(3);
    entry.detail = rows.ColumnText(4);
    Bytes h = rows.ColumnBlob(5);
    if (h.size() != entry.hash.size()) {
      return DataLossError("audit: " + SeqName(entry.seq) + " has a malformed hash");
    }
    std::copy(h.begin(), h.end(), entry.hash.begin());
    TACET_RETURN_IF_ERROR(fn(entry));
  }
}

StatusOr<int64_t> AuditLog::Count() {
  TACET_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT count(*) FROM audit_entries"));
  TACET_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt64(0) : 0;
}

Status AuditLog::Verify() {
  std::array<uint8_t, 32> prev{};
  int64_t expected = 1;
  TACET_RETURN_IF_ERROR(ForEach([&](const AuditEntry& e) -> Status {
    if (e.seq < expected) {
      return DataLossError("audit: " + SeqName(e.seq) + " is out of order");
    }
    if (e.seq > expected) {
      return DataLossError("audit: " + SeqName(expected) + " is missing (the next entry is " +
                           std::to_string(e.seq) + ")");
    }
    std::array<uint8_t, 32> h =
        ChainHash(prev, e.seq, e.time_unix_ms, e.kind, e.subject, e.detail);
    if (!crypto::ConstantTimeEquals(h, e.hash)) {
      return DataLossError("audit: " + SeqName(e.seq) +
                           " does not match the chain (edited, reordered or inserted)");
    }
    prev = h;
    ++expected;
    return OkStatus();
  }));
  const int64_t last = expected - 1;
  return CheckAnchor(db_, key_.view(), last, prev).WithContext("audit");
}

}  // namespace tacet::audit
