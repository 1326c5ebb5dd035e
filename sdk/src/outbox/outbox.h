// tacet::outbox::Outbox: the durable queue of recorded events waiting to leave the device
// (docs/sync.md). This part holds events; the uploader that batches, minimises and seals them per
// recipient comes next and reads them through List().
//
//   TACET_ASSIGN_OR_RETURN(auto outbox, Outbox::Open(db, keys, drbg, clock));
//   ledger.SetCommitHook(outbox.get());   // revocations purge in their own transaction
//   TACET_ASSIGN_OR_RETURN(int64_t id, outbox->Enqueue(event, EventState::kQueued));
//
// What it guarantees:
//   - an event survives a crash of the process once Enqueue returns (one transaction at the
//     normal durability class: WAL with synchronous=NORMAL, so a power cut may lose the last
//     few commits, never corrupt the queue); its fields are on disk only
//     sealed with AES-256-GCM under the outbox key (key store, kOutboxKeyName): no personal
//     plaintext in the database;
//   - a consent change that stops a purpose from collecting a category deletes every queued and
//     held event of that purpose carrying it, inside the consent change's own transaction
//     (consent::ConsentCommitHook); a grant releases the held events it allows in the same way;
//   - the queue is capped (OutboxOptions::max_events): the oldest queued event is evicted first,
//     and every eviction is counted (Counts) — never silent; an event already in a batch is
//     never evicted (it leaves with its batch), so the events in batches may exceed the cap;
//   - erasure deletes every event carrying an erased category (EraseCategories).
//
// Threads: one Outbox per database connection; its methods are called with that connection free
// (not inside another transaction), from one thread at a time — the Agent's storage lock — except
// OnConsentCommitting, which the ledger calls inside its own transaction on the same connection.
#ifndef TACET_OUTBOX_OUTBOX_H_
#define TACET_OUTBOX_OUTBOX_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "consent/consent_ledger.h"
#include "crypto/aead.h"
#include "crypto/drbg.h"
#include "crypto/secure.h"
#include "store/database.h"
#include "store/schema.h"
#include "store/statement.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/key_store.h"

