// tacet::sync::Uploader: turns the outbox's queued events into per-recipient batches and sends
// them to the Oblivious Gateway, exactly once (docs/sync.md, "Outbox and uploader"; the bytes on
// the wire: docs/wire-format.md and the sync contract's §1).
//
//   Uploader::Start   (storage lock held)  builds batches, sends what is due
//   Uploader::WaitForAnswers (no lock)     waits for the transport's callbacks
//   Uploader::Finish  (storage lock held)  applies the answers: ack / rejection / retry later
//
// Batches. One batch per (recipient, purpose, categories of the event) group, at most
// max_events_per_batch events: a consent change that purges a group purges whole batches. The
// recipients of an event are the policy's recipients the minimiser would send anything of it to;
// an event no recipient may get anything of is deleted when batched (counted `not_shared`). A
// batch is stored (outbox::Outbox::StoreBatchInTransaction: sealed at rest, linked to its events)
// in the transaction that builds it, before its first attempt. Deletion requests travel in
// batches of their own, one per recipient.
//
// Byte limit. A batch's encoded bytes stay within max_batch_bytes (slices are halved until they
// fit); a 413 halves the limit and splits the refused batch in two (docs/sync.md).
//
// Checked at send time. A batch built or last checked under an older consent snapshot (or in an
// earlier process) has its events minimised again before the attempt; changed contents replace
// the stored ones under the same id, nothing left withdraws it (docs/sync.md, "Checked at send
// time"). A stored batch that does not open or decode is rejected, and the round goes on.
//
// Attempts. Each attempt runs in one BEGIN IMMEDIATE transaction that finds the batch still
// stored (a revocation committed before deletes it: nothing of it is sent after), counts the
// attempt, encapsulates the stored wire batch anew (fresh HPKE context) inside the contract's BHTTP
// POST and hands it to Transport::Send. The same batch id on every attempt: the gateway stores a
// batch id once.
//
// Answers. An acknowledgement (BHTTP 200 whose content is the 17-byte batch id || disposition,
// the id compared in constant time) deletes the batch, its links, its deletion requests and every
// event no other batch links, appends the sharing-log row and the audit kDisclosure entry, all in
// one transaction. A rejection (outer 4xx from the transport, inner 400 or 422) keeps the batch as
// kRejected (counted, reported, never resent) with a sharing-log row. Anything else (retry later,
// inner 503, an answer that does not open or is not an acknowledgement of this batch) schedules a
// retry: full-jitter exponential backoff from backoff_initial_ms to backoff_max_ms (random from the
// DRBG), Retry-After as a floor. A retry later whose detail starts with
// platform::kPeerAuthenticationFailed is counted (outbox counter and RoundResult).
//
// Rate limit. A token bucket of max_uploads_per_hour attempts (refilled continuously), stored with
// each attempt and read back by Create, so reopening the device does not refill it. 0: no limit.
//
// Ephemerals. Each attempt's HPKE ephemeral comes from a small pool (sealer::OhttpEphemeralPool)
// that WaitForAnswers refills while the network holds the previous attempt, so an attempt made
// under the storage lock pays one X25519 instead of two (the first of a process pays both).
//
// Threads. Start and Finish run under the caller's lock, with the database free (the Agent's
// storage lock). WaitForAnswers and the transport's callbacks may run on any thread; callbacks
// only store the answer (they never touch the database). Answers arriving after the Uploader is
// destroyed are dropped; the batch is retried after the next open (the gateway deduplicates).
#ifndef TACET_SYNC_UPLOADER_H_
#define TACET_SYNC_UPLOADER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "base/bytes.h"
#include "base/status.h"
#include "consent/consent_ledger.h"
#include "crypto/drbg.h"
#include "crypto/hpke.h"
#include "minimise/minimiser.h"
#include "outbox/outbox.h"
#include "sealer/ohttp.h"
#include "store/database.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/transport.h"

