// Transport: moves an already sealed payload to the collector and reports what happened.
//
// The core decides; the transport only transports. Batching, sealing, retry, backoff and rate
// limits live in the core's outbox; a transport makes one attempt per Send and answers.
#ifndef TACET_PLATFORM_TRANSPORT_H_
#define TACET_PLATFORM_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "base/bytes.h"

namespace tacet::platform {

enum class SendOutcome : uint8_t {
  kDelivered,   // the collector accepted the payload; the core may forget it
  kRetryLater,  // transient: offline, timeout, 5xx, 429; the core keeps it and backs off
  kRejected,    // permanent: the collector refused it (4xx); retrying the same bytes is useless
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kRetryLater;
  // With kRetryLater: the server's hint (Retry-After) in milliseconds, or 0 when there is none.
  int64_t retry_after_ms = 0;
  // Human-readable diagnostics ("HTTP 503", "network unreachable"). Never contains payload data.
  std::string detail;
};

// Called exactly once per Send, with the result. May run on any thread (the transport's I/O
// thread; in the emulator the AdvanceBy thread) but never synchronously inside Send, so the
// caller may hold its own state while calling Send. Must not block.
using SendCallback = std::function<void(const SendResult& result)>;

// Send is safe from any thread and must not block: it copies or references `payload` only for
// the duration of the call (the transport copies what it needs) and answers through `on_done`.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(ByteView payload, SendCallback on_done) = 0;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_TRANSPORT_H_