namespace tacet::outbox {

// The outbox's tables, as published migration steps (agent::DeviceSchema lists them).
std::vector<store::Migration> OutboxMigrations();

// The key-store entry holding the 32-byte outbox key.
inline constexpr std::string_view kOutboxKeyName = "outbox_key";

// Limits on what one event may carry; larger events are refused with kInvalidArgument.
inline constexpr size_t kMaxFieldsPerEvent = 64;
inline constexpr size_t kMaxValueBytes = 16 * 1024;

// One field: `key` is "<category>.<field>" of the policy, `value` its text or bytes.
struct EventField {
  std::string key;
  std::string value;
};

struct Event {
  std::string purpose;
  std::vector<EventField> fields;
  int64_t occurred_unix_ms = 0;
};

enum class EventState : uint8_t {
  kHeld = 0,    // recorded while the purpose was not yet decided; leaves only once granted
  kQueued = 1,  // may leave the device (the uploader still asks the policy per recipient)
};

struct StoredEvent {
  int64_t id = 0;
  EventState state = EventState::kQueued;
  int64_t recorded_unix_ms = 0;
  Event event;
  std::vector<std::string> categories;  // the distinct categories of event.fields, sorted
};

struct OutboxOptions {
  // Queued plus held events at most; at the cap the oldest event (queued before held) is evicted.
  int64_t max_events = 100000;
};

// What the uploader stores for one batch (docs/sync.md, "Outbox and uploader").
enum class BatchKind : uint8_t {
  kEvents = 0,     // minimised events of one (recipient, purpose, categories) group
  kDeletions = 1,  // deletion requests only
};

enum class BatchState : uint8_t {
  kPending = 0,   // waiting for an acknowledgement (sent or not)
  kRejected = 2,  // the gateway refused it: kept, counted, reported, never resent
};

struct NewBatch {
  Bytes batch_id;  // 16 random bytes
  std::string recipient;
  BatchKind kind = BatchKind::kEvents;
  std::string purpose;                  // "" for deletion batches
  std::vector<std::string> categories;  // of the events, or of the deletion requests
  std::vector<std::string> forms;       // the transforms the minimiser applied ("none", ...)
  std::vector<int64_t> event_ids;       // the outbox events it carries
  std::vector<int64_t> deletion_ids;    // the deletion requests it carries
  Bytes wire;                           // the encoded wire batch (sealed at rest)
  // When it was built (the minimiser's time for its pseudonyms); 0: the outbox clock's now.
  int64_t created_unix_ms = 0;
};

// A stored batch without its contents.
struct BatchInfo {
  Bytes batch_id;
  std::string recipient;
  BatchKind kind = BatchKind::kEvents;
  std::string purpose;
  std::vector<std::string> categories;
  std::vector<std::string> forms;
  int64_t events = 0;
  int64_t deletions = 0;
  BatchState state = BatchState::kPending;
  int64_t created_unix_ms = 0;
  int64_t first_sent_unix_ms = 0;  // 0: never sent
  int64_t attempts = 0;
  int64_t next_attempt_unix_ms = 0;  // the backoff: not sent before this unless forced
  int64_t not_before_unix_ms = 0;    // the server's Retry-After: never sent before this
  std::string detail;                // the last answer's diagnostics
};

// One deletion request waiting for a batch.
struct PendingDeletion {
  int64_t id = 0;
  std::string recipient;
  std::string category;
  int64_t requested_unix_ms = 0;
};

// One row of the sharing log: a batch the gateway acknowledged or rejected, or one withdrawn
// after an attempt whose answer was not awaited.
struct SharingEntry {
  int64_t id = 0;
  Bytes batch_id;
  std::string recipient;
  BatchKind kind = BatchKind::kEvents;
  std::string purpose;
  std::vector<std::string> categories;
  std::vector<std::string> forms;
  int64_t events = 0;
  int64_t deletions = 0;
  int64_t first_sent_unix_ms = 0;
  int64_t answered_unix_ms = 0;
  int64_t attempts = 0;
  bool acknowledged = false;  // outcome == "acknowledged"
  // "acknowledged", "rejected", or "withdrawn": sent at least once, then purged by a consent
  // change or an erasure before its answer was applied (the gateway may have stored it).
  std::string outcome;
  std::string detail;
};

// Running totals since the database was created (outbox_counters), and the queue as it is now.
struct OutboxCounts {
  int64_t queued = 0;
  int64_t held = 0;
  int64_t evicted = 0;               // dropped at the cap
  int64_t purged_by_consent = 0;     // deleted by a consent change (revocation, refusal, policy)
  int64_t released = 0;              // held events a grant moved to the queue
  int64_t erased = 0;                // deleted by an erasure
  int64_t refused = 0;               // never stored: the recorder's decision said no
  // `refused` by reason ("purpose_denied", "unknown_field", ...: the recorder's names, see
  // docs/sync.md); refusals counted before reasons were kept appear under no reason.
  std::map<std::string, int64_t> refused_by_reason;
  int64_t expired = 0;      // held or queued events deleted by the retention sweep (ExpireEvents)
  int64_t quarantined = 0;  // rows whose seal did not open: kept, skipped by every read
  // The uploader's part.
  int64_t batches_pending = 0;       // waiting for an acknowledgement
  int64_t batches_rejected = 0;      // refused by the gateway, kept
  int64_t deletions_pending = 0;     // deletion requests not yet acknowledged
  int64_t batches_acknowledged = 0;  // running total
  int64_t batches_purged = 0;        // pending batches a consent change or an erasure deleted
  // Pending batches whose events were minimised again at send time because the consent state or
  // the policy had changed since they were built, and whose contents changed (ReviseBatch...).
  int64_t batches_revised = 0;
  // Batches a relay or the gateway refused as too large (413), replaced by two halves.
  int64_t batches_split = 0;
  int64_t not_shared = 0;            // queued events no recipient may get anything of (deleted)
  int64_t peer_authentication_failures = 0;  // running total
};

// One event for EnqueueMany; `event` is not owned and must outlive the call.
struct EnqueueItem {
  const Event* event = nullptr;
  EventState state = EventState::kQueued;
};

// The shape checks Enqueue applies (purpose, field count, value sizes, keys): kInvalidArgument
// naming what is wrong. The recorder runs them per event before its decision.
Status CheckEventShape(const Event& event);

// The distinct categories of an event's field keys ("usage.listening_history" -> "usage"),
// sorted. kInvalidArgument for a key without a "<category>." prefix or an empty field name.
StatusOr<std::vector<std::string>> CategoriesOf(const Event& event);

class Outbox final : public consent::ConsentCommitHook {
 public:
  // Opens the outbox over `db` (migrated with OutboxMigrations). Reads or creates the outbox key
  // (GetOrCreateSecret; 32 bytes from `drbg`), refusing a key of the wrong size or all zeros
  // (kDataLoss). Keeps non-owning references to `db`, `drbg` (nonces) and `clock`, which must
  // outlive it; `keys` is used only here (the key is copied and wiped on destruction).
  static StatusOr<std::unique_ptr<Outbox>> Open(store::Database& db, platform::KeyStore& keys,
                                                crypto::Drbg& drbg, platform::Clock& clock,
                                                OutboxOptions options = {});
  ~Outbox() override;
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Stores `event` in `state`, sealed, in one transaction, evicting at the cap first. The caller
  // has already decided that the event may be collected (the Agent's recorder asks
  // consent::DecideCollection); the outbox checks only its shape. Returns the event's id.
  // Errors: kInvalidArgument (bad shape, naming it), store errors (nothing stored).
  StatusOr<int64_t> Enqueue(const Event& event, EventState state);

