// What a TLS connection costs per upload: BM_HttpsPostNoKeepAlive sends one 1 KiB POST per
// iteration through the posix HttpsTransport (TCP connect, TLS 1.2 ECDHE-ECDSA P-256 handshake,
// request, response, close) to the loopback HttpsServer; BM_PlainTcpSameBytes moves the same request
// and response bytes over a fresh plain TCP connection to an in-process echo, its baseline.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "https_server.h"
#include "posix/https_transport.h"
#include "tls_credentials.h"

namespace tacet::net {
namespace {

constexpr size_t kBodyBytes = 1024;

const std::string& ResponseBody() {
  static const std::string body(64, 'k');
  return body;
}

void BM_HttpsPostNoKeepAlive(benchmark::State& state) {
  StatusOr<TestCredentials> creds = GenerateTestCredentials();
  if (!creds.ok()) return state.SkipWithError(creds.status().ToString().c_str());
  HttpsServerOptions options;
  options.cert_pem = creds->cert_pem;
  options.key_pem = creds->key_pem;
  StatusOr<std::unique_ptr<HttpsServer>> server = HttpsServer::Start(options, [](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "message/ohttp-res";
    r.body.assign(ResponseBody().begin(), ResponseBody().end());
    return r;
  });
  if (!server.ok()) return state.SkipWithError(server.status().ToString().c_str());
  platform::HttpsTransportOptions o;
  o.host = "127.0.0.1";
  o.port = (*server)->port();
  o.path = "/gateway";
  o.spki_sha256_pins = {creds->spki_sha256};
  StatusOr<std::unique_ptr<platform::HttpsTransport>> transport = platform::HttpsTransport::Create(o);
  if (!transport.ok()) return state.SkipWithError(transport.status().ToString().c_str());
  const Bytes body(kBodyBytes, 0x5a);
  for (auto _ : state) {
    std::promise<platform::SendOutcome> done;
    (*transport)->Send(platform::SendRequest{body, platform::kOhttpRequestMediaType},
                       [&](const platform::SendResult& r) { done.set_value(r.outcome); });
    if (done.get_future().get() != platform::SendOutcome::kDelivered) return state.SkipWithError("not delivered");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpsPostNoKeepAlive)->Unit(benchmark::kMicrosecond)->UseRealTime();

int ListenLoopback(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

bool ReadExactly(int fd, char* buf, size_t n) {
  for (size_t done = 0; done < n;) {
    const ssize_t got = read(fd, buf + done, n - done);
    if (got <= 0) return false;
    done += static_cast<size_t>(got);
  }
  return true;
}

bool WriteAll(int fd, const std::string& bytes) {
  return send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

void BM_PlainTcpSameBytes(benchmark::State& state) {
  const std::string request = "POST /gateway HTTP/1.1\r\nHost: 127.0.0.1:1\r\nContent-Type: message/ohttp-req\r\n"
                              "Content-Length: 1024\r\nConnection: close\r\n\r\n" +
                              std::string(kBodyBytes, 'Z');
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-res\r\nContent-Length: 64\r\n"
                               "Connection: close\r\n\r\n" +
                               ResponseBody();
  uint16_t port = 0;
  const int listen_fd = ListenLoopback(&port);
  if (listen_fd < 0) return state.SkipWithError("cannot listen");
  std::atomic<bool> stop{false};
  std::thread echo([&] {
    std::string buf(request.size(), '\0');
    while (!stop.load()) {
      const int c = accept(listen_fd, nullptr, nullptr);
      if (c < 0) break;
      if (ReadExactly(c, buf.data(), buf.size())) WriteAll(c, response);
      close(c);
    }
  });
  std::string reply(response.size(), '\0');
  for (auto _ : state) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || !WriteAll(fd, request) ||
        !ReadExactly(fd, reply.data(), reply.size())) {
      close(fd);
      state.SkipWithError("plain exchange failed");
      break;
    }
    close(fd);
  }
  state.SetItemsProcessed(state.iterations());
  stop = true;
  shutdown(listen_fd, SHUT_RDWR);
  echo.join();
  close(listen_fd);
}
BENCHMARK(BM_PlainTcpSameBytes)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace tacet::net
