// tacet::consent::ConsentLedger: the user's consent decisions, kept in the device database,
// published to the capture gates as immutable snapshots.
//
//   TACET_ASSIGN_OR_RETURN(auto ledger, ConsentLedger::Open(db, policy, clock, keys, drbg));
//   TACET_RETURN_IF_ERROR(ledger->SetPurpose("voice_features", ConsentState::kGranted,
//                                            DecisionSource::kUser));
//   const ConsentSnapshot& s = ledger->snapshot();          // lock-free, allocation-free
//   if (s.Allows(s.PurposeIndex("voice_features"), s.CategoryIndex("voice"))) { ... }
//
// Every change is one Durability::kCritical transaction that updates the current state
// (consent_state), appends a hash-chained entry to consent_history and moves the keyed head
// (consent_head: the last entry's seq and hash with an HMAC under a key-store key); the new
// snapshot is published only after the commit succeeded, so a failed write leaves the database
// and the published snapshot as they were. Several ledgers (threads with their own connections,
// or processes) may write one database: each write takes the chain's head and the stored
// decisions from the database inside its BEGIN IMMEDIATE transaction, never from memory. There
// is no "pending" state: until a Set call has committed, the subject keeps its previous state
// (kUnknown for a consent-based purpose nobody decided).
// Formats, initial states and the memory bound are in docs/consent.md.
#ifndef TACET_CONSENT_CONSENT_LEDGER_H_
#define TACET_CONSENT_CONSENT_LEDGER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "consent/consent_snapshot.h"
#include "consent/consent_types.h"
#include "crypto/drbg.h"
#include "crypto/secure.h"
#include "policy/diff.h"
#include "policy/policy.h"
#include "store/database.h"
#include "store/schema.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/key_store.h"

