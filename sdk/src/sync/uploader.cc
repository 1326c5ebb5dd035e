#include "sync/uploader.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "crypto/secure.h"
#include "sealer/bhttp.h"
#include "store/transaction.h"
#include "sync/batch.h"

namespace tacet::sync {
namespace {

// Events looked at per round (their opened fields are in memory at once).
constexpr int64_t kMaxEventsPerRound = 5000;
constexpr size_t kMaxResponseBytes = 64 * 1024;
// An attempt unanswered for this many attempt timeouts is given up (docs/sync.md).
constexpr int64_t kGiveUpAttemptTimeouts = 10;
// Bounds of max_batch_bytes, and the floor a run of 413s halves the limit to.
constexpr size_t kMinBatchBytes = 4 * 1024;
constexpr size_t kMaxBatchBytes = 1024 * 1024;  // the reference servers' body cap
// max_uploads_per_hour at most (the stored bucket is in micro-tokens: 1e12 fits an int64).
constexpr int64_t kMaxUploadsPerHour = 1000000;
// Encapsulation (RFC 9458 §4.3): the 7-byte header, enc (32 bytes for X25519) and the AEAD tag.
constexpr size_t kOhttpRequestOverhead = 7 + 32 + 16;
// What one minimised event adds to a batch, roughly: its strings and a fixed part (the greedy
// slicing's guess; the encoded size is what is checked).
int64_t EstimatedSize(const minimise::MinimisedEvent& m) {
  int64_t n = 24;
  for (const minimise::MinimisedField& f : m.fields) {
    n += 16 + static_cast<int64_t>(f.key.size() + f.value.size());
  }
  return n;
}

std::vector<std::string> FormsOf(const std::vector<minimise::MinimisedEvent>& events) {
  std::set<std::string> forms;
  for (const minimise::MinimisedEvent& m : events) {
    for (const minimise::MinimisedField& f : m.fields) forms.insert(policy::TransformName(f.form));
  }
  return {forms.begin(), forms.end()};
}

// The contract's inner request (sync contract §1): POST /v1/batches carrying `wire`.
sealer::BhttpRequest BatchRequest(const std::string& authority, Bytes wire) {
  sealer::BhttpRequest request;
  request.method = "POST";
  request.scheme = "https";
  request.authority = authority;
  request.path = std::string(kBatchPath);
  request.headers.push_back({"content-type", std::string(kBatchMediaType)});
  request.content = std::move(wire);
  return request;
}

// An outer 413 from the transport (SendResult::http_status): the body is too large for a relay
// or the gateway. The detail is diagnostics for people, never parsed.
bool TooLarge(const platform::SendResult& result) {
  return result.outcome == platform::SendOutcome::kRejected && result.http_status == 413;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

std::string HeaderValue(const std::vector<sealer::BhttpField>& headers, std::string_view name) {
  for (const sealer::BhttpField& f : headers) {
    if (f.name == name) return f.value;
  }
  return "";
}

// The first line of a text/plain reason, at most 200 bytes, printable ASCII only.
std::string Reason(const Bytes& content) {
  std::string out;
  for (uint8_t c : content) {
    if (c == '\n' || out.size() >= 200) break;
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

}  // namespace

int64_t BackoffDelayMs(int64_t failures, uint64_t random, int64_t initial_ms, int64_t max_ms) {
  int64_t cap = initial_ms;
  for (int64_t i = 1; i < failures && cap < max_ms; ++i) cap *= 2;
  cap = std::min(cap, max_ms);
  if (cap <= 0) return 0;
  return static_cast<int64_t>(random % (static_cast<uint64_t>(cap) + 1));
}

// What the transport's callbacks share with the uploader: they may outlive it.
struct Uploader::Mailbox {
  struct Attempt {
    Bytes batch_id;
    sealer::OhttpClientContext context;
    int64_t sent_at_ms = 0;
    bool answered = false;
    platform::SendResult result;
  };
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
  bool interrupted = false;  // Interrupt: waits end at once
  uint64_t next_id = 1;
  std::map<uint64_t, Attempt> attempts;
  std::function<void()> listener;
};

Uploader::Uploader(const UploaderDeps& deps, UploaderOptions options, sealer::OhttpKeyConfig config)
    : deps_(deps), options_(std::move(options)), config_(std::move(config)),
      mailbox_(std::make_shared<Mailbox>()) {
  tokens_ = static_cast<double>(options_.max_uploads_per_hour);
  byte_limit_ = options_.max_batch_bytes;
  // What the request adds around the wire batch: the Binary HTTP framing of the contract's POST
  // (with room for the content length's varint to grow to 8 bytes) and the encapsulation.
  auto framed = sealer::EncodeBhttpRequest(BatchRequest(options_.gateway_authority, Bytes()));
  envelope_bytes_ = static_cast<int64_t>((framed.ok() ? framed->size() : 512) + 8 +
                                         kOhttpRequestOverhead);
  tokens_at_ms_ = deps_.clock->NowUnixMillis();
}

Uploader::~Uploader() {
  std::lock_guard<std::mutex> lock(mailbox_->mu);
  mailbox_->closed = true;
  mailbox_->listener = nullptr;
  mailbox_->attempts.clear();
}

StatusOr<std::unique_ptr<Uploader>> Uploader::Create(const UploaderDeps& deps,
                                                     UploaderOptions options) {
  if (deps.db == nullptr || deps.outbox == nullptr || deps.audit == nullptr ||
      deps.ledger == nullptr || deps.minimiser == nullptr || deps.transport == nullptr ||
      deps.clock == nullptr || deps.drbg == nullptr) {
    return InvalidArgumentError("uploader: every dependency is required");
  }
  if (options.max_events_per_batch < 1 ||
      options.max_events_per_batch > static_cast<int64_t>(kMaxBatchEvents)) {
    return InvalidArgumentError("uploader: max_events_per_batch must be in 1.." +
                                std::to_string(kMaxBatchEvents) + ", not " +
                                std::to_string(options.max_events_per_batch));
  }
  if (options.backoff_initial_ms < 1 || options.backoff_max_ms < options.backoff_initial_ms) {
    return InvalidArgumentError("uploader: the backoff needs 1 <= initial (" +
                                std::to_string(options.backoff_initial_ms) + " ms) <= max (" +
                                std::to_string(options.backoff_max_ms) + " ms)");
  }
  if (options.max_batch_bytes < static_cast<int64_t>(kMinBatchBytes) ||
      options.max_batch_bytes > static_cast<int64_t>(kMaxBatchBytes)) {
    return InvalidArgumentError("uploader: max_batch_bytes must be in " +
                                std::to_string(kMinBatchBytes) + ".." +
                                std::to_string(kMaxBatchBytes) + ", not " +
                                std::to_string(options.max_batch_bytes));
  }
  if (options.max_uploads_per_hour > kMaxUploadsPerHour) {
    return InvalidArgumentError("uploader: max_uploads_per_hour must be at most " +
                                std::to_string(kMaxUploadsPerHour) + " (0: no limit), not " +
                                std::to_string(options.max_uploads_per_hour));
  }
  if (options.max_uploads_per_hour < 0 || options.attempt_timeout_ms < 1) {
    return InvalidArgumentError(
        "uploader: max_uploads_per_hour must not be negative and attempt_timeout_ms must be "
        "positive");
  }
  if (options.gateway_authority.empty()) options.gateway_authority = std::string(kDefaultGatewayAuthority);
  auto config = sealer::ParseKeyConfig(options.key_config);
  if (!config.ok()) {
    return config.status().WithContext("uploader: the gateway's key configuration");
  }
  const uint16_t aead_id = options.aead == crypto::HpkeAead::kAes128Gcm
                               ? sealer::kOhttpAeadAes128Gcm
                               : sealer::kOhttpAeadChaCha20Poly1305;
  const sealer::OhttpSymmetricAlgorithm wanted{sealer::kOhttpKdfHkdfSha256, aead_id};
  if (std::find(config->algorithms.begin(), config->algorithms.end(), wanted) ==
      config->algorithms.end()) {
    return InvalidArgumentError("uploader: the gateway's key configuration does not offer "
                                "HKDF-SHA256 with the AEAD the device uses");
  }
  std::unique_ptr<Uploader> uploader(new Uploader(deps, std::move(options), *std::move(config)));
  TACET_RETURN_IF_ERROR(uploader->LoadRateBucket());
  return uploader;
}

void Uploader::SetAnswerListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mailbox_->mu);
  mailbox_->listener = std::move(listener);
}

// ---- building -----------------------------------------------------------------------------------

struct Uploader::Group {
  std::vector<int64_t> ids;
  std::vector<minimise::MinimisedEvent> events;
  std::vector<std::string> categories;
};

Status Uploader::StoreSlices(const std::string& recipient, const std::string& purpose,
                             const Group& g, size_t begin, size_t end, const Bytes& subject,
                             int64_t now_ms, std::vector<int64_t>* unencodable) {
  const policy::Policy& policy = deps_.ledger->snapshot().policy();
  Batch b;
  TACET_ASSIGN_OR_RETURN(b.batch_id, deps_.drbg->RandomBytes(kBatchIdSize));
  b.recipient = recipient;
  b.policy_id = std::string(policy.id());
  b.policy_version = policy.version();
  b.subject = subject;
  b.events.assign(g.events.begin() + static_cast<std::ptrdiff_t>(begin),
                  g.events.begin() + static_cast<std::ptrdiff_t>(end));
  StatusOr<Bytes> wire = EncodeBatch(b);
  if (!wire.ok() && wire.status().code() != StatusCode::kInvalidArgument) return wire.status();
  // The limit is on what goes on the network: the wire batch inside its request.
  const bool too_large =
      wire.ok() && static_cast<int64_t>(wire->size()) + envelope_bytes_ > byte_limit_;
  if ((!wire.ok() || too_large) && end - begin > 1) {
    const size_t mid = begin + (end - begin) / 2;
    TACET_RETURN_IF_ERROR(StoreSlices(recipient, purpose, g, begin, mid, subject, now_ms, unencodable));
    return StoreSlices(recipient, purpose, g, mid, end, subject, now_ms, unencodable);
  }
  if (!wire.ok()) {
    // One event the wire format cannot carry: set aside (quarantined, counted), never dropped
    // silently and never allowed to stop the round.
    unencodable->push_back(g.ids[begin]);
    return OkStatus();
  }
  outbox::NewBatch stored;
  stored.wire = *std::move(wire);
  stored.batch_id = b.batch_id;
  stored.recipient = recipient;
  stored.kind = outbox::BatchKind::kEvents;
  stored.purpose = purpose;
  stored.categories = g.categories;
  stored.forms = FormsOf(b.events);  // this slice's forms only (the sharing log is per batch)
  stored.event_ids.assign(g.ids.begin() + static_cast<std::ptrdiff_t>(begin),
                          g.ids.begin() + static_cast<std::ptrdiff_t>(end));
  stored.created_unix_ms = now_ms;
  TACET_RETURN_IF_ERROR(deps_.outbox->StoreBatchInTransaction(stored));
  checked_[b.batch_id] = deps_.ledger->snapshot().generation();
  return OkStatus();
}

Status Uploader::BuildBatches(int64_t now_ms) {
  const consent::ConsentSnapshot& snapshot = deps_.ledger->snapshot();
  const policy::Policy& policy = snapshot.policy();
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(std::vector<outbox::StoredEvent> events,
                         deps_.outbox->ListUnbatched(kMaxEventsPerRound));
  // (recipient, purpose, categories) in a stable order.
  std::map<std::tuple<std::string, std::string, std::string>, Group> groups;
  std::vector<int64_t> looked_at;
  for (const outbox::StoredEvent& e : events) {
    looked_at.push_back(e.id);
    std::string column;
    for (const std::string& c : e.categories) column += "," + c;
    for (const policy::Recipient& r : policy.model().recipients) {
      TACET_ASSIGN_OR_RETURN(minimise::MinimisedEvent m,
                             deps_.minimiser->ForRecipient(snapshot, r.id, e.event, now_ms,
                                                           /*controller_notice_pending=*/false));
      if (m.fields.empty()) continue;
      Group& g = groups[{std::string(r.id), e.event.purpose, column}];
      g.categories = e.categories;
      g.ids.push_back(e.id);
      g.events.push_back(std::move(m));
    }
  }
  std::vector<int64_t> unencodable;
  for (auto& [key, g] : groups) {
    const std::string& recipient = std::get<0>(key);
    TACET_ASSIGN_OR_RETURN(Bytes subject, deps_.minimiser->Subject(recipient, now_ms));
    // Greedy slices: at most max_events_per_batch events and, by estimate, byte_limit_ bytes;
    // StoreSlices splits a slice whose encoding is larger after all.
    const size_t per = static_cast<size_t>(options_.max_events_per_batch);
    for (size_t start = 0; start < g.events.size();) {
      size_t end = start;
      int64_t bytes = 256 + envelope_bytes_;
      while (end < g.events.size() && end - start < per) {
        const int64_t add = EstimatedSize(g.events[end]);
        if (end > start && bytes + add > byte_limit_) break;
        bytes += add;
        ++end;
      }
      TACET_RETURN_IF_ERROR(StoreSlices(recipient, std::get<1>(key), g, start, end, subject,
                                        now_ms, &unencodable));
      start = end;
    }
  }
  if (!unencodable.empty()) {
    std::sort(unencodable.begin(), unencodable.end());
    unencodable.erase(std::unique(unencodable.begin(), unencodable.end()), unencodable.end());
    TACET_RETURN_IF_ERROR(deps_.outbox->QuarantineEventsInTransaction(unencodable));
    // Not marked batched: a quarantined event is kept, whatever batch of another recipient
    // carries it.
    looked_at.erase(std::remove_if(looked_at.begin(), looked_at.end(),
                                   [&](int64_t id) {
                                     return std::binary_search(unencodable.begin(),
                                                               unencodable.end(), id);
                                   }),
                    looked_at.end());
  }
  TACET_RETURN_IF_ERROR(deps_.outbox->MarkBatchedInTransaction(looked_at));

  // Deletion requests: one batch per recipient.
  TACET_ASSIGN_OR_RETURN(std::vector<outbox::PendingDeletion> deletions,
                         deps_.outbox->ListUnbatchedDeletions());
  std::map<std::string, std::vector<outbox::PendingDeletion>> by_recipient;
  for (outbox::PendingDeletion& d : deletions) by_recipient[d.recipient].push_back(std::move(d));
  for (const auto& [recipient, list] : by_recipient) {
    Batch b;
    TACET_ASSIGN_OR_RETURN(b.batch_id, deps_.drbg->RandomBytes(kBatchIdSize));
    b.recipient = recipient;
    b.policy_id = std::string(policy.id());
    b.policy_version = policy.version();
    TACET_ASSIGN_OR_RETURN(b.subject, deps_.minimiser->Subject(recipient, now_ms));
    outbox::NewBatch stored;
    std::set<std::string> categories;
    for (const outbox::PendingDeletion& d : list) {
      b.deletions.push_back({d.category, d.requested_unix_ms / 1000});
      categories.insert(d.category);
      stored.deletion_ids.push_back(d.id);
    }
    TACET_ASSIGN_OR_RETURN(stored.wire, EncodeBatch(b));
    stored.batch_id = b.batch_id;
    stored.recipient = recipient;
    stored.kind = outbox::BatchKind::kDeletions;
    stored.categories.assign(categories.begin(), categories.end());
    TACET_RETURN_IF_ERROR(deps_.outbox->StoreBatchInTransaction(stored));
  }
  return txn.Commit();
}

// ---- sending ------------------------------------------------------------------------------------

namespace {
constexpr char kTokensState[] = "uploader.rate_tokens_micro";
constexpr char kTokensAtState[] = "uploader.rate_tokens_at_ms";
}  // namespace

Status Uploader::LoadRateBucket() {
  if (options_.max_uploads_per_hour == 0) return OkStatus();
  TACET_ASSIGN_OR_RETURN(std::optional<int64_t> tokens, deps_.outbox->ReadState(kTokensState));
  TACET_ASSIGN_OR_RETURN(std::optional<int64_t> at, deps_.outbox->ReadState(kTokensAtState));
  if (!tokens.has_value() || !at.has_value()) return OkStatus();  // never limited before: full
  const double capacity = static_cast<double>(options_.max_uploads_per_hour);
  tokens_ = std::clamp(static_cast<double>(*tokens) / 1e6, 0.0, capacity);
  // A time ahead of now (a clock once wrong, since corrected) is taken as now: a bad reading must
  // not stop uploads until real time catches up with it.
  tokens_at_ms_ = std::clamp(*at, static_cast<int64_t>(0), deps_.clock->NowUnixMillis());
  return OkStatus();
}

Status Uploader::SaveRateBucketInTransaction() {
  if (options_.max_uploads_per_hour == 0) return OkStatus();
  TACET_RETURN_IF_ERROR(
      deps_.outbox->SetStateInTransaction(kTokensState, static_cast<int64_t>(tokens_ * 1e6)));
  return deps_.outbox->SetStateInTransaction(kTokensAtState, tokens_at_ms_);
}

bool Uploader::TakeToken(int64_t now_ms) {
  if (options_.max_uploads_per_hour == 0) return true;
  const double capacity = static_cast<double>(options_.max_uploads_per_hour);
  if (now_ms < tokens_at_ms_) tokens_at_ms_ = now_ms;  // the clock went back: refill from now
  if (now_ms > tokens_at_ms_) {
    tokens_ = std::min(capacity, tokens_ + capacity * static_cast<double>(now_ms - tokens_at_ms_) /
                                               3600000.0);
    tokens_at_ms_ = now_ms;
  }
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

int64_t Uploader::NextTokenAt(int64_t now_ms) const {
  if (options_.max_uploads_per_hour == 0 || tokens_ >= 1.0) return now_ms;
  const double per_ms = static_cast<double>(options_.max_uploads_per_hour) / 3600000.0;
  return now_ms + static_cast<int64_t>((1.0 - tokens_) / per_ms) + 1;
}

StatusOr<std::vector<std::pair<int64_t, minimise::MinimisedEvent>>> Uploader::Reminimise(
    const outbox::BatchInfo& batch) {
  const consent::ConsentSnapshot& snapshot = deps_.ledger->snapshot();
  TACET_ASSIGN_OR_RETURN(std::vector<outbox::StoredEvent> events,
                         deps_.outbox->LinkedEventsInTransaction(batch.batch_id));
  std::vector<std::pair<int64_t, minimise::MinimisedEvent>> out;
  for (const outbox::StoredEvent& e : events) {
    TACET_ASSIGN_OR_RETURN(minimise::MinimisedEvent m,
                           deps_.minimiser->ForRecipient(snapshot, batch.recipient, e.event,
                                                         batch.created_unix_ms,
                                                         /*controller_notice_pending=*/false));
    if (!m.fields.empty()) out.emplace_back(e.id, std::move(m));
  }
  return out;
}

StatusOr<bool> Uploader::RecheckInTransaction(const outbox::BatchInfo& batch) {
  const consent::ConsentSnapshot& snapshot = deps_.ledger->snapshot();
  auto checked = checked_.find(batch.batch_id);
  if (checked != checked_.end() && checked->second == snapshot.generation()) return true;
  TACET_ASSIGN_OR_RETURN(Bytes wire, deps_.outbox->OpenBatch(batch.batch_id));
  // The gateway's cap (the format interns repeated values, so the decoded text may be many times
  // the wire size; DecodeBatch allows 8 times max_bytes).
  StatusOr<Batch> stored = DecodeBatch(wire, std::max(wire.size(), kMaxBatchBytes));
  if (!stored.ok()) {
    return DataLossError("the stored wire batch does not decode: " + stored.status().message());
  }
  TACET_ASSIGN_OR_RETURN(auto fresh, Reminimise(batch));
  // The same header as stored: unchanged contents encode to the same bytes.
  Batch b;
  b.batch_id = batch.batch_id;
  b.recipient = batch.recipient;
  b.policy_id = stored->policy_id;
  b.policy_version = stored->policy_version;
  b.subject = stored->subject;
  b.time_bucket_s = stored->time_bucket_s;
  std::vector<int64_t> keep;
  for (auto& [id, m] : fresh) {
    keep.push_back(id);
    b.events.push_back(std::move(m));
  }
  StatusOr<Bytes> again = EncodeBatch(b);
  if (again.ok() && *again == wire) {
    checked_[batch.batch_id] = snapshot.generation();
    return true;
  }
  const std::string why =
      "the consent state or the policy changed after the batch was built" +
      std::string(batch.attempts > 0 ? "; an earlier attempt may have reached the gateway with "
                                       "the contents it had then"
                                     : "");
  if (b.events.empty()) {
    TACET_RETURN_IF_ERROR(deps_.outbox->WithdrawBatchInTransaction(
        batch.batch_id, "withdrawn: " + why, /*may_have_arrived=*/batch.attempts > 0));
    TACET_RETURN_IF_ERROR(deps_.outbox->AddToCounter("batches_purged", 1));
    checked_.erase(batch.batch_id);
    return false;
  }
  b.policy_id = std::string(snapshot.policy().id());
  b.policy_version = snapshot.policy().version();
  StatusOr<Bytes> revised = EncodeBatch(b);
  const bool over = !revised.ok() ||
                    static_cast<int64_t>(revised->size()) + envelope_bytes_ > byte_limit_;
  if (over && batch.attempts == 0 && b.events.size() > 1) {
    // Grown past the limit (a form that reveals more is longer) and never sent: new batches of
    // the right size instead, sent in this round; this id goes without ever having left.
    std::vector<std::pair<int64_t, minimise::MinimisedEvent>> events;
    for (size_t i = 0; i < keep.size(); ++i) events.emplace_back(keep[i], std::move(b.events[i]));
    TACET_RETURN_IF_ERROR(ReplaceInTransaction(batch, std::move(events), /*halves=*/false, why));
    ++round_.batches_revised;
    return false;
  }
  if (!revised.ok()) {
    return DataLossError("its events no longer encode: " + revised.status().message());
  }
  TACET_RETURN_IF_ERROR(deps_.outbox->ReviseBatchInTransaction(
      batch.batch_id, *revised, FormsOf(b.events), keep, "revised: " + why));
  ++round_.batches_revised;
  checked_[batch.batch_id] = snapshot.generation();
  return true;
}

Status Uploader::ReplaceInTransaction(const outbox::BatchInfo& batch,
                                      std::vector<std::pair<int64_t, minimise::MinimisedEvent>> fresh,
                                      bool halves, std::string_view why) {
  TACET_ASSIGN_OR_RETURN(Bytes subject, deps_.minimiser->Subject(batch.recipient,
                                                                  batch.created_unix_ms));
  Group g;
  g.categories = batch.categories;
  for (auto& [id, m] : fresh) {
    g.ids.push_back(id);
    g.events.push_back(std::move(m));
  }
  // The new batches first (so that the withdrawal below finds the events still linked), then the
  // old one goes; the caller has made sure no earlier attempt of it may have been stored.
  std::vector<int64_t> unencodable;
  const size_t mid = halves ? g.events.size() / 2 : g.events.size();
  TACET_RETURN_IF_ERROR(StoreSlices(batch.recipient, batch.purpose, g, 0, mid, subject,
                                    batch.created_unix_ms, &unencodable));
  if (mid < g.events.size()) {
    TACET_RETURN_IF_ERROR(StoreSlices(batch.recipient, batch.purpose, g, mid, g.events.size(),
                                      subject, batch.created_unix_ms, &unencodable));
  }
  if (!unencodable.empty()) {
    TACET_RETURN_IF_ERROR(deps_.outbox->QuarantineEventsInTransaction(unencodable));
  }
  checked_.erase(batch.batch_id);
  return deps_.outbox->WithdrawBatchInTransaction(batch.batch_id, why, /*may_have_arrived=*/false);
}

StatusOr<bool> Uploader::SplitInTransaction(const outbox::BatchInfo& batch,
                                            std::string_view detail) {
  if (batch.kind != outbox::BatchKind::kEvents) return false;
  // Only when the refused attempt was the first: an earlier one may have been stored under this
  // id (its answer lost), and halves under new ids would then store every event twice.
  if (batch.attempts != 1) return false;
  TACET_ASSIGN_OR_RETURN(auto fresh, Reminimise(batch));
  if (fresh.empty()) {
    // Nothing of it may leave any more: withdrawn (never stored: its only attempt was refused).
    TACET_RETURN_IF_ERROR(deps_.outbox->WithdrawBatchInTransaction(
        batch.batch_id, "withdrawn", /*may_have_arrived=*/false));
    TACET_RETURN_IF_ERROR(deps_.outbox->AddToCounter("batches_purged", 1));
    checked_.erase(batch.batch_id);
    return true;
  }
  if (fresh.size() < 2) return false;
  TACET_RETURN_IF_ERROR(ReplaceInTransaction(batch, std::move(fresh), /*halves=*/true,
                                             "split after " + std::string(detail)));
  TACET_RETURN_IF_ERROR(deps_.outbox->AddToCounter("batches_split", 1));
  return true;
}

Status Uploader::SendOne(const outbox::BatchInfo& batch, int64_t now_ms) {
  // One transaction from "the batch is still stored" to the Send: a consent change (the ledger's
  // write transaction) commits either before it (the batch is gone) or after the Send.
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  auto still = deps_.outbox->FindBatchInTransaction(batch.batch_id);
  if (!still.ok()) {
    if (still.status().code() == StatusCode::kNotFound) return OkStatus();
    return still.status();
  }
  if (still->state != outbox::BatchState::kPending) return OkStatus();
  // A stored batch that no longer opens or decodes is set aside (rejected: kept, counted, on the
  // sharing log, never sent) so that it cannot stop the round or every later one.
  auto unreadable = [&](const Status& why) -> Status {
    TACET_RETURN_IF_ERROR(deps_.outbox
                              ->RejectInTransaction(batch.batch_id, now_ms,
                                                    "not sent: the stored batch is unreadable: " +
                                                        why.message())
                              .status());
    TACET_RETURN_IF_ERROR(txn.Commit());
    ++round_.batches_unreadable;
    ++round_.batches_rejected;
    return OkStatus();
  };
  if (still->kind == outbox::BatchKind::kEvents) {
    StatusOr<bool> keep = RecheckInTransaction(*still);
    if (!keep.ok()) {
      if (keep.status().code() == StatusCode::kDataLoss) return unreadable(keep.status());
      return keep.status();
    }
    if (!*keep) {
      ++round_.batches_withdrawn;
      return txn.Commit();
    }
  }
  StatusOr<Bytes> opened = deps_.outbox->OpenBatch(batch.batch_id);
  if (!opened.ok()) {
    if (opened.status().code() == StatusCode::kDataLoss) return unreadable(opened.status());
    return opened.status();
  }
  Bytes wire = *std::move(opened);
  TACET_ASSIGN_OR_RETURN(Bytes inner, sealer::EncodeBhttpRequest(BatchRequest(
                                          options_.gateway_authority, std::move(wire))));
  TACET_ASSIGN_OR_RETURN(sealer::OhttpEphemeral ephemeral,
                         ephemerals_.TakeOrGenerate(*deps_.drbg));
  TACET_ASSIGN_OR_RETURN(sealer::OhttpClientRequest sealed,
                         sealer::EncapsulateRequest(config_, options_.aead, inner,
                                                    std::move(ephemeral)));
  // Until an answer says otherwise, the next attempt waits for the attempt's timeout. The attempt
  // is on disk before the Send: a later purge knows the gateway may have the batch.
  TACET_RETURN_IF_ERROR(deps_.outbox->RecordAttemptInTransaction(
      batch.batch_id, now_ms, now_ms + options_.attempt_timeout_ms));
  TACET_RETURN_IF_ERROR(SaveRateBucketInTransaction());
  TACET_RETURN_IF_ERROR(txn.Commit());
  attempted_.insert(batch.batch_id);
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    id = mailbox_->next_id++;
    mailbox_->attempts.emplace(
        id, Mailbox::Attempt{batch.batch_id, std::move(sealed.context), now_ms, false, {}});
  }
  std::weak_ptr<Mailbox> weak = mailbox_;
  deps_.transport->Send(
      platform::SendRequest{sealed.encapsulated_request, platform::kOhttpRequestMediaType},
      [weak, id](const platform::SendResult& result) {
        std::shared_ptr<Mailbox> box = weak.lock();
        if (box == nullptr) return;
        std::function<void()> listener;
        {
          std::lock_guard<std::mutex> lock(box->mu);
          if (box->closed) return;
          auto it = box->attempts.find(id);
          if (it == box->attempts.end()) return;
          it->second.answered = true;
          it->second.result = result;
          listener = box->listener;
        }
        box->cv.notify_all();
        if (listener) listener();
      });
  ++round_.batches_sent;
  return OkStatus();
}

StatusOr<int64_t> Uploader::Start(bool force, bool controller_notice_pending) {
  round_ = RoundResult{};
  attempted_.clear();
  round_open_ = false;
  if (controller_notice_pending) return 0;  // every disclosure waits for the acknowledgement
  round_open_ = true;
  force_ = force;
  TACET_RETURN_IF_ERROR(BuildBatches(deps_.clock->NowUnixMillis()));
  return SendNext();
}

bool Uploader::InFlight() const {
  std::lock_guard<std::mutex> lock(mailbox_->mu);
  for (const auto& [id, a] : mailbox_->attempts) {
    if (!a.answered) return true;
  }
  return false;
}

StatusOr<int64_t> Uploader::SendNext() {
  if (!round_open_) return 0;
  const int64_t now_ms = deps_.clock->NowUnixMillis();
  {
    // One attempt at a time: while one is unanswered the transport holds nothing else of ours,
    // so a consent change committed meanwhile can stop every later batch.
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    for (auto it = mailbox_->attempts.begin(); it != mailbox_->attempts.end();) {
      // The transport answers every Send (even "transport closed"); an attempt unanswered for
      // kGiveUpAttemptTimeouts attempt timeouts is taken as lost, and its batch may go again.
      if (!it->second.answered &&
          now_ms - it->second.sent_at_ms > kGiveUpAttemptTimeouts * options_.attempt_timeout_ms) {
        it = mailbox_->attempts.erase(it);
        continue;
      }
      if (!it->second.answered) return 0;
      ++it;
    }
  }
  TACET_ASSIGN_OR_RETURN(std::vector<outbox::BatchInfo> batches, deps_.outbox->ListBatches());
  for (const outbox::BatchInfo& b : batches) {
    if (b.state != outbox::BatchState::kPending) continue;
    if (attempted_.count(b.batch_id) > 0) continue;  // once per round
    if (b.not_before_unix_ms > now_ms) continue;
    if (!force_ && b.next_attempt_unix_ms > now_ms) continue;
    if (!TakeToken(now_ms)) return 0;
    const int64_t before = round_.batches_sent;
    TACET_RETURN_IF_ERROR(SendOne(b, now_ms));
    if (round_.batches_sent > before) return 1;
    if (options_.max_uploads_per_hour > 0) tokens_ += 1.0;  // nothing went: the token is back
  }
  return 0;
}

bool Uploader::WaitForAnswers(int64_t timeout_ms) {
  // The network holds an attempt: make the next attempts' ephemerals now, off the storage lock.
  // A DRBG failure here only means the next attempt generates its own.
  if (InFlight()) ephemerals_.Refill(*deps_.drbg).status().IgnoreError();
  std::unique_lock<std::mutex> lock(mailbox_->mu);
  bool all = false;
  mailbox_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this, &all] {
    all = true;
    for (const auto& [id, a] : mailbox_->attempts) {
      if (!a.answered) all = false;
    }
    return all || mailbox_->interrupted;
  });
  return all && !mailbox_->interrupted;
}

