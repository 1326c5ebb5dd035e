#include "https_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "crypto/drbg.h"
#include "posix/http1_syntax.h"
#include "posix/posix_entropy.h"
#include "posix/tls_socket.h"

namespace tacet::net {

namespace http1 = platform::http1;
using platform::MbedTlsError;
using platform::SocketBio;
using Clock = std::chrono::steady_clock;

const std::string* HttpRequest::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return &value;
  }
  return nullptr;
}

struct HttpsServer::Tls {
  platform::PosixEntropy entropy;
  std::unique_ptr<crypto::Drbg> drbg;  // thread-safe: shared by every connection
  mbedtls_ssl_config conf;
  mbedtls_x509_crt cert;
  mbedtls_pk_context key;
  // TLS 1.2, ECDHE-ECDSA, AEAD only.
  const int ciphersuites[4] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                               MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                               MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 0};
  Tls() {
    mbedtls_ssl_config_init(&conf);
    mbedtls_x509_crt_init(&cert);
    mbedtls_pk_init(&key);
  }
  ~Tls() {
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&cert);
    mbedtls_pk_free(&key);
  }
};

std::string MediaTypeOf(const std::string* content_type) {
  if (content_type == nullptr) return "";
  std::string type = content_type->substr(0, content_type->find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  return type;
}

namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

HttpResponse Refusal(int status, std::string text, HeaderList headers = {}) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body.assign(text.begin(), text.end());
  r.body.push_back('\n');
  r.headers = std::move(headers);
  return r;
}

// The response as bytes (RFC 9112 section 4 status line, section 6 Content-Length). A handler's
// invalid status or header becomes a 500.
Bytes Serialize(const HttpResponse& in, bool close) {
  const HttpResponse* r = &in;
  HttpResponse fallback;
  bool valid = in.status >= 200 && in.status <= 599 && http1::IsFieldValue(in.content_type);
  for (const auto& [name, value] : in.headers) {
    valid = valid && http1::IsToken(name) && http1::IsFieldValue(value) &&
            !http1::EqualsIgnoreCase(name, "content-length") && !http1::EqualsIgnoreCase(name, "connection") &&
            !http1::EqualsIgnoreCase(name, "transfer-encoding");
  }
  if (!valid) {
    fallback = Refusal(500, "the handler produced an invalid response");
    r = &fallback;
  }
  std::string head = "HTTP/1.1 " + std::to_string(r->status) + " " + ReasonPhrase(r->status) + "\r\n";
  if (!r->content_type.empty()) head += "Content-Type: " + r->content_type + "\r\n";
  head += "Content-Length: " + std::to_string(r->body.size()) + "\r\n";
  for (const auto& [name, value] : r->headers) head += name + ": " + value + "\r\n";
  if (close) head += "Connection: close\r\n";
  head += "\r\n";
  Bytes out(head.begin(), head.end());
  Append(out, r->body);
  return out;
}

int WriteAll(mbedtls_ssl_context* ssl, ByteView data) {
  size_t done = 0;
  while (done < data.size()) {
    const int n = mbedtls_ssl_write(ssl, data.data() + done, data.size() - done);
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    if (n <= 0) return n == 0 ? -1 : n;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// After refusing a request whose body may still be arriving, stop writing and drain what the
// client sends for a moment, so the refusal is read rather than lost to a reset (RFC 9112
// section 9.6).
void LingeringClose(int fd) {
  shutdown(fd, SHUT_WR);
  const auto until = Clock::now() + std::chrono::milliseconds(200);
  uint8_t sink[4096];
  for (size_t drained = 0; drained < (1u << 20);) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, platform::MillisUntil(until)) <= 0) return;
    const ssize_t n = recv(fd, sink, sizeof(sink), 0);
    if (n <= 0) return;
    drained += static_cast<size_t>(n);
  }
}

struct RequestHead {
  std::string method;
  std::string target;
  bool http11 = false;
  HeaderList headers;
  std::optional<uint64_t> content_length;
  bool has_transfer_encoding = false;
  int host_fields = 0;
  bool connection_close = false;
};