namespace tacet::consent {

// The ledger's tables, versions numbered from 1 within the module; the device schema appends them
// to the other modules' steps. Step 1: consent_state, consent_history, consent_policy. Step 2:
// consent_head (the keyed head) and consent_anchor_pending, a marker the step inserts when the
// history already has entries, so that the first Open after the upgrade anchors that history.
std::vector<store::Migration> ConsentMigrations();

using Hash = std::array<uint8_t, 32>;

// The key-store name of the head's HMAC key (32 bytes).
inline constexpr char kConsentHeadKeyName[] = "consent_head_mac";
// The key-store name of a 1-byte flag written once a ledger with this key store has anchored its
// history; from then on an anchor-pending marker in the database is refused as forged.
inline constexpr char kConsentAnchoredFlagName[] = "consent_head_anchored";
inline constexpr size_t kConsentHeadKeySize = 32;

// One entry of the hash-chained history (docs/consent.md, "History").
struct HistoryEntry {
  int64_t seq = 0;          // 1, 2, 3, ... without gaps
  std::string subject;      // SubjectKey: "purpose:<id>", "channel:<id>", "category:<id>", "location"
  ConsentState state = ConsentState::kUnknown;
  LocationPrecision precision = LocationPrecision::kNone;  // kNone except for "location"
  int64_t time_unix_ms = 0;  // Clock::NowUnixMillis() when the decision was committed
  std::string policy_id;
  uint64_t policy_version = 0;
  Hash policy_hash{};        // Policy::hash() of the policy the decision was made under
  DecisionSource source = DecisionSource::kUser;
  Hash prev_hash{};          // the previous entry's entry_hash; 32 zero bytes for seq 1
  Hash entry_hash{};
};

// entry_hash = SHA-256(prev_hash || seq || subject || state || precision || time || policy id ||
// policy version || policy hash || source), each field in the canonical length-prefixed encoding
// of docs/consent.md. Uses entry.prev_hash, ignores entry.entry_hash. Pure; thread-safe.
Hash ComputeEntryHash(const HistoryEntry& entry);

// The head's MAC: HMAC-SHA-256(key, "tacet-consent-head-v1" || u64be(seq) || entry_hash)
// (RFC 2104; docs/consent.md, "Keyed head"). Pure; thread-safe.
Hash ComputeHeadMac(ByteView key, int64_t seq, const Hash& entry_hash);

// A consent receipt for one history entry as a JSON object (docs/consent.md, "Receipts"). Pure;
// thread-safe. kOutOfRange when the time cannot be written in RFC 3339 (before year 0 or after
// 9999).
StatusOr<std::string> ReceiptJson(const HistoryEntry& entry);

// Told about every committed change. Called after the commit, on the thread that made the change,
// outside the ledger's write lock but under its listener lock: callbacks are serialised, and a
// listener sees generations strictly increasing (a change committed by another thread meanwhile
// may be folded into a later notification). Must not block long; must not call the ledger's
// mutating methods, AddListener or RemoveListener (that would deadlock). It may call snapshot().
class ConsentListener {
 public:
  virtual ~ConsentListener() = default;
  virtual void OnConsentChanged(const ConsentSnapshot& snapshot) = 0;
};

// Runs inside the write transaction of every change the ledger commits (a decision, a policy
// update), after the ledger's rows are written and before the commit: what it writes through `db`
// (the ledger's connection) commits or rolls back with the change. `next` is the snapshot the
// change publishes if it commits. The outbox uses it to delete what a revocation no longer allows
// in the revocation's own transaction (docs/sync.md).
//
// Called on the writing thread with the ledger's write lock held: it must not call the ledger's
// mutating methods, must not start or end a transaction, and must not block on anything that may
// wait for the ledger. An error aborts the change: nothing is written, nothing is published, and
// the error (with context) is returned to the caller of the change.
class ConsentCommitHook {
 public:
  virtual ~ConsentCommitHook() = default;
  virtual Status OnConsentCommitting(store::Database& db, const ConsentSnapshot& next) = 0;
};

class ConsentLedger {
 public:
  // Loads the decisions from `db` (which must have been opened with a schema that includes
  // ConsentMigrations()) and publishes the first snapshot under `policy`. If the database last
  // saw a different policy (a policy update whose ApplyPolicyUpdate never ran, e.g. after a
  // crash), the update is applied now exactly as ApplyPolicyUpdate would. On first use the policy
  // is recorded (one critical transaction).
  //
  // The head key: read from `keys` (kConsentHeadKeyName); created (32 bytes from `drbg`, through
  // GetOrCreateSecret, so concurrent first opens agree on one key) only while the history is
  // empty and has no head, or to anchor a history the upgrade to step 2 marked as pending (and
  // only if this key store never anchored before, kConsentAnchoredFlagName). Anchoring verifies
  // the whole chain first and writes the head of its last entry in one transaction.
  //
  // Ownership: keeps non-owning references to `db` and `clock`, which must outlive the ledger,
  // and shares `policy` (must not be null); `keys` and `drbg` are used during Open only (the key
  // is copied, and wiped when the ledger is destroyed). The caller owns the ledger. Other ledgers
  // on other connections (threads, processes) may write the same tables; nothing else may.
  // Errors: kInvalidArgument for a null policy; kDataLoss when stored rows are malformed, when the
  // history (or its head) exists but the head key is missing, wrong-sized or all zeros, when an
  // anchor-pending marker appears after this key store already anchored, or when the chain to be
  // anchored does not verify; key-store and store errors as they come.
  static StatusOr<std::unique_ptr<ConsentLedger>> Open(store::Database& db,
                                                       std::shared_ptr<const policy::Policy> policy,
                                                       platform::Clock& clock,
                                                       platform::KeyStore& keys,
                                                       crypto::Drbg& drbg);
  ConsentLedger(const ConsentLedger&) = delete;
  ConsentLedger& operator=(const ConsentLedger&) = delete;
  // Frees every snapshot ever published: no thread may use a snapshot reference afterwards.
  ~ConsentLedger();

