#include "base/time_format.h"
#include "consent/consent_ledger.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>
#include <utility>

#include "base/bytes.h"
#include "base/json_writer.h"
#include "crypto/hmac.h"
#include "crypto/secure.h"
#include "crypto/sha256.h"
#include "store/transaction.h"

namespace tacet::consent {
namespace {

constexpr char kCreateTables[] = R"sql(
CREATE TABLE consent_state (
  subject        TEXT PRIMARY KEY NOT NULL,
  state          INTEGER NOT NULL,
  precision      INTEGER NOT NULL,
  decided_at_ms  INTEGER NOT NULL,
  policy_id      TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  policy_hash    BLOB NOT NULL,
  source         INTEGER NOT NULL,
  seq            INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE consent_history (
  seq            INTEGER PRIMARY KEY,
  subject        TEXT NOT NULL,
  state          INTEGER NOT NULL,
  precision      INTEGER NOT NULL,
  decided_at_ms  INTEGER NOT NULL,
  policy_id      TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  policy_hash    BLOB NOT NULL,
  source         INTEGER NOT NULL,
  prev_hash      BLOB NOT NULL,
  entry_hash     BLOB NOT NULL
);
CREATE INDEX consent_history_by_subject ON consent_history (subject, seq);
CREATE TABLE consent_policy (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  policy BLOB NOT NULL
);
)sql";

// Step 2: the keyed head, and the marker that asks the first Open after the upgrade to anchor a
// history written before there was a head (SQL cannot compute the MAC; the ledger does).
constexpr char kCreateHead[] = R"sql(
CREATE TABLE consent_head (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  seq        INTEGER NOT NULL,
  entry_hash BLOB NOT NULL,
  mac        BLOB NOT NULL
);
CREATE TABLE consent_anchor_pending (
  id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO consent_anchor_pending (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM consent_history);
)sql";

constexpr char kHeadLabel[] = "tacet-consent-head-v1";
constexpr uint8_t kAnchoredFlag[] = {1};

// Columns shared by consent_state and consent_history, in this order.
constexpr char kEntryColumns[] =
    "seq, subject, state, precision, decided_at_ms, policy_id, policy_version, policy_hash, "
    "source";

void AppendLengthPrefixed(Bytes& out, ByteView bytes) {
  AppendU32Be(out, static_cast<uint32_t>(bytes.size()));
  Append(out, bytes);
}

bool ToHash(const Bytes& bytes, Hash* out) {
  if (bytes.size() != out->size()) return false;
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return true;
}

// Reads kEntryColumns starting at column `first`. kDataLoss naming `what` for malformed values.
Status ReadEntryColumns(const store::Statement& st, int first, const std::string& what,
                        HistoryEntry* e) {
  e->seq = st.ColumnInt64(first);
  e->subject = st.ColumnText(first + 1);
  const int64_t state = st.ColumnInt64(first + 2);
  const int64_t precision = st.ColumnInt64(first + 3);
  e->time_unix_ms = st.ColumnInt64(first + 4);
  e->policy_id = st.ColumnText(first + 5);
  e->policy_version = static_cast<uint64_t>(st.ColumnInt64(first + 6));
  const int64_t source = st.ColumnInt64(first + 8);
  if (!IsValidConsentState(static_cast<int>(state)) || state != static_cast<int>(state)) {
    return DataLossError(what + " has invalid state " + std::to_string(state));
  }
  if (!IsValidLocationPrecision(static_cast<int>(precision)) ||
      precision != static_cast<int>(precision)) {
    return DataLossError(what + " has invalid precision " + std::to_string(precision));
  }
  if (!IsValidDecisionSource(static_cast<int>(source)) || source != static_cast<int>(source)) {
    return DataLossError(what + " has invalid source " + std::to_string(source));
  }
  if (!ToHash(st.ColumnBlob(first + 7), &e->policy_hash)) {
    return DataLossError(what + " has a policy hash that is not 32 bytes");
  }
  e->state = static_cast<ConsentState>(state);
  e->precision = static_cast<LocationPrecision>(precision);
  e->source = static_cast<DecisionSource>(source);
  return OkStatus();
}

// Reads a consent_history row selected as kEntryColumns, prev_hash, entry_hash.
Status ReadHistoryRow(const store::Statement& st, HistoryEntry* e) {
  const std::string what = "consent history: entry " + std::to_string(st.ColumnInt64(0));
  TACET_RETURN_IF_ERROR(ReadEntryColumns(st, 0, what, e));
  if (!ToHash(st.ColumnBlob(9), &e->prev_hash) || !ToHash(st.ColumnBlob(10), &e->entry_hash)) {
    return DataLossError(what + " has a hash that is not 32 bytes");
  }
  return OkStatus();
}

Status BindEntryColumns(store::Statement& st, const HistoryEntry& e) {
  TACET_RETURN_IF_ERROR(st.Bind(1, e.seq));
  TACET_RETURN_IF_ERROR(st.Bind(2, std::string_view(e.subject)));
  TACET_RETURN_IF_ERROR(st.Bind(3, static_cast<int64_t>(e.state)));
  TACET_RETURN_IF_ERROR(st.Bind(4, static_cast<int64_t>(e.precision)));
  TACET_RETURN_IF_ERROR(st.Bind(5, e.time_unix_ms));
  TACET_RETURN_IF_ERROR(st.Bind(6, std::string_view(e.policy_id)));
  TACET_RETURN_IF_ERROR(st.Bind(7, static_cast<int64_t>(e.policy_version)));
  TACET_RETURN_IF_ERROR(st.BindBlob(8, e.policy_hash));
  return st.Bind(9, static_cast<int64_t>(e.source));
}

bool SameDecision(const HistoryEntry& a, const HistoryEntry& b) {
  return a.seq == b.seq && a.subject == b.subject && a.state == b.state &&
         a.precision == b.precision && a.time_unix_ms == b.time_unix_ms &&
         a.policy_id == b.policy_id && a.policy_version == b.policy_version &&
         a.policy_hash == b.policy_hash && a.source == b.source;
}

// The user-facing word for a decision: "granted"/"denied" for purposes and channels,
// "provided"/"declined" for categories, the precision for location; "unknown" when re-opened.
const char* DecisionWord(const HistoryEntry& e, SubjectKind kind) {
  if (kind == SubjectKind::kLocation) return platform::LocationPrecisionName(e.precision);
  if (kind == SubjectKind::kCategory) {
    if (e.state == ConsentState::kGranted) return "provided";
    if (e.state == ConsentState::kDenied) return "declined";
  }
  return ConsentStateName(e.state);
}

std::string PolicyName(const policy::Policy& policy) {
  return "policy '" + std::string(policy.id()) + "' v" + std::to_string(policy.version());
}

// While the stored decisions cannot be trusted (a broken chain, a state row that does not match
// its history, a missing or forged head), nothing may be collected on their word: every refusable
// purpose, every channel and every optional category is denied and location is none.
void FailClosed(SnapshotBuilder& builder) {
  const ConsentSnapshot& view = builder.view();
  const policy::PolicyModel& root = view.policy().model();
  for (int p = 0; p < view.purpose_count(); ++p) {
    if (builder.PurposeRefusable(p)) {
      builder.SetPurpose(p, ConsentState::kDenied, DecisionSource::kPolicyDefault);
    }
  }
  for (int c = 0; c < view.channel_count(); ++c) {
    builder.SetChannel(c, ConsentState::kDenied, DecisionSource::kPolicyDefault);
  }
  for (int c = 0; c < view.category_count(); ++c) {
    if (root.categories[static_cast<size_t>(c)].optional) {
      builder.SetCategory(c, ConsentState::kDenied, DecisionSource::kPolicyDefault);
    }
  }
  builder.SetLocation(LocationPrecision::kNone, DecisionSource::kPolicyDefault);
}

}  // namespace


std::vector<store::Migration> ConsentMigrations() {
  return {
      {1, "consent: current state, hash-chained history, last reconciled policy", kCreateTables},
      {2, "consent: keyed head of the history (anchor pending for an existing history)",
       kCreateHead},
  };
}

Hash ComputeEntryHash(const HistoryEntry& e) {
  // Canonical encoding: fixed-width big-endian integers, strings and blobs prefixed by their
  // 32-bit big-endian length, so no two different entries encode to the same bytes.
  Bytes m;
  m.reserve(256);
  Append(m, e.prev_hash);
  AppendU64Be(m, static_cast<uint64_t>(e.seq));
  AppendLengthPrefixed(m, ByteView::FromString(e.subject));
  m.push_back(static_cast<uint8_t>(e.state));
  m.push_back(static_cast<uint8_t>(e.precision));
  AppendU64Be(m, static_cast<uint64_t>(e.time_unix_ms));
  AppendLengthPrefixed(m, ByteView::FromString(e.policy_id));
  AppendU64Be(m, e.policy_version);
  AppendLengthPrefixed(m, e.policy_hash);
  m.push_back(static_cast<uint8_t>(e.source));
  return crypto::Sha256(m);
}

Hash ComputeHeadMac(ByteView key, int64_t seq, const Hash& entry_hash) {
  Bytes m;
  Append(m, ByteView::FromString(kHeadLabel));
  AppendU64Be(m, static_cast<uint64_t>(seq));
  Append(m, entry_hash);
  return crypto::HmacSha256(key, m);
}

StatusOr<std::string> ReceiptJson(const HistoryEntry& e) {
  TACET_ASSIGN_OR_RETURN(std::string time, FormatRfc3339Utc(e.time_unix_ms));
  auto subject = ParseSubjectKey(e.subject);
  StringSink sink;
  JsonWriter w(sink);
  TACET_RETURN_IF_ERROR(w.BeginObject());
  TACET_RETURN_IF_ERROR(w.Member("receipt_version", int64_t{1}));
  TACET_RETURN_IF_ERROR(w.Member("seq", e.seq));
  TACET_RETURN_IF_ERROR(w.Member("subject", e.subject));
  if (subject.ok()) {
    TACET_RETURN_IF_ERROR(w.Member("subject_kind", SubjectKindName(subject->kind)));
    if (subject->kind != SubjectKind::kLocation) {
      TACET_RETURN_IF_ERROR(w.Member("subject_id", subject->id));
    }
  }
  TACET_RETURN_IF_ERROR(w.Member(
      "decision", subject.ok() ? DecisionWord(e, subject->kind) : ConsentStateName(e.state)));
  TACET_RETURN_IF_ERROR(w.Member("state", ConsentStateName(e.state)));
  TACET_RETURN_IF_ERROR(
      w.Member("location_precision", platform::LocationPrecisionName(e.precision)));
  TACET_RETURN_IF_ERROR(w.Member("time", time));
  TACET_RETURN_IF_ERROR(w.Member("time_unix_ms", e.time_unix_ms));
  TACET_RETURN_IF_ERROR(w.Key("policy"));
  TACET_RETURN_IF_ERROR(w.BeginObject());
  TACET_RETURN_IF_ERROR(w.Member("id", e.policy_id));
  TACET_RETURN_IF_ERROR(w.Key("version"));
  TACET_RETURN_IF_ERROR(w.UInt(e.policy_version));
  TACET_RETURN_IF_ERROR(w.Member("hash", HexEncode(e.policy_hash)));
  TACET_RETURN_IF_ERROR(w.EndObject());
  TACET_RETURN_IF_ERROR(w.Member("source", DecisionSourceName(e.source)));
  TACET_RETURN_IF_ERROR(w.Member("prev_hash", HexEncode(e.prev_hash)));
  TACET_RETURN_IF_ERROR(w.Member("entry_hash", HexEncode(e.entry_hash)));
  TACET_RETURN_IF_ERROR(w.Member("hash_algorithm", "sha-256"));
  TACET_RETURN_IF_ERROR(w.EndObject());
  TACET_RETURN_IF_ERROR(w.Finish());
  return std::move(sink.out);
}

// One write: the subject's new state and where it came from.
struct ConsentLedger::Change {
  std::string subject;
  ConsentState state = ConsentState::kUnknown;
  LocationPrecision precision = LocationPrecision::kNone;
  DecisionSource source = DecisionSource::kUser;
};

// What one transaction writes.
struct ConsentLedger::Plan {
  std::vector<Change> changes;
  bool record_policy = false;  // store the committed policy as the last reconciled one
};

// The newest history entry: seq 0 and the zero hash when the history is empty.
struct ConsentLedger::ChainEnd {
  int64_t seq = 0;
  Hash hash{};
};

ConsentLedger::ConsentLedger(store::Database& db, platform::Clock& clock) : db_(db), clock_(clock) {}

ConsentLedger::~ConsentLedger() = default;

StatusOr<std::unique_ptr<ConsentLedger>> ConsentLedger::Open(
    store::Database& db, std::shared_ptr<const policy::Policy> policy, platform::Clock& clock,
    platform::KeyStore& keys, crypto::Drbg& drbg) {
  if (policy == nullptr) return InvalidArgumentError("consent: ledger opened without a policy");
  std::unique_ptr<ConsentLedger> ledger(new ConsentLedger(db, clock));
  std::unique_lock<std::mutex> lock(ledger->write_mu_);
  TACET_RETURN_IF_ERROR(ledger->OpenHeadLocked(keys, drbg));

  // Which policy did the stored decisions last get reconciled with? Read here to avoid a write
  // transaction on every open; the transaction reads it again.
  TACET_ASSIGN_OR_RETURN(std::shared_ptr<const policy::Policy> recorded,
                         ledger->ReadRecordedPolicyLocked());
  // A read-only database cannot record the policy: the snapshot is built over the stored rows.
  if (!db.read_only() && (recorded == nullptr || recorded->hash() != policy->hash())) {
    ConsentLedger* self = ledger.get();
    const policy::Policy& target = *policy;
    StatusOr<const ConsentSnapshot*> s =
        ledger->CommitLocked(policy, [self, &target](SnapshotBuilder& builder,
                                                     const std::vector<std::string>& stored,
                                                     Plan& plan) -> Status {
          TACET_ASSIGN_OR_RETURN(auto now_recorded, self->ReadRecordedPolicyLocked());
          if (now_recorded != nullptr && now_recorded->hash() == target.hash()) {
            return OkStatus();  // another connection reconciled it meanwhile
          }
          if (now_recorded != nullptr) {
            // An update the previous run accepted but never applied to the ledger.
            self->PlanPolicyUpdate(policy::DiffPolicies(*now_recorded, target), stored, builder,
                                   plan.changes);
          }
          plan.record_policy = true;
          return OkStatus();
        });
    if (!s.ok() && s.status().code() != StatusCode::kDataLoss) return s.status();
    if (!s.ok()) {
      // A damaged history cannot record the policy; the ledger still opens, over the stored rows,
      // and the integrity check below makes its snapshots fail-closed.
      SnapshotBuilder builder(policy);
      TACET_RETURN_IF_ERROR(ledger->LoadRowsLocked(builder, nullptr));
      ledger->Publish(builder.Build(++ledger->generation_));
    }
    (void)s;  // no listener can be registered yet
  } else {
    SnapshotBuilder builder(policy);
    TACET_RETURN_IF_ERROR(ledger->LoadRowsLocked(builder, nullptr));
    ledger->Publish(builder.Build(++ledger->generation_));
  }
  // Do the stored decisions hold together? The whole chain, every state row against its last
  // entry, and the keyed head. If not, nothing is collected on their word (FailClosed).
  StatusOr<ChainEnd> verified = ledger->VerifyRowsLocked();
  ledger->integrity_ = verified.ok() ? ledger->CheckHeadLocked(*verified) : verified.status();
  if (ledger->forged_marker_) {
    ledger->integrity_ = DataLossError(
        "consent: the database asks for its history to be anchored (a marker only the upgrade to "
        "the keyed head writes), but this key store anchored a consent history before: the head "
        "was removed and the marker forged, or the database is not this key store's");
  }
  if (!ledger->integrity_.ok()) {
    SnapshotBuilder builder(*ledger->current_.load(std::memory_order_relaxed));
    FailClosed(builder);
    ledger->Publish(builder.Build(++ledger->generation_));
  }
  lock.unlock();
  return ledger;
}

Status ConsentLedger::integrity() const {
  std::lock_guard<std::mutex> lock(write_mu_);
  return integrity_;
}

Status ConsentLedger::OpenHeadLocked(platform::KeyStore& keys, crypto::Drbg& drbg) {
  TACET_ASSIGN_OR_RETURN(ChainEnd end, ReadChainEndLocked());
  bool has_head = false, pending = false;
  {
    TACET_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT (SELECT count(*) FROM consent_head), "
                                                "(SELECT count(*) FROM consent_anchor_pending)"));
    TACET_ASSIGN_OR_RETURN(bool row, st.Step());
    has_head = row && st.ColumnInt64(0) != 0;
    pending = row && st.ColumnInt64(1) != 0;
  }
  bool anchored_before = false;
  {
    StatusOr<Bytes> flag = keys.Get(kConsentAnchoredFlagName);
    if (flag.ok()) {
      anchored_before = true;
    } else if (flag.status().code() != StatusCode::kNotFound) {
      return flag.status().WithContext("consent: reading the key-store flag '" +
                                       std::string(kConsentAnchoredFlagName) + "'");
    }
  }
  anchored_before_ = anchored_before;
  // A key may be made for a new, empty history, or to anchor the history the upgrade marked, but
  // never for a history (or head) that should already have one: that key was lost. A read-only
  // open makes nothing.
  const bool may_create =
      !db_.read_only() && !anchored_before &&
      ((end.seq == 0 && !has_head) || (pending && !has_head));
  if (db_.read_only() && end.seq == 0 && !has_head) {
    StatusOr<Bytes> existing = keys.Get(kConsentHeadKeyName);
    if (!existing.ok() && existing.status().code() == StatusCode::kNotFound) {
      return OkStatus();  // nothing to check and nothing may be made: a new, empty history
    }
  }
  StatusOr<Bytes> raw = platform::GetOrCreateSecret(
      keys, kConsentHeadKeyName, [&]() -> StatusOr<Bytes> {
        if (!may_create) {
          return DataLossError(
              "consent: the history has " + std::to_string(end.seq) + " entries" +
              (has_head ? " and a keyed head" : "") + " but the head key '" +
              kConsentHeadKeyName +
              "' is missing from the key store (deleted, or not this database's key store)");
        }
        Bytes fresh(kConsentHeadKeySize);
        TACET_RETURN_IF_ERROR(drbg.Generate(fresh.data(), fresh.size()));
        return fresh;
      });
  if (!raw.ok()) return raw.status();
  head_key_ = crypto::SecretBytes(*raw);
  crypto::SecureZero(raw->data(), raw->size());
  TACET_RETURN_IF_ERROR(platform::CheckKeyMaterial(
      "the consent head key '" + std::string(kConsentHeadKeyName) + "'", head_key_.view(),
      kConsentHeadKeySize));

  if (db_.read_only()) return OkStatus();
  if (pending) {
    if (anchored_before) {
      // The head was removed and the marker forged (or the database is not this key store's).
      // Nothing is anchored; Open's integrity check then finds the head missing, and the ledger
      // opens fail-closed instead of refusing to open (a user's "no" must still be recordable).
      forged_marker_ = true;
      return OkStatus();
    }
    TACET_RETURN_IF_ERROR(AnchorPendingLocked());
  }
  if (!has_head && end.seq == 0 && !pending && !anchored_before) {
    // A new history gets a head at once (entry 0, the zero hash), so that once this key store has
    // anchored a history, a missing head is always data loss: emptying every consent table no
    // longer resets the user's decisions to the policy's defaults unnoticed.
    TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kCritical));
    TACET_ASSIGN_OR_RETURN(auto head, db_.Prepare("INSERT OR IGNORE INTO consent_head (id, seq, "
                                                  "entry_hash, mac) VALUES (1, 0, ?1, ?2)"));
    const Hash zero{};
    TACET_RETURN_IF_ERROR(head.BindBlob(1, zero));
    TACET_RETURN_IF_ERROR(head.BindBlob(2, ComputeHeadMac(head_key_.view(), 0, zero)));
    TACET_RETURN_IF_ERROR(head.Step().status());
    TACET_RETURN_IF_ERROR(head.Reset());
    TACET_RETURN_IF_ERROR(txn.Commit());
  }
  if (!anchored_before) {
    Status put = keys.Put(kConsentAnchoredFlagName, ByteView(kAnchoredFlag, sizeof kAnchoredFlag));
    if (!put.ok() && put.code() != StatusCode::kAlreadyExists) {
      return put.WithContext("consent: writing the key-store flag '" +
                             std::string(kConsentAnchoredFlagName) + "'");
    }
  }
  return OkStatus();
}

