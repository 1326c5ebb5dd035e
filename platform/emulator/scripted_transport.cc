#include "emulator/scripted_transport.h"

#include <utility>

namespace tacet::platform {

void ScriptedTransport::Send(const SendRequest& request, SendCallback on_done) {
  const ByteView payload = request.body;
  const int64_t now_ms = clock_->MonotonicMillis();
  SendResult result;
  Receiver receiver;
  int64_t latency;
  {
    std::lock_guard<std::mutex> lock(mu_);
    latency = latency_ms_;
    if (NetworkDownAt(now_ms)) {
      result = SendResult{SendOutcome::kRetryLater, 0, "network down"};
    } else if (!queued_.empty()) {
      result = std::move(queued_.front());
      queued_.pop_front();
    } else if (receiver_) {
      receiver = receiver_;
    } else {
      result = SendResult{SendOutcome::kDelivered, 0, ""};
    }
  }
  // The receiver runs outside the lock, on a copy, so it may take its time.
  if (receiver) result = receiver(payload);
  if (result.outcome != SendOutcome::kDelivered) {
    result.body.clear();
    result.content_type.clear();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    sent_.push_back(SentPayload{now_ms, payload.ToBytes(), std::string(request.content_type), result});
  }
  scheduler_->ScheduleAfter(latency, [result = std::move(result), on_done = std::move(on_done)] {
    if (on_done) on_done(result);
  });
}

bool ScriptedTransport::NetworkDownAt(int64_t ms) const {
  for (const auto& w : down_) {
    if (ms >= w.first && ms < w.second) return true;
  }
  return false;
}

void ScriptedTransport::QueueResults(std::vector<SendResult> results) {
  std::lock_guard<std::mutex> lock(mu_);
  for (SendResult& r : results) queued_.push_back(std::move(r));
}

void ScriptedTransport::SetNetworkDown(int64_t from_ms, int64_t until_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  down_.emplace_back(from_ms, until_ms);
}

void ScriptedTransport::SetReceiver(Receiver receiver) {
  std::lock_guard<std::mutex> lock(mu_);
  receiver_ = std::move(receiver);
}

void ScriptedTransport::set_latency_ms(int64_t ms) {
  std::lock_guard<std::mutex> lock(mu_);
  latency_ms_ = ms > 0 ? ms : 0;
}

std::vector<SentPayload> ScriptedTransport::sent() {
  std::lock_guard<std::mutex> lock(mu_);
  return sent_;
}

}  // namespace tacet::platform