// request-line = method SP request-target SP HTTP-version (RFC 9112 section 3), then field
// lines (section 5). On failure, the status to answer.
std::optional<int> ParseRequestHead(std::string_view text, RequestHead* out) {
  size_t eol = text.find("\r\n");
  const std::string_view line = text.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return 400;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!http1::IsToken(method) || target.empty() ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; }) ||
      version.size() != 8 || version.substr(0, 7) != "HTTP/1." || !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return 400;
  }
  out->method = std::string(method);
  out->target = std::string(target);
  out->http11 = version[7] != '0';
  while (eol != std::string_view::npos) {
    const size_t start = eol + 2;
    eol = text.find("\r\n", start);
    const std::string_view field_line =
        text.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    const std::optional<http1::FieldLine> field = http1::ParseFieldLine(field_line);
    if (!field) return 400;
    std::string name(field->name);
    std::transform(name.begin(), name.end(), name.begin(), [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
    if (name == "content-length" && !http1::MergeContentLength(field->value, &out->content_length)) return 400;
    if (name == "transfer-encoding") out->has_transfer_encoding = true;
    if (name == "host") ++out->host_fields;
    if (name == "connection") {
      std::string_view rest = field->value;
      for (;;) {
        const size_t comma = rest.find(',');
        if (http1::EqualsIgnoreCase(http1::TrimOws(rest.substr(0, comma)), "close")) out->connection_close = true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    out->headers.emplace_back(std::move(name), std::string(field->value));
  }
  // RFC 9112 section 3.2: an HTTP/1.1 request carries exactly one Host.
  if (out->host_fields > 1 || (out->http11 && out->host_fields == 0)) return 400;
  return std::nullopt;
}

}  // namespace

// ---- lifecycle -------------------------------------------------------------------------------

HttpsServer::HttpsServer(HttpsServerOptions options, HttpHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)), tls_(std::make_unique<Tls>()) {}

StatusOr<std::unique_ptr<HttpsServer>> HttpsServer::Start(HttpsServerOptions options, HttpHandler handler) {
  if (!handler) return InvalidArgumentError("https server: no handler");
  if (options.read_timeout_ms <= 0 || options.max_connections <= 0 || options.max_header_bytes < 64) {
    return InvalidArgumentError("https server: read_timeout_ms and max_connections must be positive, "
                                "max_header_bytes at least 64");
  }
  std::string key_pem = std::move(options.key_pem);
  options.key_pem.clear();
  std::unique_ptr<HttpsServer> server(new HttpsServer(std::move(options), std::move(handler)));
  Tls& tls = *server->tls_;
  const std::string& cert_pem = server->options_.cert_pem;
  int rc = mbedtls_x509_crt_parse(&tls.cert, reinterpret_cast<const unsigned char*>(cert_pem.c_str()),
                                  cert_pem.size() + 1);
  if (rc != 0) return InvalidArgumentError("https server: certificate: " + MbedTlsError(rc));
  rc = mbedtls_pk_parse_key(&tls.key, reinterpret_cast<const unsigned char*>(key_pem.c_str()), key_pem.size() + 1,
                            nullptr, 0);
  mbedtls_platform_zeroize(key_pem.data(), key_pem.size());
  if (rc != 0) return InvalidArgumentError("https server: private key: " + MbedTlsError(rc));
  TACET_ASSIGN_OR_RETURN(tls.drbg, crypto::Drbg::Create(tls.entropy, "tacet https server"));
  rc = mbedtls_ssl_config_defaults(&tls.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                   MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) return InternalError("https server: TLS defaults: " + MbedTlsError(rc));
  mbedtls_ssl_conf_min_version(&tls.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(&tls.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_ciphersuites(&tls.conf, tls.ciphersuites);
  mbedtls_ssl_conf_rng(&tls.conf, crypto::Drbg::MbedtlsRandom, tls.drbg.get());
  rc = mbedtls_ssl_conf_own_cert(&tls.conf, &tls.cert, &tls.key);
  if (rc != 0) return InvalidArgumentError("https server: certificate and key: " + MbedTlsError(rc));

  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return UnavailableError(std::string("https server: socket: ") + std::strerror(errno));
  server->listen_fd_ = fd;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server->options_.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 64) != 0) {
    return UnavailableError("https server: cannot listen on 127.0.0.1:" + std::to_string(server->options_.port) +
                            ": " + std::strerror(errno));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  server->port_ = ntohs(addr.sin_port);
  if (pipe2(server->wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return UnavailableError(std::string("https server: pipe: ") + std::strerror(errno));
  }
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

HttpsServer::~HttpsServer() {
  Stop();
  if (listen_fd_ >= 0) close(listen_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0) close(fd);
  }
}

void HttpsServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_pipe_[1] >= 0) {
    const char byte = 'x';
    [[maybe_unused]] const ssize_t n = write(wake_pipe_[1], &byte, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& c : connections_) shutdown(c->fd, SHUT_RDWR);
  }
  ReapFinished(true);
}

HttpsServerStats HttpsServer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void HttpsServer::ReapFinished(bool all) {
  std::list<std::unique_ptr<Connection>> finished;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto next = std::next(it);
      if (all || (*it)->done.load()) finished.splice(finished.end(), connections_, it);
      it = next;
    }
  }
  for (auto& c : finished) {
    if (c->thread.joinable()) c->thread.join();
    close(c->fd);
  }
}

void HttpsServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    poll(fds, 2, 1000);
    ReapFinished(false);
    if (stopping_.load()) break;
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      // Out of descriptors: let connections finish instead of spinning on a readable listener.
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // see ConnectTcp
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
    std::string peer = std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
    std::lock_guard<std::mutex> lock(mu_);
    if (connections_.size() >= static_cast<size_t>(options_.max_connections)) {
      ++stats_.refused_connections;
      close(fd);
      continue;
    }
    ++stats_.connections;
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    Connection* raw = c.get();
    connections_.push_back(std::move(c));
    raw->thread = std::thread([this, raw, peer = std::move(peer)]() mutable { Serve(raw, std::move(peer)); });
  }
}