// Anchors the history an upgrade left without a head: verifies the whole chain, then writes the
// head of its last entry and removes the marker, in one transaction. Another process may have
// done it meanwhile (the marker is gone): then nothing is left to do.
Status ConsentLedger::AnchorPendingLocked() {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kCritical));
  TACET_ASSIGN_OR_RETURN(auto marker, db_.Prepare("SELECT 1 FROM consent_anchor_pending"));
  TACET_ASSIGN_OR_RETURN(bool still_pending, marker.Step());
  TACET_RETURN_IF_ERROR(marker.Reset());
  if (!still_pending) return txn.Commit();
  StatusOr<ChainEnd> end = VerifyRowsLocked();
  if (!end.ok()) {
    return DataLossError("consent: cannot anchor the history written before the keyed head: " +
                         end.status().message());
  }
  TACET_ASSIGN_OR_RETURN(auto existing, db_.Prepare("SELECT count(*) FROM consent_head"));
  TACET_ASSIGN_OR_RETURN(bool counted, existing.Step());
  if (counted && existing.ColumnInt64(0) != 0) {
    // The upgrade never leaves a head next to the marker; whatever put one there, it must hold
    // and is never replaced.
    TACET_RETURN_IF_ERROR(CheckHeadLocked(*end));
  } else if (end->seq > 0) {
    TACET_ASSIGN_OR_RETURN(auto head, db_.Prepare("INSERT INTO consent_head (id, seq, "
                                                  "entry_hash, mac) VALUES (1, ?1, ?2, ?3)"));
    TACET_RETURN_IF_ERROR(head.Bind(1, end->seq));
    TACET_RETURN_IF_ERROR(head.BindBlob(2, end->hash));
    TACET_RETURN_IF_ERROR(head.BindBlob(3, ComputeHeadMac(head_key_.view(), end->seq, end->hash)));
    TACET_RETURN_IF_ERROR(head.Step().status());
  }
  TACET_RETURN_IF_ERROR(db_.Exec("DELETE FROM consent_anchor_pending"));
  return txn.Commit();
}