void Uploader::Interrupt() {
  {
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    mailbox_->interrupted = true;
  }
  mailbox_->cv.notify_all();
}

// ---- answers ------------------------------------------------------------------------------------

Status Uploader::Retry(const Bytes& batch_id, int64_t retry_after_ms, std::string_view detail) {
  const int64_t now_ms = deps_.clock->NowUnixMillis();
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  auto batch = deps_.outbox->FindBatchInTransaction(batch_id);
  if (!batch.ok()) {
    return batch.status().code() == StatusCode::kNotFound ? OkStatus() : batch.status();
  }
  TACET_ASSIGN_OR_RETURN(Bytes random, deps_.drbg->RandomBytes(8));
  uint64_t r = 0;
  for (uint8_t b : random) r = (r << 8) | b;
  const int64_t delay = BackoffDelayMs(std::max<int64_t>(1, batch->attempts), r,
                                       options_.backoff_initial_ms, options_.backoff_max_ms);
  const int64_t not_before = retry_after_ms > 0 ? now_ms + retry_after_ms : 0;
  TACET_RETURN_IF_ERROR(deps_.outbox->RecordRetry(batch_id, std::max(now_ms + delay, not_before),
                                                  not_before, detail));
  return txn.Commit();
}

Status Uploader::ApplyAnswer(const Bytes& batch_id, const sealer::OhttpClientContext& context,
                             const platform::SendResult& result) {
  const int64_t now_ms = deps_.clock->NowUnixMillis();
  if (result.outcome == platform::SendOutcome::kRetryLater) {
    if (result.detail.rfind(platform::kPeerAuthenticationFailed, 0) == 0) {
      ++round_.peer_authentication_failures;
      TACET_RETURN_IF_ERROR(deps_.outbox->AddToCounter("peer_authentication_failures", 1));
    }
    return Retry(batch_id, result.retry_after_ms, result.detail);
  }
  bool reject = result.outcome == platform::SendOutcome::kRejected;
  bool too_large = TooLarge(result);
  std::string detail = "outer: " + result.detail;
  bool ack = false;
  uint8_t disposition = 0;
  int64_t retry_after_ms = 0;
  if (!reject) {
    auto opened = context.OpenResponse(result.body);
    if (!opened.ok()) {
      return Retry(batch_id, 0, "not an acknowledgement: the response does not open: " +
                                    opened.status().message());
    }
    auto response = sealer::DecodeBhttpResponse(*opened, kMaxResponseBytes);
    if (!response.ok()) {
      return Retry(batch_id, 0, "not an acknowledgement: " + response.status().message());
    }
    if (response->status == 200) {
      ack = response->content.size() == kAckSize &&
            crypto::ConstantTimeEquals(ByteView(response->content.data(), kBatchIdSize), batch_id) &&
            response->content[kBatchIdSize] <= kAckDuplicate;
      if (!ack) return Retry(batch_id, 0, "not an acknowledgement of this batch");
      disposition = response->content[kBatchIdSize];
      detail = disposition == kAckDuplicate ? "acknowledged (duplicate)" : "acknowledged";
    } else if (response->status == 413) {
      too_large = true;
      reject = true;
      detail = "gateway 413: " + Reason(response->content);
    } else if (response->status >= 400 && response->status < 500 && response->status != 408 &&
               response->status != 429) {
      // The collector refuses this batch as it is: sending it again would not change that.
      reject = true;
      detail = "gateway " + std::to_string(response->status) + ": " + Reason(response->content);
    } else {
      const std::string after = HeaderValue(response->headers, "retry-after");
      if (!after.empty() && after.size() < 9 &&
          std::all_of(after.begin(), after.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        retry_after_ms = std::min<int64_t>(std::stoll(after) * 1000, options_.backoff_max_ms);
      }
      return Retry(batch_id, retry_after_ms,
                   "gateway " + std::to_string(response->status) + ": " + Reason(response->content));
    }
  }
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kCritical));
  if (ack) {
    auto info = deps_.outbox->AcknowledgeInTransaction(batch_id, now_ms, detail,
                                                       disposition == kAckDuplicate);
    if (!info.ok()) {
      // Already acknowledged through another attempt, or purged since: nothing to do.
      return info.status().code() == StatusCode::kNotFound ? OkStatus() : info.status();
    }
    const std::string what =
        "batch " + HexEncode(batch_id) + " acknowledged: " +
        (info->kind == outbox::BatchKind::kEvents
             ? std::to_string(info->events) + " events for purpose '" + info->purpose +
                   "', categories " + Join(info->categories) + ", forms " + Join(info->forms)
             : std::to_string(info->deletions) + " deletion requests for " +
                   Join(info->categories)) +
        ", attempts " + std::to_string(info->attempts);
    TACET_RETURN_IF_ERROR(
        deps_.audit->AppendInTransaction(txn, audit::AuditKind::kDisclosure, info->recipient, what));
    TACET_RETURN_IF_ERROR(txn.Commit());
    ++round_.batches_acknowledged;
    round_.events_delivered += info->events;
    round_.deletions_delivered += info->deletions;
    return OkStatus();
  }
  if (too_large) {
    // Too large for a relay or the gateway: smaller batches from now on, and this one in halves.
    auto batch = deps_.outbox->FindBatchInTransaction(batch_id);
    if (!batch.ok()) {
      return batch.status().code() == StatusCode::kNotFound ? OkStatus() : batch.status();
    }
    byte_limit_ = std::max<int64_t>(static_cast<int64_t>(kMinBatchBytes), byte_limit_ / 2);
    if (batch->state == outbox::BatchState::kPending) {
      TACET_ASSIGN_OR_RETURN(bool split, SplitInTransaction(*batch, detail));
      if (split) {
        TACET_RETURN_IF_ERROR(txn.Commit());
        ++round_.batches_split;
        return OkStatus();
      }
      detail += batch->attempts != 1 ? "; not split: an earlier attempt may have been stored under "
                                       "this id, and new ids would store its events twice"
                                     : "; not split: one event";
    }
  }
  auto info = deps_.outbox->RejectInTransaction(batch_id, now_ms, detail);
  if (!info.ok()) {
    return info.status().code() == StatusCode::kNotFound ? OkStatus() : info.status();
  }
  TACET_RETURN_IF_ERROR(txn.Commit());
  ++round_.batches_rejected;
  return OkStatus();
}