namespace tacet::sync {

// The key-store entry of the device secret the minimiser derives its per-recipient keys from.
inline constexpr std::string_view kPseudonymSecretName = "pseudonym_secret";

// The inner request and the acknowledgement (sync contract §1).
inline constexpr std::string_view kDefaultGatewayAuthority = "collector.tacet.invalid";
inline constexpr std::string_view kBatchPath = "/v1/batches";
inline constexpr std::string_view kBatchMediaType = "application/vnd.tacet.batch";
inline constexpr std::string_view kAckMediaType = "application/vnd.tacet.ack";
inline constexpr size_t kAckSize = 17;  // batch id (16) || disposition (1)
inline constexpr uint8_t kAckStored = 0;
inline constexpr uint8_t kAckDuplicate = 1;

struct UploaderOptions {
  Bytes key_config;  // the gateway's key configuration (RFC 9458 §3.1), pinned
  std::string gateway_authority = std::string(kDefaultGatewayAuthority);
  int64_t max_events_per_batch = 500;
  // The request on the network (the wire batch inside its Binary HTTP framing and its
  // encapsulation) at most, 4 KiB .. 1 MiB, the reference servers' body cap; a single event larger
  // than this still goes alone. A 413 from a relay or gateway halves the limit for this Uploader's
  // life and splits the refused batch if no earlier attempt of it may have been stored.
  int64_t max_batch_bytes = 256 * 1024;
  int64_t backoff_initial_ms = 1000;
  int64_t backoff_max_ms = 3600 * 1000;
  int64_t max_uploads_per_hour = 0;  // 0: no limit
  // How long an attempt without an answer counts as in flight (then it may be made again).
  int64_t attempt_timeout_ms = 10000;
  crypto::HpkeAead aead = crypto::HpkeAead::kAes128Gcm;
};

struct UploaderDeps {
  store::Database* db = nullptr;  // the outbox's connection
  outbox::Outbox* outbox = nullptr;
  audit::AuditLog* audit = nullptr;
  const consent::ConsentLedger* ledger = nullptr;  // its snapshot decides at send time
  const minimise::Minimiser* minimiser = nullptr;
  platform::Transport* transport = nullptr;
  platform::Clock* clock = nullptr;
  crypto::Drbg* drbg = nullptr;
};

// What one round did (tacet_sync_result).
struct RoundResult {
  int64_t batches_sent = 0;
  int64_t batches_acknowledged = 0;
  int64_t events_delivered = 0;
  int64_t deletions_delivered = 0;
  int64_t batches_rejected = 0;
  int64_t batches_revised = 0;    // minimised again before an attempt (consent or policy changed)
  int64_t batches_withdrawn = 0;  // found at send time to carry nothing that may still leave
  int64_t batches_split = 0;      // refused as too large (413) and split in two
  int64_t batches_unreadable = 0;  // stored batches that no longer open: rejected, kept
  int64_t batches_pending = 0;
  int64_t peer_authentication_failures = 0;
  int64_t next_attempt_unix_ms = 0;  // 0: nothing waiting
};

// Full jitter: a delay in [0, min(max_ms, initial_ms * 2^(failures - 1))] chosen by `random`.
int64_t BackoffDelayMs(int64_t failures, uint64_t random, int64_t initial_ms, int64_t max_ms);

class Uploader {
 public:
  // Every dependency is required and not owned (they must outlive the Uploader). Errors:
  // kInvalidArgument naming the bad option, or a key configuration that does not parse or does
  // not offer (HKDF-SHA256, options.aead).
  static StatusOr<std::unique_ptr<Uploader>> Create(const UploaderDeps& deps,
                                                    UploaderOptions options);
  ~Uploader();
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Starts a round: resets the round's counts, builds batches for the queued events and the
  // deletion requests, then sends every pending batch that is due: its backoff passed, or
  // `force` (the backoff is ignored, Retry-After is not), not already in flight, within the rate
  // limit. With `controller_notice_pending` nothing is built or sent. Returns the Sends made.
  StatusOr<int64_t> Start(bool force, bool controller_notice_pending);
  // Makes the round's next attempt (storage lock held): none while an earlier attempt is
  // unanswered, each pending batch at most once per round, only while the round is open (from
  // Start to Finish). Returns the Sends made (0 or 1).
  StatusOr<int64_t> SendNext();
  // true while a Send is not answered yet. Thread-safe.
  bool InFlight() const;
  // Waits (real time, at most timeout_ms) until every Send made so far is answered, or
  // Interrupt is called. true: all answered. Thread-safe; call it without the caller's lock.
  bool WaitForAnswers(int64_t timeout_ms);
  // Wakes a WaitForAnswers (it returns false). Thread-safe.
  void Interrupt();
  // Applies every answer received so far (storage lock held); the round stays open.
  Status ApplyAnswers();
  // Applies every answer received so far, closes the round and returns the round's counts.
  StatusOr<RoundResult> Finish();
  // Called (on the transport's thread, without any lock of the uploader held) whenever an answer
  // arrives. It must not block or call Finish itself (schedule it instead).
  void SetAnswerListener(std::function<void()> listener);

