// HttpsServer: a small HTTPS/1.1 server on mbedTLS 2.28 for loopback use: the tests of the posix
// transport now, the reference gateway (tacet-collector) and relay (tacet-relay) later.
//
// What it does: TLS 1.2 only, ECDHE-ECDSA with AES-GCM or ChaCha20-Poly1305; listens on
// 127.0.0.1 (an ephemeral port unless one is given, reported by port()); a thread per connection,
// at most max_connections at once (more are closed at once, counted in refused_connections);
// GET and POST with a Content-Length body; keep-alive (HTTP/1.1 default; "Connection: close" or
// HTTP/1.0 ends it). What it refuses, each with a status and then closing the connection:
//   400  a malformed request line or field line, a missing Host, an invalid Content-Length
//   405  a method other than GET or POST (with "Allow: GET, POST")
//   411  a Transfer-Encoding (chunked request bodies are not supported: send Content-Length)
//   413  a Content-Length above max_body_bytes (the body is not read)
//   431  a request head (request line and fields) above max_header_bytes
//   408  a request whose head and body do not arrive within read_timeout_ms of its start (slow
//        clients); an idle keep-alive connection is closed after read_timeout_ms without a word
// A failed TLS handshake (garbage bytes, a plain-text client) closes the connection. None of this
// disturbs other connections.
//
// Threads: the handler runs on the connection's thread, concurrently for different connections,
// so it must be thread-safe. Stop() (or the destructor) closes the listener, aborts open
// connections and joins every thread; it must not be called from the handler.
#ifndef TACET_EXAMPLES_NET_HTTPS_SERVER_H_
#define TACET_EXAMPLES_NET_HTTPS_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET" or "POST"
  std::string target;  // the request-target as sent ("/gateway")
  HeaderList headers;  // names lower-cased, values without surrounding whitespace, in order
  Bytes body;
  std::string peer;  // "127.0.0.1:54321"
  // The first value of a header (name in lower case), or nullptr.
  const std::string* Header(std::string_view lower_case_name) const;
};

// The media type of a Content-Type value ("Message/OHTTP-req; x=1" -> "message/ohttp-req"):
// lower-cased, without parameters or trailing whitespace; "" for a missing header (nullptr).
std::string MediaTypeOf(const std::string* content_type);

struct HttpResponse {
  int status = 200;  // 100..599; 1xx is not for handlers
  std::string content_type;  // omitted when empty
  Bytes body;
  HeaderList headers;  // extra fields, e.g. {"Retry-After", "7"}; no Content-Length or Connection
  // Fault injection for tests: when non-empty, these bytes are written as they are instead of a
  // response, and the connection is closed without a TLS close_notify.
  Bytes raw_reply;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest& request)>;

struct HttpsServerOptions {
  std::string cert_pem;  // the server certificate (chain), PEM
  std::string key_pem;   // its private key, PEM (a secret: the server wipes its copy)
  uint16_t port = 0;     // 0: an ephemeral port
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  int read_timeout_ms = 5000;  // the TLS handshake, and each request (head and body)
  int max_connections = 32;
};

struct HttpsServerStats {
  uint64_t connections = 0;          // accepted and served
  uint64_t refused_connections = 0;  // over max_connections
  uint64_t handshake_failures = 0;
  uint64_t requests = 0;             // given to the handler
  uint64_t refused_requests = 0;     // answered 4xx by the server itself (400, 405, 408, 411, 413, 431)
};

class HttpsServer {
 public:
  // Binds 127.0.0.1, loads the credentials and starts accepting. kInvalidArgument for bad
  // credentials or options, kUnavailable when the port cannot be bound.
  static StatusOr<std::unique_ptr<HttpsServer>> Start(HttpsServerOptions options, HttpHandler handler);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  uint16_t port() const { return port_; }
  HttpsServerStats stats() const;
  void Stop();

  struct Tls;  // mbedTLS state, defined in the .cc

 private:
  struct Connection {
    std::thread thread;
    int fd = -1;
    std::atomic<bool> done{false};
  };

  HttpsServer(HttpsServerOptions options, HttpHandler handler);
  void AcceptLoop();
  void Serve(Connection* connection, std::string peer);
  void ReapFinished(bool all);

  const HttpsServerOptions options_;
  const HttpHandler handler_;
  std::unique_ptr<Tls> tls_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;  // guarded by mu_
  HttpsServerStats stats_;                               // guarded by mu_
};

}  // namespace tacet::net

#endif  // TACET_EXAMPLES_NET_HTTPS_SERVER_H_