// ---- one connection --------------------------------------------------------------------------

void HttpsServer::Serve(Connection* connection, std::string peer) {
  const int fd = connection->fd;
  const auto timeout = std::chrono::milliseconds(options_.read_timeout_ms);
  mbedtls_ssl_context ssl;
  mbedtls_ssl_init(&ssl);
  SocketBio bio{fd, Clock::now() + timeout, false};
  const auto count = [this](uint64_t HttpsServerStats::*field) {
    std::lock_guard<std::mutex> lock(mu_);
    ++(stats_.*field);
  };
  // Answers a refusal, then closes the connection after draining what the client still sends.
  const auto refuse = [&](int status, std::string text, HeaderList headers = {}) {
    count(&HttpsServerStats::refused_requests);
    bio.deadline = Clock::now() + timeout;
    if (WriteAll(&ssl, Serialize(Refusal(status, std::move(text), std::move(headers)), true)) == 0) {
      mbedtls_ssl_close_notify(&ssl);
    }
    LingeringClose(fd);
  };

  int rc = mbedtls_ssl_setup(&ssl, &tls_->conf);
  if (rc == 0) {
    mbedtls_ssl_set_bio(&ssl, &bio, platform::SocketBioSend, nullptr, platform::SocketBioRecv);
    do {
      rc = mbedtls_ssl_handshake(&ssl);
    } while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
  }
  // The peer sees the end at once; the acceptor closes the descriptor when it reaps the thread.
  const auto finish = [&] {
    mbedtls_ssl_free(&ssl);
    shutdown(fd, SHUT_RDWR);
    connection->done = true;
  };
  if (rc != 0) {
    count(&HttpsServerStats::handshake_failures);
    finish();
    return;
  }

  std::string buf;  // received and not yet consumed
  // Reads more into buf: >0 on progress, 0 at the end of the stream, <0 on timeout or error.
  const auto read_more = [&]() -> int {
    char chunk[16 * 1024];
    for (;;) {
      const int n = mbedtls_ssl_read(&ssl, reinterpret_cast<unsigned char*>(chunk), sizeof(chunk));
      if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
      if (n > 0) buf.append(chunk, static_cast<size_t>(n));
      if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_CONN_EOF) return 0;
      return n;
    }
  };

  for (;;) {
    bio.deadline = Clock::now() + timeout;
    bio.timed_out = false;
    size_t head_end;
    bool closed = false;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos || head_end > options_.max_header_bytes) {
      if (buf.size() > options_.max_header_bytes + 3) break;
      if (read_more() <= 0) {
        closed = true;
        break;
      }
    }
    if (closed) {
      // An idle keep-alive connection ends quietly; a request cut short by the clock gets 408.
      if (bio.timed_out && !buf.empty()) refuse(408, "the request did not arrive in time");
      break;
    }
    if (head_end == std::string::npos || head_end > options_.max_header_bytes) {
      refuse(431, "the request head exceeds " + std::to_string(options_.max_header_bytes) + " bytes");
      break;
    }
    RequestHead head;
    if (std::optional<int> status = ParseRequestHead(std::string_view(buf).substr(0, head_end), &head)) {
      refuse(*status, "malformed request");
      break;
    }
    buf.erase(0, head_end + 4);
    if (head.method != "GET" && head.method != "POST") {
      refuse(405, "only GET and POST are served", {{"Allow", "GET, POST"}});
      break;
    }
    if (head.has_transfer_encoding) {
      refuse(411, "chunked request bodies are not supported: send Content-Length");
      break;
    }
    const uint64_t length = head.content_length.value_or(0);
    if (length > options_.max_body_bytes) {
      refuse(413, "the body exceeds " + std::to_string(options_.max_body_bytes) + " bytes");
      break;
    }
    while (buf.size() < length) {
      if (read_more() <= 0) {
        closed = true;
        break;
      }
    }
    if (closed) {
      if (bio.timed_out) refuse(408, "the request body did not arrive in time");
      break;
    }
    HttpRequest request;
    request.method = std::move(head.method);
    request.target = std::move(head.target);
    request.headers = std::move(head.headers);
    request.body.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(length));
    request.peer = peer;
    buf.erase(0, static_cast<size_t>(length));
    count(&HttpsServerStats::requests);
    const HttpResponse response = handler_(request);
    bio.deadline = Clock::now() + timeout;
    if (!response.raw_reply.empty()) {
      WriteAll(&ssl, response.raw_reply);
      break;  // no close_notify: the fault is the point
    }
    const bool close_after = head.connection_close || !head.http11 || stopping_.load();
    if (WriteAll(&ssl, Serialize(response, close_after)) != 0) break;
    if (close_after) {
      mbedtls_ssl_close_notify(&ssl);
      break;
    }
  }
  finish();
}

}  // namespace tacet::net