StatusOr<ConsentLedger::ChainEnd> ConsentLedger::ReadChainEndLocked() {
  TACET_ASSIGN_OR_RETURN(
      auto st, db_.Prepare("SELECT seq, entry_hash FROM consent_history ORDER BY seq DESC LIMIT 1"));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  ChainEnd end;
  if (!row) return end;
  end.seq = st.ColumnInt64(0);
  if (!ToHash(st.ColumnBlob(1), &end.hash)) {
    return DataLossError("consent history: entry " + std::to_string(end.seq) +
                         " has an entry hash that is not 32 bytes");
  }
  return end;
}

Status ConsentLedger::CheckHeadLocked(const ChainEnd& end) {
  TACET_ASSIGN_OR_RETURN(auto st,
                         db_.Prepare("SELECT seq, entry_hash, mac FROM consent_head WHERE id = 1"));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) {
    if (end.seq == 0 && !anchored_before_) return OkStatus();
    return DataLossError("consent history: the keyed head is missing but the history has " +
                         std::to_string(end.seq) +
                         " entries (the head was deleted, or the history was written outside the "
                         "ledger)");
  }
  const int64_t head_seq = st.ColumnInt64(0);
  Hash head_hash{}, head_mac{};
  if (!ToHash(st.ColumnBlob(1), &head_hash) || !ToHash(st.ColumnBlob(2), &head_mac)) {
    return DataLossError("consent history: the keyed head is malformed (hash or MAC not 32 bytes)");
  }
  if (!crypto::ConstantTimeEquals(ComputeHeadMac(head_key_.view(), head_seq, head_hash),
                                  head_mac)) {
    return DataLossError(
        "consent history: the keyed head fails authentication (edited, or made without the "
        "head key)");
  }
  if (head_seq != end.seq) {
    return DataLossError("consent history: the history ends at entry " + std::to_string(end.seq) +
                         " but the keyed head records entry " + std::to_string(head_seq) +
                         " (entries removed or added outside the ledger)");
  }
  if (!crypto::ConstantTimeEquals(head_hash, end.hash)) {
    return DataLossError("consent history: entry " + std::to_string(end.seq) +
                         " differs from the keyed head (the chain was rewritten)");
  }
  return OkStatus();
}

