// tacet::relay::Relay: a minimal Oblivious HTTP relay (RFC 9458 §2, docs/collector.md). It takes
// POST /relay with a message/ohttp-req body and forwards the body, unread and unchanged, to the
// gateway over HTTPS (platform::HttpsTransport, the gateway's certificate pinned by SPKI), from its
// own connection: the gateway sees the relay's address, never the client's, and the forwarded
// request carries no header naming the client (the transport sends only Host, Content-Type,
// Content-Length and Connection). The relay cannot read what it forwards: it holds no key.
//
// Answers: the gateway's 2xx with its content type and body as they are; the gateway's 4xx/5xx
// with its status, content type and body as they are (e.g. the application/problem+json of an
// unknown key id, RFC 9458 section 5.3) and its Retry-After, or a text/plain body of the relay's
// when the gateway sent no body or one over max_body_bytes; 502 with Retry-After when the
// gateway cannot be reached or authenticated, or its answer was not whole; 404 other paths, 405
// other methods, 413 over the size cap, 415 another content type.
//
// Threads: Handle may be called from several threads at once; the forwarded requests go out one
// at a time, in order, over one transport (one connection per request, no keep-alive).
#ifndef TACET_EXAMPLES_RELAY_RELAY_H_
#define TACET_EXAMPLES_RELAY_RELAY_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "https_server.h"
#include "posix/https_transport.h"

namespace tacet::relay {

inline constexpr char kRelayPath[] = "/relay";
// Seconds a client is asked to wait when the gateway cannot be reached.
inline constexpr int kUnreachableRetryAfterSeconds = 5;

struct RelayOptions {
  std::string gateway_url;        // "https://127.0.0.1:PORT/gateway"
  platform::SpkiPin gateway_spki{};  // SHA-256 of the gateway certificate's SubjectPublicKeyInfo
  size_t max_body_bytes = 1 << 20;
  int timeout_ms = 10'000;  // connect, handshake, and the gateway's answer, each
  // One line per request: peer=<ip:port> bytes=<n> gateway_status=<status or unreachable>.
  std::function<void(std::string_view line)> log;
};

class Relay {
 public:
  // kInvalidArgument naming a bad URL or option.
  static StatusOr<std::unique_ptr<Relay>> Create(RelayOptions options);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  net::HttpResponse Handle(const net::HttpRequest& request);

 private:
  explicit Relay(RelayOptions options) : options_(std::move(options)) {}
  const RelayOptions options_;
  std::unique_ptr<platform::HttpsTransport> transport_;
};

// "0123...": 64 hex digits (either case) to a pin; kInvalidArgument otherwise.
StatusOr<platform::SpkiPin> ParseSpkiHex(std::string_view hex);

}  // namespace tacet::relay

#endif  // TACET_EXAMPLES_RELAY_RELAY_H_