  // The current snapshot: one acquire load; lock-free and allocation-free. The reference stays
  // valid (and its contents unchanged) for the ledger's lifetime, also after later changes.
  // Thread-safe.
  const ConsentSnapshot& snapshot() const noexcept {
    return *current_.load(std::memory_order_acquire);
  }

  // Records a decision under the current policy. Each call is one critical transaction and one
  // history entry, then a new snapshot, then the listeners. Thread-safe (writers are serialised).
  // Inside the transaction the chain's last entry and the head are re-read and checked (MAC, seq,
  // hash), and the stored decisions re-loaded, so the new snapshot is what the database holds
  // after the commit, including changes other connections made. When another connection keeps
  // the database busy past its busy timeout, the write is retried up to kMaxWriteAttempts times
  // with a growing pause (10, 20, 40, 80 ms) before kUnavailable is returned.
  // Errors: kNotFound when the policy has no such purpose / channel / category;
  // kFailedPrecondition for refusing a non-refusable purpose or declining a non-optional
  // category; kInvalidArgument for an out-of-range enum value; kDataLoss when the head is
  // missing, stale or fails its MAC and the change is not a refusal (a write never re-anchors
  // such a chain; a denial, a decline or location "none" is still recorded, leaving the head
  // stale for Verify to report: a user's "no" is never refused); store errors (then nothing
  // changed: neither the database nor the published snapshot).
  // When the stored decisions did not hold together at Open (integrity() is not OK), every
  // snapshot the ledger publishes is fail-closed: refusable purposes, channels and optional
  // categories denied, location none, whatever the rows say.
  Status SetPurpose(std::string_view purpose_id, ConsentState state, DecisionSource source);
  Status SetChannel(std::string_view channel_id, ConsentState state, DecisionSource source);
  Status SetCategoryProvided(std::string_view category_id, bool provided, DecisionSource source);
  Status SetLocationPrecision(LocationPrecision precision, DecisionSource source);

  // Switches to `new_policy` (must not be null) given diff = DiffPolicies(old, new): each purpose
  // in diff.PurposesNeedingConsent() that the user can refuse is re-opened — a widened purpose
  // goes back to kUnknown, a new one to its initial state — with source kPolicyUpdate and a
  // history entry whenever its effective state changes or it had a stored decision. Unchanged
  // purposes keep the user's choice; removed purposes drop out of the snapshot (their history
  // stays). One critical transaction; then a new snapshot and the listeners. Thread-safe.
  Status ApplyPolicyUpdate(std::shared_ptr<const policy::Policy> new_policy,
                           const policy::PolicyDiff& diff);

  // Listeners are not owned; RemoveListener before destroying one. After RemoveListener returns
  // the listener is not called again. Thread-safe, except from inside a listener.
  void AddListener(ConsentListener* listener);
  void RemoveListener(ConsentListener* listener);

  // Sets the one commit hook (nullptr: none). Not owned; it must outlive its registration.
  // Thread-safe: waits for a change in progress, and the next change sees the new hook.
  void SetCommitHook(ConsentCommitHook* hook);

  // Recomputes the whole hash chain, checks that consent_state agrees with the last history entry
  // of every subject, and checks the keyed head: its MAC, and that it names the last entry (seq
  // and hash); a missing head while entries exist, or a head over an empty history, is data
  // loss. kDataLoss naming the first bad entry (seq), subject or the head. Thread-safe.
  Status Verify();
  // The history in seq order; only `subject`'s entries when it is not empty. Thread-safe.
  StatusOr<std::vector<HistoryEntry>> History(std::string_view subject = {});
  // The receipt (ReceiptJson) of entry `seq`, after checking the entry's own hash. kNotFound for
  // no such entry; kDataLoss if the entry does not match its hash. Thread-safe.
  StatusOr<std::string> Receipt(int64_t seq);

  // How many snapshots the ledger keeps alive (every one it published; docs/consent.md gives the
  // bytes per change). Thread-safe.
  size_t retained_snapshots() const;

  // OK, or why the stored decisions were not trusted at Open (the snapshots are then
  // fail-closed). Thread-safe.
  Status integrity() const;