StatusOr<std::shared_ptr<const policy::Policy>> ConsentLedger::ReadRecordedPolicyLocked() {
  TACET_ASSIGN_OR_RETURN(auto st, db_.Prepare("SELECT policy FROM consent_policy WHERE id = 1"));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::shared_ptr<const policy::Policy>();
  auto loaded = policy::Policy::Load(st.ColumnBlob(0));
  if (!loaded.ok()) {
    return DataLossError("consent: the recorded policy no longer loads: " +
                         loaded.status().message());
  }
  return *std::move(loaded);
}

Status ConsentLedger::LoadRowsLocked(SnapshotBuilder& builder, std::vector<std::string>* subjects) {
  TACET_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kEntryColumns +
                                              " FROM consent_state ORDER BY subject"));
  const ConsentSnapshot& view = builder.view();
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    HistoryEntry e;
    TACET_RETURN_IF_ERROR(ReadEntryColumns(st, 0, "consent_state row", &e));
    auto subject = ParseSubjectKey(e.subject);
    if (!subject.ok()) return DataLossError("consent_state: " + subject.status().message());
    if (subjects != nullptr) subjects->push_back(e.subject);
    // Subjects the policy no longer has stay in the table (with their history) but not in the
    // snapshot.
    switch (subject->kind) {
      case SubjectKind::kPurpose:
        builder.SetPurpose(view.PurposeIndex(subject->id), e.state, e.source);
        break;
      case SubjectKind::kChannel:
        builder.SetChannel(view.ChannelIndex(subject->id), e.state, e.source);
        break;
      case SubjectKind::kCategory:
        builder.SetCategory(view.CategoryIndex(subject->id), e.state, e.source);
        break;
      case SubjectKind::kLocation:
        builder.SetLocation(e.precision, e.source);
        break;
    }
  }
  return OkStatus();
}

