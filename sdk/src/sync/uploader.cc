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
  return std::unique_ptr<Uploader>(new Uploader(deps, std::move(options), *std::move(config)));
}

void Uploader::SetAnswerListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(mailbox_->mu);
  mailbox_->listener = std::move(listener);
}

// ---- building -----------------------------------------------------------------------------------

Status Uploader::BuildBatches(int64_t now_ms) {
  const consent::ConsentSnapshot& snapshot = deps_.ledger->snapshot();
  const policy::Policy& policy = snapshot.policy();
  TACET_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(*deps_.db, store::Durability::kNormal));
  TACET_ASSIGN_OR_RETURN(std::vector<outbox::StoredEvent> events,
                         deps_.outbox->ListUnbatched(kMaxEventsPerRound));
  struct Group {
    std::vector<int64_t> ids;
    std::vector<minimise::MinimisedEvent> events;
    std::vector<std::string> categories;
  };
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
  for (auto& [key, g] : groups) {
    const std::string& recipient = std::get<0>(key);
    TACET_ASSIGN_OR_RETURN(Bytes subject, deps_.minimiser->Subject(recipient, now_ms));
    const size_t per = static_cast<size_t>(options_.max_events_per_batch);
    for (size_t start = 0; start < g.events.size(); start += per) {
      const size_t end = std::min(g.events.size(), start + per);
      Batch b;
      TACET_ASSIGN_OR_RETURN(b.batch_id, deps_.drbg->RandomBytes(kBatchIdSize));
      b.recipient = recipient;
      b.policy_id = std::string(policy.id());
      b.policy_version = policy.version();
      b.subject = subject;
      b.events.assign(g.events.begin() + static_cast<std::ptrdiff_t>(start),
                      g.events.begin() + static_cast<std::ptrdiff_t>(end));
      outbox::NewBatch stored;
      TACET_ASSIGN_OR_RETURN(stored.wire, EncodeBatch(b));
      stored.batch_id = b.batch_id;
      stored.recipient = recipient;
      stored.kind = outbox::BatchKind::kEvents;
      stored.purpose = std::get<1>(key);
      stored.categories = g.categories;
      // The forms of this slice's events only (the sharing log's row is per batch).
      std::set<std::string> forms;
      for (const minimise::MinimisedEvent& m : b.events) {
        for (const minimise::MinimisedField& f : m.fields) forms.insert(policy::TransformName(f.form));
      }
      stored.forms.assign(forms.begin(), forms.end());
      stored.event_ids.assign(g.ids.begin() + static_cast<std::ptrdiff_t>(start),
                              g.ids.begin() + static_cast<std::ptrdiff_t>(end));
      TACET_RETURN_IF_ERROR(deps_.outbox->StoreBatchInTransaction(stored));
    }
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

bool Uploader::TakeToken(int64_t now_ms) {
  if (options_.max_uploads_per_hour == 0) return true;
  const double capacity = static_cast<double>(options_.max_uploads_per_hour);
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
  TACET_ASSIGN_OR_RETURN(Bytes wire, deps_.outbox->OpenBatch(batch.batch_id));
  sealer::BhttpRequest request;
  request.method = "POST";
  request.scheme = "https";
  request.authority = options_.gateway_authority;
  request.path = std::string(kBatchPath);
  request.headers.push_back({"content-type", std::string(kBatchMediaType)});
  request.content = std::move(wire);
  TACET_ASSIGN_OR_RETURN(Bytes inner, sealer::EncodeBhttpRequest(request));
  TACET_ASSIGN_OR_RETURN(sealer::OhttpClientRequest sealed,
                         sealer::EncapsulateRequest(config_, options_.aead, inner, *deps_.drbg));
  // Until an answer says otherwise, the next attempt waits for the attempt's timeout. The attempt
  // is on disk before the Send: a later purge knows the gateway may have the batch.
  TACET_RETURN_IF_ERROR(deps_.outbox->RecordAttemptInTransaction(
      batch.batch_id, now_ms, now_ms + options_.attempt_timeout_ms));
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
  }
  return 0;
}

bool Uploader::WaitForAnswers(int64_t timeout_ms) {
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
    auto info = deps_.outbox->AcknowledgeInTransaction(batch_id, now_ms, detail);
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