  // How many times a write tries when the database stays busy.
  static constexpr int kMaxWriteAttempts = 5;

 private:
  struct Change;
  struct Plan;
  struct ChainEnd;
  // Decides, inside the write transaction, what to write: `builder` holds the stored decisions
  // (just re-loaded) under the policy being committed, `stored` every stored subject key.
  using Planner = std::function<Status(SnapshotBuilder& builder,
                                       const std::vector<std::string>& stored, Plan& plan)>;
  ConsentLedger(store::Database& db, platform::Clock& clock);

  // Reads consent_state rows for subjects that `builder`'s policy has; `subjects` (optional)
  // receives every stored subject key.
  Status LoadRowsLocked(SnapshotBuilder& builder, std::vector<std::string>* subjects);
  // Reads (or creates) the head key and anchors a history the upgrade marked as pending.
  Status OpenHeadLocked(platform::KeyStore& keys, crypto::Drbg& drbg);
  Status AnchorPendingLocked();
  // The last history entry (seq 0 and the zero hash for an empty history).
  StatusOr<ChainEnd> ReadChainEndLocked();
  // kDataLoss unless the head exists exactly when `end` is an entry, names it, and its MAC holds.
  Status CheckHeadLocked(const ChainEnd& end);
  // Recomputes the chain and the current-state cross-check; returns the chain's end.
  StatusOr<ChainEnd> VerifyRowsLocked();
  StatusOr<std::shared_ptr<const policy::Policy>> ReadRecordedPolicyLocked();
  // Computes the re-opened purposes for a policy change into `changes` and `builder` (a builder
  // over the new policy holding the stored decisions).
  void PlanPolicyUpdate(const policy::PolicyDiff& diff, const std::vector<std::string>& stored,
                        SnapshotBuilder& builder, std::vector<Change>& changes);
  // One critical transaction under `policy`: re-reads the head and the stored decisions, lets
  // `planner` decide, writes its changes (history, state, head) and, when it says so, the policy.
  // Retries on kUnavailable. On success publishes the new snapshot and returns it.
  StatusOr<const ConsentSnapshot*> CommitLocked(std::shared_ptr<const policy::Policy> policy,
                                                const Planner& planner);
  StatusOr<std::unique_ptr<const ConsentSnapshot>> TryCommitLocked(
      const std::shared_ptr<const policy::Policy>& policy, const Planner& planner);
  Status SetLocked(Change change, std::unique_lock<std::mutex>& lock);
  void Publish(std::unique_ptr<const ConsentSnapshot> snapshot);
  void Notify(const ConsentSnapshot* snapshot);
  StatusOr<HistoryEntry> ReadEntryLocked(int64_t seq);

  store::Database& db_;
  platform::Clock& clock_;
  crypto::SecretBytes head_key_;  // set once by Open
  // Set once by Open: the key store says this device's history was anchored before, so a missing
  // head is data loss even when the history is empty.
  bool anchored_before_ = false;
  bool forged_marker_ = false;  // set once by Open: an "anchor pending" marker it did not honour
  // Set once by Open: whether the stored decisions held together (chain, state rows, keyed head).
  // While they do not, every published snapshot is fail-closed (FailClosed in the .cc) and only
  // narrowing changes are written.
  Status integrity_;

  // Guards the database, published_ and generation_.
  mutable std::mutex write_mu_;
  uint64_t generation_ = 0;
  std::vector<std::unique_ptr<const ConsentSnapshot>> published_;
  std::atomic<const ConsentSnapshot*> current_{nullptr};

  std::mutex listeners_mu_;  // serialises callbacks; never taken while holding write_mu_
  std::vector<ConsentListener*> listeners_;
  ConsentCommitHook* commit_hook_ = nullptr;  // guarded by write_mu_
  uint64_t notified_generation_ = 0;
};

}  // namespace tacet::consent

#endif  // TACET_CONSENT_CONSENT_LEDGER_H_