void ConsentLedger::PlanPolicyUpdate(const policy::PolicyDiff& diff,
                                     const std::vector<std::string>& stored,
                                     SnapshotBuilder& builder, std::vector<Change>& changes) {
  const ConsentSnapshot& view = builder.view();
  for (const std::string& id : diff.PurposesNeedingConsent()) {
    const int index = view.PurposeIndex(id);
    // A purpose the user cannot refuse is allowed by its legal basis: nothing to re-ask.
    if (index < 0 || !builder.PurposeRefusable(index)) continue;
    const ConsentState target =
        diff.IsWidened(id) ? ConsentState::kUnknown : builder.InitialPurposeState(index);
    const std::string key = SubjectKey(SubjectKind::kPurpose, id);
    const bool has_row = std::find(stored.begin(), stored.end(), key) != stored.end();
    if (!has_row && view.purpose(index) == target) continue;
    changes.push_back({key, target, LocationPrecision::kNone, DecisionSource::kPolicyUpdate});
    builder.SetPurpose(index, target, DecisionSource::kPolicyUpdate);
  }
}

StatusOr<const ConsentSnapshot*> ConsentLedger::CommitLocked(
    std::shared_ptr<const policy::Policy> policy, const Planner& planner) {
  Status busy;
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    if (attempt > 0) {
      // Another connection held the write lock past the busy timeout: pause, then try again.
      std::this_thread::sleep_for(std::chrono::milliseconds(10 << (attempt - 1)));
    }
    StatusOr<std::unique_ptr<const ConsentSnapshot>> built = TryCommitLocked(policy, planner);
    if (built.ok()) {
      // Durable: only now does anything in memory change.
      ++generation_;
      Publish(*std::move(built));
      return current_.load(std::memory_order_relaxed);
    }
    if (built.status().code() != StatusCode::kUnavailable) return built.status();
    busy = built.status();
  }
  return busy.WithContext("consent: the database stayed busy for " +
                          std::to_string(kMaxWriteAttempts) + " attempts");
}

