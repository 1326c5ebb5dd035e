// ScriptedTransport: an emulated network with a scripted collector on the other end.
#ifndef TACET_PLATFORM_EMULATOR_SCRIPTED_TRANSPORT_H_
#define TACET_PLATFORM_EMULATOR_SCRIPTED_TRANSPORT_H_

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "emulator/emulator_scheduler.h"
#include "emulator/virtual_clock.h"
#include "tacet/platform/transport.h"

namespace tacet::platform {

// One Send as the transport saw it.
struct SentPayload {
  int64_t at_ms = 0;  // virtual monotonic time of the Send
  Bytes payload;
  std::string content_type;  // the request's media type
  SendResult result;  // what the sender was (or will be) told
};

// An in-process collector: gets each payload that reaches "the server" and answers it. A
// kDelivered answer may carry a response body (SendResult::Delivered); the body of any other
// answer is dropped, as a real transport would.
using Receiver = std::function<SendResult(ByteView payload)>;

// Every Send is recorded, then answered by the first rule that applies:
//   1. the network is down at that virtual time: kRetryLater, detail "network down", and the
//      payload reaches nobody;
//   2. a queued scripted result (QueueResults), consumed in order;
//   3. the receiver (SetReceiver), if any;
//   4. kDelivered.
// The answer is delivered latency_ms later on the emulator thread (never inside Send).
class ScriptedTransport final : public Transport {
 public:
  // Neither is owned; both must outlive the transport.
  ScriptedTransport(VirtualClock* clock, EmulatorScheduler* scheduler)
      : clock_(clock), scheduler_(scheduler) {}

  // Transport; thread-safe.
  using Transport::Send;
  void Send(const SendRequest& request, SendCallback on_done) override;

  // --- scripting; thread-safe ---
  void QueueResults(std::vector<SendResult> results);
  // The network is down in virtual time [from_ms, until_ms). Windows may overlap.
  void SetNetworkDown(int64_t from_ms, int64_t until_ms);
  // The receiver runs on the thread calling Send; it must not call back into the transport.
  void SetReceiver(Receiver receiver);
  void set_latency_ms(int64_t ms);
  // A copy of every Send so far, in order.
  std::vector<SentPayload> sent();

 private:
  bool NetworkDownAt(int64_t ms) const;

  VirtualClock* const clock_;
  EmulatorScheduler* const scheduler_;
  std::mutex mu_;
  std::deque<SendResult> queued_;
  std::vector<std::pair<int64_t, int64_t>> down_;
  Receiver receiver_;
  int64_t latency_ms_ = 0;
  std::vector<SentPayload> sent_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_SCRIPTED_TRANSPORT_H_