  // Stores every item in ONE transaction (one commit for the lot), evicting at the cap before
  // each insert as Enqueue does. All or nothing: a shape error of any item (kInvalidArgument
  // naming its index) or a store error stores none of them. Returns the ids, in order.
  StatusOr<std::vector<int64_t>> EnqueueMany(const std::vector<EnqueueItem>& items);

  // consent::ConsentCommitHook. For every (purpose, categories, state) group in the outbox,
  // decides with consent::DecideCollection under `next`: all categories allowed releases held
  // events; a held group whose only obstacle is a question not yet asked stays held; anything
  // else deletes the group. Counted in the same transaction.
  Status OnConsentCommitting(store::Database& db, const consent::ConsentSnapshot& next) override;

  // Deletes every event carrying one of `categories` (every event when `everything`), in one
  // transaction. Returns how many were deleted.
  StatusOr<int64_t> EraseCategories(const std::vector<std::string>& categories, bool everything);

  // Events in `state`, oldest first, at most `limit`, opened. A row whose seal does not open
  // (tampering, another key) or whose sealed contents are malformed is quarantined: marked, never
  // returned again by List or ListUnbatched, counted (`quarantined`) and kept (not deleted; a
  // consent change, an erasure or the retention sweep still deletes it with its group). Its id
  // is added to `*quarantined_ids` when given.
  StatusOr<std::vector<StoredEvent>> List(EventState state, int64_t limit,
                                          std::vector<int64_t>* quarantined_ids = nullptr);

  // Deletes the held and queued events not yet in a batch that carry a category whose retention
  // (`retention_ms` by category id; absent or <= 0: no limit) has passed since they were
  // recorded (recorded_unix_ms + retention <= now). One transaction; counted (`expired`).
  // Events already in a pending batch leave with the batch (acknowledged, purged) instead.
  StatusOr<int64_t> ExpireEvents(const std::map<std::string, int64_t>& retention_ms,
                                 int64_t now_unix_ms);

  StatusOr<OutboxCounts> Counts();