StatusOr<std::unique_ptr<const ConsentSnapshot>> ConsentLedger::TryCommitLocked(
    const std::shared_ptr<const policy::Policy>& policy, const Planner& planner) {
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(db_, store::Durability::kCritical));
  // The chain's end and the decisions as the database holds them now, under the write lock:
  // another connection may have written since this ledger last looked.
  TACET_ASSIGN_OR_RETURN(ChainEnd end, ReadChainEndLocked());
  const Status head_ok = CheckHeadLocked(end);
  const ConsentSnapshot* current = current_.load(std::memory_order_relaxed);
  SnapshotBuilder builder(policy, current != nullptr ? current->index_ : nullptr);
  std::vector<std::string> stored;
  TACET_RETURN_IF_ERROR(LoadRowsLocked(builder, &stored));
  Plan plan;
  TACET_RETURN_IF_ERROR(planner(builder, stored, plan));
  if (!head_ok.ok()) {
    // Never continue a chain whose head is missing or stale as if it were whole. A refusal is
    // the exception: a user's "no" must never be refused, whoever damaged the history. It is
    // chained on; the head stays as it is and Verify keeps reporting it.
    bool refusal_only = !plan.record_policy && !plan.changes.empty();
    for (const Change& change : plan.changes) {
      if (change.state != ConsentState::kDenied) refusal_only = false;
    }
    if (!refusal_only) return head_ok.WithContext("consent: refusing to write");
  }
  if (!head_ok.ok() || !integrity_.ok()) FailClosed(builder);

  const int64_t now = clock_.NowUnixMillis();
  if (!plan.changes.empty()) {
    TACET_ASSIGN_OR_RETURN(
        auto insert_history,
        db_.Prepare(std::string("INSERT INTO consent_history (") + kEntryColumns +
                    ", prev_hash, entry_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
    TACET_ASSIGN_OR_RETURN(
        auto upsert_state,
        db_.Prepare(std::string("INSERT OR REPLACE INTO consent_state (") + kEntryColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    for (const Change& change : plan.changes) {
      HistoryEntry e;
      e.seq = ++end.seq;
      e.subject = change.subject;
      e.state = change.state;
      e.precision = change.precision;
      e.time_unix_ms = now;
      e.policy_id = std::string(policy->id());
      e.policy_version = policy->version();
      e.policy_hash = policy->hash();
      e.source = change.source;
      e.prev_hash = end.hash;
      e.entry_hash = ComputeEntryHash(e);
      end.hash = e.entry_hash;

      TACET_RETURN_IF_ERROR(BindEntryColumns(insert_history, e));
      TACET_RETURN_IF_ERROR(insert_history.BindBlob(10, e.prev_hash));
      TACET_RETURN_IF_ERROR(insert_history.BindBlob(11, e.entry_hash));
      TACET_RETURN_IF_ERROR(insert_history.Step().status());
      TACET_RETURN_IF_ERROR(insert_history.Reset());
      TACET_RETURN_IF_ERROR(BindEntryColumns(upsert_state, e));
      TACET_RETURN_IF_ERROR(upsert_state.Step().status());
      TACET_RETURN_IF_ERROR(upsert_state.Reset());
    }
  }
  if (!plan.changes.empty() && head_ok.ok()) {
    TACET_ASSIGN_OR_RETURN(auto head, db_.Prepare("INSERT OR REPLACE INTO consent_head (id, seq, "
                                                  "entry_hash, mac) VALUES (1, ?1, ?2, ?3)"));
    TACET_RETURN_IF_ERROR(head.Bind(1, end.seq));
    TACET_RETURN_IF_ERROR(head.BindBlob(2, end.hash));
    TACET_RETURN_IF_ERROR(head.BindBlob(3, ComputeHeadMac(head_key_.view(), end.seq, end.hash)));
    TACET_RETURN_IF_ERROR(head.Step().status());
  }
  if (plan.record_policy) {
    TACET_ASSIGN_OR_RETURN(
        auto record,
        db_.Prepare("INSERT OR REPLACE INTO consent_policy (id, policy) VALUES (1, ?1)"));
    TACET_RETURN_IF_ERROR(record.BindBlob(1, policy->bytes()));
    TACET_RETURN_IF_ERROR(record.Step().status());
  }
  std::unique_ptr<const ConsentSnapshot> next = builder.Build(generation_ + 1);
  if (commit_hook_ != nullptr) {
    const Status hooked = commit_hook_->OnConsentCommitting(db_, *next);
    if (!hooked.ok()) return hooked.WithContext("consent: the change was not committed");
  }
  TACET_RETURN_IF_ERROR(txn.Commit());
  return next;
}

void ConsentLedger::SetCommitHook(ConsentCommitHook* hook) {
  std::lock_guard<std::mutex> lock(write_mu_);
  commit_hook_ = hook;
}

void ConsentLedger::Publish(std::unique_ptr<const ConsentSnapshot> snapshot) {
  const ConsentSnapshot* raw = snapshot.get();
  // Kept until the ledger dies: a reader may still hold any earlier snapshot (docs/consent.md).
  published_.push_back(std::move(snapshot));
  current_.store(raw, std::memory_order_release);
}

void ConsentLedger::Notify(const ConsentSnapshot* snapshot) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  // A later change may have been delivered already (another writer overtook this one after the
  // write lock was released); its snapshot includes this change.
  if (snapshot->generation() <= notified_generation_) return;
  notified_generation_ = snapshot->generation();
  for (ConsentListener* listener : listeners_) listener->OnConsentChanged(*snapshot);
}

Status ConsentLedger::SetLocked(Change change, std::unique_lock<std::mutex>& lock) {
  TACET_ASSIGN_OR_RETURN(auto subject, ParseSubjectKey(change.subject));
  const ConsentSnapshot& current = *current_.load(std::memory_order_relaxed);
  // The change goes on top of the decisions the database holds inside the transaction.
  const Planner apply = [&change, &subject](SnapshotBuilder& builder,
                                            const std::vector<std::string>& /*stored*/,
                                            Plan& plan) -> Status {
    const ConsentSnapshot& view = builder.view();
    switch (subject.kind) {
      case SubjectKind::kPurpose:
        builder.SetPurpose(view.PurposeIndex(subject.id), change.state, change.source);
        break;
      case SubjectKind::kChannel:
        builder.SetChannel(view.ChannelIndex(subject.id), change.state, change.source);
        break;
      case SubjectKind::kCategory:
        builder.SetCategory(view.CategoryIndex(subject.id), change.state, change.source);
        break;
      case SubjectKind::kLocation:
        builder.SetLocation(change.precision, change.source);
        break;
    }
    plan.changes.push_back(change);
    return OkStatus();
  };
  TACET_ASSIGN_OR_RETURN(const ConsentSnapshot* published, CommitLocked(current.policy_, apply));
  lock.unlock();
  Notify(published);
  return OkStatus();
}

Status ConsentLedger::SetPurpose(std::string_view purpose_id, ConsentState state,
                                 DecisionSource source) {
  if (!IsValidConsentState(static_cast<int>(state)) ||
      !IsValidDecisionSource(static_cast<int>(source))) {
    return InvalidArgumentError("consent: invalid state or source for purpose '" +
                                std::string(purpose_id) + "'");
  }
  std::unique_lock<std::mutex> lock(write_mu_);
  const ConsentSnapshot& current = *current_.load(std::memory_order_relaxed);
  const policy::Policy& policy = current.policy();
  const policy::Purpose* purpose = policy.FindPurpose(purpose_id);
  if (purpose == nullptr) {
    return NotFoundError("consent: " + PolicyName(policy) + " has no purpose '" +
                         std::string(purpose_id) + "'");
  }
  if (!purpose->refusable && state != ConsentState::kGranted) {
    return FailedPreconditionError(
        "consent: purpose '" + std::string(purpose_id) + "' cannot be refused (legal basis " +
        policy::LegalBasisName(purpose->legal_basis) + ")");
  }
  return SetLocked({SubjectKey(SubjectKind::kPurpose, purpose_id), state, LocationPrecision::kNone,
                    source},
                   lock);
}

Status ConsentLedger::SetChannel(std::string_view channel_id, ConsentState state,
                                 DecisionSource source) {
  if (!IsValidConsentState(static_cast<int>(state)) ||
      !IsValidDecisionSource(static_cast<int>(source))) {
    return InvalidArgumentError("consent: invalid state or source for channel '" +
                                std::string(channel_id) + "'");
  }
  std::unique_lock<std::mutex> lock(write_mu_);
  const policy::Policy& policy = current_.load(std::memory_order_relaxed)->policy();
  if (policy.FindChannel(channel_id) == nullptr) {
    return NotFoundError("consent: " + PolicyName(policy) + " has no channel '" +
                         std::string(channel_id) + "'");
  }
  return SetLocked({SubjectKey(SubjectKind::kChannel, channel_id), state, LocationPrecision::kNone,
                    source},
                   lock);
}

Status ConsentLedger::SetCategoryProvided(std::string_view category_id, bool provided,
                                          DecisionSource source) {
  if (!IsValidDecisionSource(static_cast<int>(source))) {
    return InvalidArgumentError("consent: invalid source for category '" +
                                std::string(category_id) + "'");
  }
  std::unique_lock<std::mutex> lock(write_mu_);
  const policy::Policy& policy = current_.load(std::memory_order_relaxed)->policy();
  const policy::Category* category = policy.FindCategory(category_id);
  if (category == nullptr) {
    return NotFoundError("consent: " + PolicyName(policy) + " has no category '" +
                         std::string(category_id) + "'");
  }
  if (!category->optional && !provided) {
    return FailedPreconditionError("consent: category '" + std::string(category_id) +
                                   "' is not optional and cannot be declined");
  }
  return SetLocked({SubjectKey(SubjectKind::kCategory, category_id),
                    provided ? ConsentState::kGranted : ConsentState::kDenied,
                    LocationPrecision::kNone, source},
                   lock);
}

Status ConsentLedger::SetLocationPrecision(LocationPrecision precision, DecisionSource source) {
  if (!IsValidLocationPrecision(static_cast<int>(precision)) ||
      !IsValidDecisionSource(static_cast<int>(source))) {
    return InvalidArgumentError("consent: invalid location precision or source");
  }
  std::unique_lock<std::mutex> lock(write_mu_);
  return SetLocked({SubjectKey(SubjectKind::kLocation, ""),
                    precision == LocationPrecision::kNone ? ConsentState::kDenied
                                                          : ConsentState::kGranted,
                    precision, source},
                   lock);
}

Status ConsentLedger::ApplyPolicyUpdate(std::shared_ptr<const policy::Policy> new_policy,
                                        const policy::PolicyDiff& diff) {
  if (new_policy == nullptr) return InvalidArgumentError("consent: policy update without a policy");
  std::unique_lock<std::mutex> lock(write_mu_);
  const ConsentSnapshot& current = *current_.load(std::memory_order_relaxed);
  if (diff.new_version != new_policy->version() ||
      diff.old_version != current.policy().version()) {
    return InvalidArgumentError(
        "consent: the diff is from v" + std::to_string(diff.old_version) + " to v" +
        std::to_string(diff.new_version) + " but the update goes from v" +
        std::to_string(current.policy().version()) + " to v" +
        std::to_string(new_policy->version()));
  }
  const policy::Policy& target = *new_policy;
  const Planner reopen = [this, &diff, &target](SnapshotBuilder& builder,
                                                const std::vector<std::string>& stored,
                                                Plan& plan) -> Status {
    TACET_ASSIGN_OR_RETURN(auto recorded, ReadRecordedPolicyLocked());
    // Another connection applied this very update already: re-opening the purposes again would
    // throw away what the user decided since.
    if (recorded != nullptr && recorded->hash() == target.hash()) return OkStatus();
    PlanPolicyUpdate(diff, stored, builder, plan.changes);
    plan.record_policy = true;
    return OkStatus();
  };
  TACET_ASSIGN_OR_RETURN(const ConsentSnapshot* published, CommitLocked(new_policy, reopen));
  lock.unlock();
  Notify(published);
  return OkStatus();
}

void ConsentLedger::AddListener(ConsentListener* listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  if (std::find(listeners_.begin(), listeners_.end(), listener) == listeners_.end()) {
    listeners_.push_back(listener);
  }
}

void ConsentLedger::RemoveListener(ConsentListener* listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), listener), listeners_.end());
}