 private:
  struct Mailbox;
  Uploader(const UploaderDeps& deps, UploaderOptions options, sealer::OhttpKeyConfig config);
  Status BuildBatches(int64_t now_ms);
  // Stores events [begin, end) of a group as one batch, or as several when the encoded batch
  // exceeds the byte limit; an event that cannot be encoded even alone goes to `unencodable`.
  struct Group;
  Status StoreSlices(const std::string& recipient, const std::string& purpose, const Group& g,
                     size_t begin, size_t end, const Bytes& subject, int64_t now_ms,
                     std::vector<int64_t>* unencodable);
  // The events `batch` links, minimised again for its recipient under the current snapshot, at
  // the batch's build time (so that pseudonyms and the subject stay those of its period).
  StatusOr<std::vector<std::pair<int64_t, minimise::MinimisedEvent>>> Reminimise(
      const outbox::BatchInfo& batch);
  // Before an attempt (inside its transaction): unless this batch was built or checked under the
  // snapshot in force, minimises its events again; changed contents replace the stored ones
  // (same batch id), nothing left withdraws it. false: withdrawn, do not send.
  StatusOr<bool> RecheckInTransaction(const outbox::BatchInfo& batch);
  // Stores `fresh` (the batch's events minimised again) as new batches (in two halves at least
  // with `halves`, else as the byte limit cuts them) and withdraws `batch`, which must never have
  // been stored by the gateway.
  Status ReplaceInTransaction(const outbox::BatchInfo& batch,
                              std::vector<std::pair<int64_t, minimise::MinimisedEvent>> fresh,
                              bool halves, std::string_view why);
  // A 413 for `batch`: splits its events into two new batches, or withdraws it when nothing of it
  // may leave any more (true); false when it holds one event or an earlier attempt may have been
  // stored (then it is rejected as usual).
  StatusOr<bool> SplitInTransaction(const outbox::BatchInfo& batch, std::string_view detail);
  Status SendOne(const outbox::BatchInfo& batch, int64_t now_ms);
  Status LoadRateBucket();
  Status SaveRateBucketInTransaction();
  bool TakeToken(int64_t now_ms);
  int64_t NextTokenAt(int64_t now_ms) const;
  Status ApplyAnswer(const Bytes& batch_id, const sealer::OhttpClientContext& context,
                     const platform::SendResult& result);
  Status Retry(const Bytes& batch_id, int64_t retry_after_ms, std::string_view detail);

  UploaderDeps deps_;
  const UploaderOptions options_;
  const sealer::OhttpKeyConfig config_;
  std::shared_ptr<Mailbox> mailbox_;
  RoundResult round_;
  bool round_open_ = false;
  bool force_ = false;
  std::set<Bytes> attempted_;  // batches attempted in this round
  // Batch id -> the generation of the snapshot its contents were built or last checked under, in
  // this process (generations count per ledger; after an open every batch is checked once).
  std::map<Bytes, uint64_t> checked_;
  sealer::OhttpEphemeralPool ephemerals_{2};
  int64_t byte_limit_ = 0;  // options_.max_batch_bytes, halved by each 413
  int64_t envelope_bytes_ = 0;  // what a request adds around its wire batch
  double tokens_ = 0;
  int64_t tokens_at_ms_ = 0;
};

}  // namespace tacet::sync

#endif  // TACET_SYNC_UPLOADER_H_
