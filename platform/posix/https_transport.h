// HttpsTransport: the posix Transport. One HTTP/1.1 POST per Send over TLS 1.2 (mbedTLS), to one
// configured origin, with the server authenticated by SPKI pins and/or a CA chain and the host
// name checked.
//
// Outcome of one Send (also in docs/platform.md, "HttpsTransport"):
//   2xx                                   kDelivered, with the response body (at most
//                                         max_response_body_bytes) and its Content-Type
//   408, 425, 429, 5xx                    kRetryLater, retry_after_ms from Retry-After
//   any other 4xx                         kRejected ("HTTP 400")
//   1xx other than interim, 3xx, others   kRetryLater (redirects are not followed)
//   (every answer read sets http_status; a non-2xx answer also carries its body and Content-Type
//   when read whole within max_response_body_bytes; otherwise the outcome is the same, the body
//   empty, and the detail adds "(body not kept: ...)". Reading that body may take up to the read
//   timeout when a server announces more than it sends.)
//   connection refused / reset, name resolution failure, connect / handshake / read timeout,
//   a truncated or malformed response, a 2xx body over the cap
//                                         kRetryLater (an oversized acknowledgement is not an
//                                         acknowledgement: the core resends, the gateway
//                                         deduplicates by batch id)
//   pin mismatch, certificate not valid for the host, chain not trusted or expired
//                                         kRetryLater whose detail starts with
//                                         kPeerAuthenticationFailed: an attacker in the path
//                                         must never make the device drop data; the core counts
//                                         and reports these
//   the transport is destroyed with the Send pending or in flight
//                                         kRetryLater "transport closed"
//
// Threads: Send copies the request, queues it and returns at once; one worker thread makes the
// attempts in order, one connection per attempt (no keep-alive), and runs the callbacks. A
// callback never runs inside Send. The destructor answers what is still queued with
// kRetryLater "transport closed" on the destroying thread, after aborting the attempt in flight;
// it must not run on the worker thread (from inside a callback).
#ifndef TACET_PLATFORM_POSIX_HTTPS_TRANSPORT_H_
#define TACET_PLATFORM_POSIX_HTTPS_TRANSPORT_H_

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "tacet/platform/transport.h"

namespace tacet::platform {

using SpkiPin = std::array<uint8_t, 32>;

struct HttpsTransportOptions {
  // The origin and target of the POST. `host` is a DNS name (sent as SNI and matched against the
  // certificate's DNS names) or an IPv4/IPv6 literal (matched against its IP addresses).
  std::string host;
  uint16_t port = 443;
  std::string path = "/";  // origin-form: starts with '/', no spaces or control characters
  // SHA-256 of the server's DER SubjectPublicKeyInfo; the leaf certificate must match one. With
  // pins and no CA chain, the pins are the trust anchor (a self-signed certificate is fine).
  std::vector<SpkiPin> spki_sha256_pins;
  // PEM CA certificates; when given, the server's chain must verify against them. At least one
  // of pins and CA chain is required.
  std::string ca_chain_pem;
  int connect_timeout_ms = 10'000;    // TCP connect, every address of the name included
  int handshake_timeout_ms = 10'000;  // the TLS handshake
  int read_timeout_ms = 30'000;       // writing the request and reading the whole response
  size_t max_response_body_bytes = 1 << 20;
  size_t max_response_header_bytes = 16 << 10;
};

// Fills host, port and path from "https://host[:port][/path]" (RFC 3986 section 3: no userinfo,
// no fragment; an IPv6 host in brackets; the query, if any, stays part of the path).
Status ParseHttpsUrl(std::string_view url, HttpsTransportOptions* options);

class HttpsTransport final : public Transport {
 public:
  // kInvalidArgument naming the bad option; kUnavailable if the random generator cannot be
  // seeded. Starts the worker thread.
  static StatusOr<std::unique_ptr<HttpsTransport>> Create(HttpsTransportOptions options);
  ~HttpsTransport() override;
  HttpsTransport(const HttpsTransport&) = delete;
  HttpsTransport& operator=(const HttpsTransport&) = delete;

  using Transport::Send;
  void Send(const SendRequest& request, SendCallback on_done) override;

 private:
  struct Tls;  // mbedTLS configuration and random generator, defined in the .cc
  struct Job {
    Bytes body;
    std::string content_type;
    SendCallback on_done;
  };

  explicit HttpsTransport(HttpsTransportOptions options);
  void WorkerLoop();
  SendResult Attempt(const Job& job);

  const HttpsTransportOptions options_;
  std::unique_ptr<Tls> tls_;  // used by the worker thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool closing_ = false;
  int active_fd_ = -1;  // the attempt in flight's socket, shut down by the destructor
  std::thread worker_;
};

// Parsing pieces, exposed for tests.
namespace https_internal {

// Retry-After (RFC 9110 section 10.2.3) as delay-seconds: the delay in milliseconds, capped at
// one day; nullopt for an absent, HTTP-date or malformed value.
std::optional<int64_t> ParseRetryAfterMs(std::string_view value);

// What ReadFn returns besides a positive byte count.
inline constexpr int kReadClosed = 0;      // clean end of stream (TLS close_notify)
inline constexpr int kReadTruncated = -1;  // the stream ended without close_notify
inline constexpr int kReadTimeout = -2;
inline constexpr int kReadError = -3;
// Reads up to `len` bytes into `buf`.
using ReadFn = std::function<int(uint8_t* buf, size_t len)>;

// Reads one HTTP/1.1 response to a POST (RFC 9112: status line section 4, fields section 5,
// message body length section 6.3, chunked coding section 7.1; interim 1xx responses are
// skipped) and maps it to a SendResult as described at the top of this file.
SendResult ReadResponse(const ReadFn& read, size_t max_header_bytes, size_t max_body_bytes);

}  // namespace https_internal

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_HTTPS_TRANSPORT_H_