size_t ConsentLedger::retained_snapshots() const {
  std::lock_guard<std::mutex> lock(write_mu_);
  return published_.size();
}

Status ConsentLedger::Verify() {
  std::lock_guard<std::mutex> lock(write_mu_);
  // One read transaction: the chain and the head are compared in the same snapshot of the file,
  // even while other connections append.
  TACET_RETURN_IF_ERROR(db_.Exec("BEGIN"));
  StatusOr<ChainEnd> end = VerifyRowsLocked();
  Status result = end.ok() ? CheckHeadLocked(*end) : end.status();
  Status ended = db_.Exec("COMMIT");
  if (!ended.ok()) (void)db_.Exec("ROLLBACK");
  return result.ok() ? ended : result;
}

StatusOr<ConsentLedger::ChainEnd> ConsentLedger::VerifyRowsLocked() {
  TACET_ASSIGN_OR_RETURN(auto st,
                         db_.Prepare(std::string("SELECT ") + kEntryColumns +
                                     ", prev_hash, entry_hash FROM consent_history ORDER BY seq"));
  std::map<std::string, HistoryEntry> last_by_subject;
  int64_t expected_seq = 1;
  Hash prev{};
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    HistoryEntry e;
    TACET_RETURN_IF_ERROR(ReadHistoryRow(st, &e));
    const int64_t seq = e.seq;
    const std::string what = "consent history: entry " + std::to_string(seq);
    if (seq != expected_seq) {
      return DataLossError(what + " is out of sequence (expected entry " +
                           std::to_string(expected_seq) +
                           "): an entry was removed, inserted or renumbered");
    }
    if (!crypto::ConstantTimeEquals(e.prev_hash, prev)) {
      return DataLossError(what + " does not chain to entry " + std::to_string(seq - 1) +
                           " (prev_hash mismatch): an entry was removed, inserted or reordered");
    }
    if (!crypto::ConstantTimeEquals(ComputeEntryHash(e), e.entry_hash)) {
      return DataLossError(what + " does not match its hash: the entry was edited");
    }
    prev = e.entry_hash;
    ++expected_seq;
    last_by_subject[e.subject] = e;
  }

  TACET_ASSIGN_OR_RETURN(auto current, db_.Prepare(std::string("SELECT ") + kEntryColumns +
                                                   " FROM consent_state ORDER BY subject"));
  size_t rows = 0;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, current.Step());
    if (!row) break;
    ++rows;
    HistoryEntry e;
    const std::string what = "consent_state for '" + current.ColumnText(1) + "'";
    TACET_RETURN_IF_ERROR(ReadEntryColumns(current, 0, what, &e));
    auto it = last_by_subject.find(e.subject);
    if (it == last_by_subject.end()) {
      return DataLossError(what + " has no history entry");
    }
    if (!SameDecision(e, it->second)) {
      return DataLossError(what + " does not match its last history entry " +
                           std::to_string(it->second.seq));
    }
  }
  if (rows != last_by_subject.size()) {
    for (const auto& [subject, e] : last_by_subject) {
      TACET_ASSIGN_OR_RETURN(auto find,
                             db_.Prepare("SELECT 1 FROM consent_state WHERE subject = ?1"));
      TACET_RETURN_IF_ERROR(find.Bind(1, std::string_view(subject)));
      TACET_ASSIGN_OR_RETURN(bool found, find.Step());
      if (!found) {
        return DataLossError("consent_state has no row for '" + subject +
                             "' although history entry " + std::to_string(e.seq) + " decided it");
      }
    }
  }
  ChainEnd end;
  end.seq = expected_seq - 1;
  end.hash = prev;
  return end;
}