Status Uploader::ApplyAnswers() {
  std::vector<Mailbox::Attempt> answered;
  {
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    for (auto it = mailbox_->attempts.begin(); it != mailbox_->attempts.end();) {
      if (it->second.answered) {
        answered.push_back(std::move(it->second));
        it = mailbox_->attempts.erase(it);
      } else {
        ++it;
      }
    }
  }
  Status first = OkStatus();
  for (const Mailbox::Attempt& a : answered) {
    Status applied = ApplyAnswer(a.batch_id, a.context, a.result);
    if (!applied.ok() && first.ok()) first = applied;  // the others are still applied
  }
  return first;
}

StatusOr<RoundResult> Uploader::Finish() {
  TACET_RETURN_IF_ERROR(ApplyAnswers());
  round_open_ = false;
  const int64_t now_ms = deps_.clock->NowUnixMillis();
  TACET_ASSIGN_OR_RETURN(std::vector<outbox::BatchInfo> batches, deps_.outbox->ListBatches());
  round_.batches_pending = 0;
  round_.next_attempt_unix_ms = 0;
  // Forget the checks of batches that are gone (acknowledged, purged, split).
  std::set<Bytes> stored;
  for (const outbox::BatchInfo& b : batches) stored.insert(b.batch_id);
  for (auto it = checked_.begin(); it != checked_.end();) {
    it = stored.count(it->first) > 0 ? std::next(it) : checked_.erase(it);
  }
  for (const outbox::BatchInfo& b : batches) {
    if (b.state != outbox::BatchState::kPending) continue;
    ++round_.batches_pending;
    int64_t at = std::max({b.next_attempt_unix_ms, b.not_before_unix_ms, NextTokenAt(now_ms)});
    if (round_.next_attempt_unix_ms == 0 || at < round_.next_attempt_unix_ms) {
      round_.next_attempt_unix_ms = at;
    }
  }
  return round_;
}

}  // namespace tacet::sync
