// Transport: moves an already sealed payload to the collector and reports what happened.
//
// The core decides; the transport only transports. Batching, sealing, retry, backoff and rate
// limits live in the core's outbox; a transport makes one attempt per Send and answers.
#ifndef TACET_PLATFORM_TRANSPORT_H_
#define TACET_PLATFORM_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"

namespace tacet::platform {

// Media types of Oblivious HTTP (RFC 9458 section 9): an encapsulated request travels as the body
// of a POST with kOhttpRequestMediaType; the gateway's encapsulated response comes back with
// kOhttpResponseMediaType.
inline constexpr std::string_view kOhttpRequestMediaType = "message/ohttp-req";
inline constexpr std::string_view kOhttpResponseMediaType = "message/ohttp-res";
// What Send(ByteView, ...) declares its body to be.
inline constexpr std::string_view kOctetStreamMediaType = "application/octet-stream";

// One upload. Both views are borrowed for the duration of Send only: the transport copies what it
// keeps.
struct SendRequest {
  ByteView body;
  // The body's media type (an HTTP transport sends it as Content-Type).
  std::string_view content_type = kOctetStreamMediaType;
};

enum class SendOutcome : uint8_t {
  kDelivered,   // the collector accepted the payload; the core may forget it
  kRetryLater,  // transient: offline, timeout, 5xx, 429; the core keeps it and backs off
  kRejected,    // permanent: the collector refused it (4xx); retrying the same bytes is useless
};

// A kRetryLater whose detail starts with this phrase means the server could not be authenticated
// (pin, hostname or chain check failed): possibly an attacker in the path. The payload is kept
// (an attacker must never be able to make the device drop data); the core counts and reports it.
inline constexpr std::string_view kPeerAuthenticationFailed = "peer authentication failed";

struct SendResult {
  SendResult() = default;
  SendResult(SendOutcome outcome_in, int64_t retry_after_ms_in, std::string detail_in)
      : outcome(outcome_in), retry_after_ms(retry_after_ms_in), detail(std::move(detail_in)) {}
  // A kDelivered carrying the collector's response body and its media type.
  static SendResult Delivered(Bytes body_in, std::string content_type_in, std::string detail_in = "") {
    SendResult r(SendOutcome::kDelivered, 0, std::move(detail_in));
    r.body = std::move(body_in);
    r.content_type = std::move(content_type_in);
    return r;
  }

  SendOutcome outcome = SendOutcome::kRetryLater;
  // With kRetryLater: the server's hint (Retry-After) in milliseconds, or 0 when there is none.
  int64_t retry_after_ms = 0;
  // Human-readable diagnostics ("HTTP 503", "network unreachable"). Never contains payload data.
  std::string detail;
  // The status code of the server's final answer when an HTTP transport read one (the 2xx of a
  // kDelivered, or the 4xx, 5xx or 3xx of the other outcomes); 0 when no answer was read
  // (offline, timeout, a malformed head, a peer authentication failure) or the transport does not
  // speak HTTP.
  int http_status = 0;
  // The response body and its media type ("" when the server named none), at most the transport's
  // response cap. With kDelivered: for Oblivious HTTP, the encapsulated acknowledgement. With an
  // answered kRetryLater or kRejected (http_status set): the server's explanation, e.g. an
  // application/problem+json (RFC 9457) that a gateway sends for an unknown key id (RFC 9458
  // section 5.3); empty when the server sent none, or when it was over the cap or not read whole
  // (the detail then says so). Empty when nothing was answered. A refusal's body is not sealed:
  // it is whatever the HTTP server (relay or gateway) said, for diagnostics only.
  Bytes body;
  std::string content_type;
};

// Called exactly once per Send, with the result. May run on any thread (the transport's I/O
// thread; in the emulator the AdvanceBy thread) but never synchronously inside Send, so the
// caller may hold its own state while calling Send. Must not block.
using SendCallback = std::function<void(const SendResult& result)>;

// Send is safe from any thread and must not block: it copies what it needs of `request` during the
// call and answers through `on_done`.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual void Send(const SendRequest& request, SendCallback on_done) = 0;
  // The body alone, declared application/octet-stream. (Implementations bring this overload into
  // scope with `using Transport::Send;`.)
  void Send(ByteView payload, SendCallback on_done) {
    Send(SendRequest{payload, kOctetStreamMediaType}, std::move(on_done));
  }
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_TRANSPORT_H_