StatusOr<std::vector<HistoryEntry>> ConsentLedger::History(std::string_view subject) {
  std::lock_guard<std::mutex> lock(write_mu_);
  TACET_ASSIGN_OR_RETURN(
      auto st, db_.Prepare(std::string("SELECT ") + kEntryColumns +
                           ", prev_hash, entry_hash FROM consent_history"
                           " WHERE ?1 = '' OR subject = ?1 ORDER BY seq"));
  TACET_RETURN_IF_ERROR(st.Bind(1, subject));
  std::vector<HistoryEntry> out;
  while (true) {
    TACET_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    HistoryEntry e;
    TACET_RETURN_IF_ERROR(ReadHistoryRow(st, &e));
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<HistoryEntry> ConsentLedger::ReadEntryLocked(int64_t seq) {
  TACET_ASSIGN_OR_RETURN(auto st, db_.Prepare(std::string("SELECT ") + kEntryColumns +
                                              ", prev_hash, entry_hash FROM consent_history"
                                              " WHERE seq = ?1"));
  TACET_RETURN_IF_ERROR(st.Bind(1, seq));
  TACET_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFoundError("consent history: entry " + std::to_string(seq) + " does not exist");
  HistoryEntry e;
  TACET_RETURN_IF_ERROR(ReadHistoryRow(st, &e));
  return e;
}

StatusOr<std::string> ConsentLedger::Receipt(int64_t seq) {
  std::lock_guard<std::mutex> lock(write_mu_);
  TACET_ASSIGN_OR_RETURN(HistoryEntry e, ReadEntryLocked(seq));
  if (!crypto::ConstantTimeEquals(ComputeEntryHash(e), e.entry_hash)) {
    return DataLossError("consent history: entry " + std::to_string(seq) +
                         " does not match its hash: the entry was edited");
  }
  return ReceiptJson(e);
}

}  // namespace tacet::consent