  // Counts events the recorder refused (nothing of them is stored; only the counts), one per
  // entry of `reasons` (the reason's name; "" counts under no reason). One transaction.
  Status CountRefusal(std::string_view reason = {});
  Status CountRefusals(const std::vector<std::string>& reasons);

  // ---- the uploader's side (sync::Uploader). The *InTransaction methods run inside the
  // caller's open transaction on this outbox's database; the others open their own.
  // Queued events not yet batched, oldest first, at most `limit`, opened (as List).
  StatusOr<std::vector<StoredEvent>> ListUnbatched(int64_t limit);
  // Deletion requests not yet in a batch, oldest first.
  StatusOr<std::vector<PendingDeletion>> ListUnbatchedDeletions();
  // Stores `batch` pending (its wire bytes sealed under the outbox key, bound to its id and
  // recipient), links its events and deletion requests to it. kInvalidArgument for a batch id
  // that is not 16 bytes, an empty recipient or a batch carrying nothing.
  Status StoreBatchInTransaction(const NewBatch& batch);
  // Marks `event_ids` batched; those no batch links (nothing of them may go to anyone) are
  // deleted and counted (`not_shared`).
  Status MarkBatchedInTransaction(const std::vector<int64_t>& event_ids);
  // Pending and rejected batches, oldest first.
  StatusOr<std::vector<BatchInfo>> ListBatches();
  // kNotFound when the batch is gone (acknowledged, purged by a consent change or an erasure).
  StatusOr<BatchInfo> FindBatchInTransaction(ByteView batch_id);
  // The batch's wire bytes. kDataLoss when its seal does not open (altered, moved to another id
  // or recipient); kNotFound when it is gone.
  StatusOr<Bytes> OpenBatch(ByteView batch_id);
  // The events `batch_id` links, by id, opened as List opens them (a row that does not open is
  // quarantined, counted and left out; quarantined rows are left out).
  StatusOr<std::vector<StoredEvent>> LinkedEventsInTransaction(ByteView batch_id);
  // Replaces a pending batch's contents with `wire` (sealed anew), `forms` and the links to
  // `keep_event_ids` (a subset of its events, in the order of the wire's events): the uploader
  // minimised its events again under a consent state or policy newer than the one it was built
  // under. Links to the other events are removed, and an event no batch links any more is
  // deleted (counted `not_shared`). A batch already attempted gets a sharing-log row `withdrawn`
  // for the contents it had (the gateway may have stored them), with `why`. Counted
  // `batches_revised`. kInvalidArgument for an empty `keep_event_ids` (withdraw it instead),
  // kNotFound when the batch is gone, kFailedPrecondition when it is not pending.
  Status ReviseBatchInTransaction(ByteView batch_id, const Bytes& wire,
                                  const std::vector<std::string>& forms,
                                  const std::vector<int64_t>& keep_event_ids, std::string_view why);
  // Deletes a batch with its links; an event no batch links any more is deleted (counted
  // `not_shared`). With `may_have_arrived` (an attempt whose answer was not a refusal), a
  // sharing-log row `withdrawn` with `why`. The caller counts why it went (`AddToCounter`).
  // kNotFound when it is gone.
  Status WithdrawBatchInTransaction(ByteView batch_id, std::string_view why, bool may_have_arrived);
  // Marks events quarantined (kept, skipped by every read, counted once): the uploader could not
  // put them in any wire batch. `why` is not stored (the caller reports it).
  Status QuarantineEventsInTransaction(const std::vector<int64_t>& event_ids);
  // One attempt starts: attempts + 1, first_sent set once, next_attempt as given.
  Status RecordAttemptInTransaction(ByteView batch_id, int64_t now_unix_ms,
                                    int64_t next_attempt_unix_ms);
  // A retry-later answer: when to try again (backoff) and never before (Retry-After), and why.
  Status RecordRetry(ByteView batch_id, int64_t next_attempt_unix_ms, int64_t not_before_unix_ms,
                     std::string_view detail);
  // An acknowledgement: appends the sharing-log row, deletes the batch, its links and deletion
  // requests, and every event it carried that no other batch links (all in the caller's
  // transaction). Returns the batch as it was; kNotFound when it is already gone.
  // `duplicate`: the gateway said it already had this batch id; when the batch was revised after
  // an attempt, the row names the forms the gateway may hold (those of the attempts before the
  // revision, and the current ones if an attempt was made since).
  StatusOr<BatchInfo> AcknowledgeInTransaction(ByteView batch_id, int64_t now_unix_ms,
                                               std::string_view detail, bool duplicate = false);
  // A rejection: the batch becomes kRejected (kept, never resent) and a sharing-log row is
  // appended. kNotFound when it is gone.
  StatusOr<BatchInfo> RejectInTransaction(ByteView batch_id, int64_t now_unix_ms,
                                          std::string_view detail);
  // The sharing log, oldest first.
  Status ForEachSharingEntry(const std::function<Status(const SharingEntry&)>& fn);
  // Adds `delta` to a running total ("peer_authentication_failures").
  Status AddToCounter(std::string_view name, int64_t delta);
  // The uploader's own small state that must outlive a process (the rate limit's bucket), kept
  // beside the counters under names starting "state:". Set inside the caller's transaction;
  // ReadState gives nullopt for a name never set.
  Status SetStateInTransaction(std::string_view name, int64_t value);
  StatusOr<std::optional<int64_t>> ReadState(std::string_view name);

 private:
  Outbox(store::Database& db, crypto::Drbg& drbg, platform::Clock& clock, OutboxOptions options);
  // The queue's size while one transaction of Enqueue or EnqueueMany inserts: read once at its
  // start, kept here, and what changed written back once at its end (migration 4 dropped the
  // per-row insert trigger; the delete trigger still takes evictions off the stored size).
  struct InsertRun {
    int64_t size = 0;      // rows in outbox_events now, evictions and inserts included
    int64_t inserted = 0;  // not yet added to outbox_counters 'size'
    int64_t evicted = 0;   // not yet added to the 'evicted' counter
  };
  StatusOr<InsertRun> StartInsertRun();
  Status FinishInsertRun(const InsertRun& run);
  Status EvictInTransaction(InsertRun& run);
  // Seals and inserts one event (shape already checked) inside the caller's transaction.
  StatusOr<int64_t> InsertInTransaction(const Event& event, EventState state, InsertRun& run);
  StatusOr<std::vector<StoredEvent>> ReadEvents(store::Statement& q, EventState state,
                                                std::vector<int64_t>* quarantined_ids);
  // Deletes the pending and rejected event batches of a (purpose, categories) group with their
  // links; counted. With `queue_deletions`, batches already attempted queue deletion requests
  // for their recipient and categories (the gateway may have stored them).
  Status PurgeBatchesInTransaction(store::Database& db, const char* where, std::string_view a,
                                   std::string_view b, bool queue_deletions, int64_t now_ms);
  // Purges every pending or rejected event batch whose (purpose, categories) `next` no longer
  // allows (consent::DecideCollection), found through outbox_batches itself, with its events.
  Status PurgeBatchesForChangeInTransaction(store::Database& db,
                                            const consent::ConsentSnapshot& next);
  Status QueueDeletionInTransaction(std::string_view recipient, std::string_view category,
                                    int64_t now_ms);
  Bytes BatchAad(ByteView batch_id, std::string_view recipient) const;

  store::Database& db_;
  crypto::Drbg& drbg_;
  platform::Clock& clock_;
  const OutboxOptions options_;
  crypto::SecretBytes key_;
  // Made once and kept: the recorder's per-event path prepares nothing and runs no key schedule.
  std::optional<crypto::Aead> aead_;
  std::optional<store::Statement> size_query_;
  std::optional<store::Statement> insert_;
  std::optional<store::Statement> evict_;
  std::optional<store::Statement> add_counter_;
};

}  // namespace tacet::outbox

#endif  // TACET_OUTBOX_OUTBOX_H_
