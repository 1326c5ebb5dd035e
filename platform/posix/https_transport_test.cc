#include "posix/https_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "https_server.h"
#include "testing/status_matchers.h"
#include "tls_credentials.h"

namespace tacet::platform {
namespace {

using net::GenerateTestCredentials;
using net::HttpRequest;
using net::HttpResponse;
using net::HttpsServer;
using net::TestCredentials;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }

// A TCP listener on 127.0.0.1 that accepts connections and never says a word.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 8), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A port nothing listens on: bound, then released.
uint16_t ClosedPort() {
  SilentListener l;
  return l.port();  // closed when l goes
}

// A loopback TCP proxy that records every byte the client sends before forwarding it.
class RecordingProxy {
 public:
  explicit RecordingProxy(uint16_t target) : target_(target) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~RecordingProxy() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  std::string client_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return client_bytes_;
  }

 private:
  void Run() {
    pollfd l{listen_fd_, POLLIN, 0};
    while (!stop_ && poll(&l, 1, 50) <= 0) {
    }
    if (stop_) return;
    const int client = accept(listen_fd_, nullptr, nullptr);
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(target_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(client);
      close(server);
      return;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    char buf[16384];
    while (!stop_) {
      if (poll(fds, 2, 50) <= 0) continue;
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = read(client, buf, sizeof(buf));
        if (n <= 0) break;
        {
          std::lock_guard<std::mutex> lock(mu_);
          client_bytes_.append(buf, static_cast<size_t>(n));
        }
        if (write(server, buf, static_cast<size_t>(n)) != n) break;
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = read(server, buf, sizeof(buf));
        if (n <= 0) break;
        if (write(client, buf, static_cast<size_t>(n)) != n) break;
      }
    }
    close(client);
    close(server);
  }

  const uint16_t target_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::string client_bytes_;
};

class HttpsTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(creds_, GenerateTestCredentials());
  }

  // Starts the loopback server with `creds` (default: creds_) answering with `handler`.
  void StartServer(net::HttpHandler handler, const TestCredentials* creds = nullptr, int read_timeout_ms = 5000) {
    net::HttpsServerOptions options;
    options.cert_pem = (creds ? creds : &creds_)->cert_pem;
    options.key_pem = (creds ? creds : &creds_)->key_pem;
    options.read_timeout_ms = read_timeout_ms;
    ASSERT_OK_AND_ASSIGN(server_, HttpsServer::Start(std::move(options), std::move(handler)));
  }

  HttpsTransportOptions Options(uint16_t port) const {
    HttpsTransportOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.path = "/gateway";
    o.spki_sha256_pins = {creds_.spki_sha256};
    o.connect_timeout_ms = 2000;
    o.handshake_timeout_ms = 2000;
    o.read_timeout_ms = 2000;
    return o;
  }

  // One Send, waited for (10 s at most).
  static SendResult SendOnce(Transport& transport, const Bytes& body,
                             std::string_view content_type = kOhttpRequestMediaType) {
    auto promise = std::make_shared<std::promise<SendResult>>();
    std::future<SendResult> answer = promise->get_future();
    transport.Send(SendRequest{body, content_type}, [promise](const SendResult& r) { promise->set_value(r); });
    if (answer.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "no answer within 10 s";
      return SendResult();
    }
    return answer.get();
  }

  SendResult SendWith(const HttpsTransportOptions& options, const Bytes& body) {
    StatusOr<std::unique_ptr<HttpsTransport>> transport = HttpsTransport::Create(options);
    EXPECT_OK(transport.status());
    if (!transport.ok()) return SendResult();
    return SendOnce(**transport, body);
  }

  static HttpResponse Status(int status, std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    return r;
  }

  TestCredentials creds_;
  std::unique_ptr<HttpsServer> server_;
};

TEST_F(HttpsTransportTest, DeliveredWithTheResponseBodyAndMediaType) {
  std::mutex mu;
  std::vector<HttpRequest> seen;
  StartServer([&](const HttpRequest& request) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen.push_back(request);
    }
    HttpResponse r;
    r.content_type = std::string(kOhttpResponseMediaType);
    r.body = B("ack:");
    Append(r.body, request.body);
    return r;
  });
  const Bytes sealed = B("sealed batch \x01\x02\x00 bytes");
  const SendResult result = SendWith(Options(server_->port()), sealed);
  EXPECT_EQ(result.outcome, SendOutcome::kDelivered) << result.detail;
  EXPECT_EQ(result.detail, "HTTP 200");
  Bytes expected = B("ack:");
  Append(expected, sealed);
  EXPECT_EQ(result.body, expected);
  EXPECT_EQ(result.content_type, "message/ohttp-res");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/gateway");
  EXPECT_EQ(seen[0].body, sealed);
  ASSERT_NE(seen[0].Header("content-type"), nullptr);
  EXPECT_EQ(*seen[0].Header("content-type"), "message/ohttp-req");
  ASSERT_NE(seen[0].Header("host"), nullptr);
  EXPECT_EQ(*seen[0].Header("host"), "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(HttpsTransportTest, DnsHostNameIsVerifiedAndSentAsSni) {
  StartServer([](const HttpRequest&) { return HttpResponse(); });
  HttpsTransportOptions o = Options(server_->port());
  o.host = "localhost";
  const SendResult result = SendWith(o, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kDelivered) << result.detail;
}

TEST_F(HttpsTransportTest, CaChainInsteadOfPins) {
  StartServer([](const HttpRequest&) { return HttpResponse(); });
  HttpsTransportOptions o = Options(server_->port());
  o.spki_sha256_pins.clear();
  o.ca_chain_pem = creds_.cert_pem;  // the self-signed certificate is its own anchor
  EXPECT_EQ(SendWith(o, B("x")).outcome, SendOutcome::kDelivered);

  ASSERT_OK_AND_ASSIGN(TestCredentials other, GenerateTestCredentials());
  o.ca_chain_pem = other.cert_pem;  // an anchor that did not sign the server's certificate
  const SendResult result = SendWith(o, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_THAT(result.detail, StartsWith(std::string(kPeerAuthenticationFailed)));
  EXPECT_THAT(result.detail, HasSubstr("not correctly signed by the trusted CA"));
}

TEST_F(HttpsTransportTest, ConnectionRefusedIsRetryLater) {
  const SendResult result = SendWith(Options(ClosedPort()), B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_THAT(result.detail, HasSubstr("connection refused"));
}

TEST_F(HttpsTransportTest, ServerThatNeverAnswersTimesOut) {
  SilentListener silent;
  HttpsTransportOptions o = Options(silent.port());
  o.handshake_timeout_ms = 300;
  const auto start = std::chrono::steady_clock::now();
  const SendResult result = SendWith(o, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(result.detail, "TLS handshake timed out");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST_F(HttpsTransportTest, SlowResponseTimesOut) {
  StartServer([](const HttpRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return HttpResponse();
  });
  HttpsTransportOptions o = Options(server_->port());
  o.read_timeout_ms = 200;
  const SendResult result = SendWith(o, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_THAT(result.detail, HasSubstr("timed out"));
}

TEST_F(HttpsTransportTest, StatusCodesMapToOutcomes) {
  std::atomic<int> next_status{0};
  StartServer([&](const HttpRequest&) {
    const int status = next_status.load();
    if (status == 500) return Status(500, {{"Retry-After", "7"}});
    if (status == 503) return Status(503, {{"Retry-After", "Fri, 31 Dec 1999 23:59:59 GMT"}});
    if (status == 429) return Status(429, {{"Retry-After", " 120 "}});
    return Status(status);
  });
  struct Case {
    int status;
    SendOutcome outcome;
    int64_t retry_after_ms;
  };
  const Case cases[] = {
      {500, SendOutcome::kRetryLater, 7000}, {503, SendOutcome::kRetryLater, 0},
      {429, SendOutcome::kRetryLater, 120000}, {408, SendOutcome::kRetryLater, 0},
      {425, SendOutcome::kRetryLater, 0},    {502, SendOutcome::kRetryLater, 0},
      {400, SendOutcome::kRejected, 0},      {403, SendOutcome::kRejected, 0},
      {404, SendOutcome::kRejected, 0},      {413, SendOutcome::kRejected, 0},
      {422, SendOutcome::kRejected, 0},      {204, SendOutcome::kDelivered, 0},
      {202, SendOutcome::kDelivered, 0},     {301, SendOutcome::kRetryLater, 0},
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpsTransport> transport, HttpsTransport::Create(Options(server_->port())));
  for (const Case& c : cases) {
    next_status = c.status;
    const SendResult result = SendOnce(*transport, B("x"));
    EXPECT_EQ(result.outcome, c.outcome) << c.status << " " << result.detail;
    EXPECT_EQ(result.retry_after_ms, c.retry_after_ms) << c.status;
    EXPECT_THAT(result.detail, StartsWith("HTTP " + std::to_string(c.status))) << c.status;
    EXPECT_EQ(result.http_status, c.status);
  }
}

TEST_F(HttpsTransportTest, ARefusalKeepsItsProblemBodyAndMediaType) {
  const std::string problem =
      R"({"type":"https://iana.org/assignments/http-problem-types#ohttp-key","title":"unknown key id"})";
  StartServer([&](const HttpRequest&) {
    HttpResponse r;
    r.status = 400;
    r.content_type = "application/problem+json";
    r.body.assign(problem.begin(), problem.end());
    return r;
  });
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpsTransport> transport, HttpsTransport::Create(Options(server_->port())));
  const SendResult result = SendOnce(*transport, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRejected);
  EXPECT_EQ(result.http_status, 400);
  EXPECT_EQ(result.detail, "HTTP 400");
  EXPECT_EQ(result.content_type, "application/problem+json");
  EXPECT_EQ(std::string(result.body.begin(), result.body.end()), problem);
}

TEST_F(HttpsTransportTest, TruncatedResponseIsRetryLater) {
  StartServer([](const HttpRequest&) {
    HttpResponse r;
    r.raw_reply = B("HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-res\r\nContent-Length: 100\r\n\r\nonly this");
    return r;
  });
  const SendResult result = SendWith(Options(server_->port()), B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_THAT(result.detail, HasSubstr("truncated response: 100 body bytes announced, 9 received"));
  EXPECT_TRUE(result.body.empty());
}

TEST_F(HttpsTransportTest, ResponseCutInsideTheHeaderIsRetryLater) {
  StartServer([](const HttpRequest&) {
    HttpResponse r;
    r.raw_reply = B("HTTP/1.1 200 OK\r\nContent-Le");
    return r;
  });
  const SendResult result = SendWith(Options(server_->port()), B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_THAT(result.detail, HasSubstr("truncated response"));
}

TEST_F(HttpsTransportTest, OversizedResponseIsRetryLater) {
  StartServer([](const HttpRequest&) {
    HttpResponse r;
    r.body.assign(4096, 'a');
    return r;
  });
  HttpsTransportOptions o = Options(server_->port());
  o.max_response_body_bytes = 1024;
  const SendResult result = SendWith(o, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_THAT(result.detail, HasSubstr("response body of 4096 bytes exceeds the cap of 1024 bytes"));
  o.max_response_body_bytes = 4096;
  EXPECT_EQ(SendWith(o, B("x")).outcome, SendOutcome::kDelivered);
}

TEST_F(HttpsTransportTest, WrongServerCertificateFailsThePin) {
  ASSERT_OK_AND_ASSIGN(TestCredentials impostor, GenerateTestCredentials());
  std::atomic<int> requests{0};
  StartServer(
      [&](const HttpRequest&) {
        ++requests;
        return HttpResponse();
      },
      &impostor);
  const SendResult result = SendWith(Options(server_->port()), B("secret"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(result.detail, std::string(kPeerAuthenticationFailed) +
                               ": the server's public key matches none of the 1 pinned SPKI SHA-256 values");
  EXPECT_EQ(requests.load(), 0);
  // The server sees the aborted handshake a moment after the client gives up.
  for (int i = 0; i < 200 && server_->stats().handshake_failures == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->stats().handshake_failures, 1u);

  // A second pin that matches lets it through (pin sets allow key rotation).
  HttpsTransportOptions o = Options(server_->port());
  o.spki_sha256_pins.push_back(impostor.spki_sha256);
  EXPECT_EQ(SendWith(o, B("x")).outcome, SendOutcome::kDelivered);
}

TEST_F(HttpsTransportTest, WrongHostNameFailsVerification) {
  net::CredentialOptions elsewhere;
  elsewhere.common_name = "gateway.example";
  elsewhere.dns_names = {"gateway.example"};
  elsewhere.ip_addresses = {"10.1.2.3"};
  ASSERT_OK_AND_ASSIGN(TestCredentials other_name, GenerateTestCredentials(elsewhere));
  StartServer([](const HttpRequest&) { return HttpResponse(); }, &other_name);
  HttpsTransportOptions o = Options(server_->port());
  o.spki_sha256_pins = {other_name.spki_sha256};  // the right key, the wrong name
  SendResult result = SendWith(o, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(result.detail,
            std::string(kPeerAuthenticationFailed) + ": the server's certificate is not valid for '127.0.0.1'");
  o.host = "localhost";
  result = SendWith(o, B("x"));
  EXPECT_EQ(result.outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(result.detail,
            std::string(kPeerAuthenticationFailed) + ": the server's certificate is not valid for 'localhost'");
  EXPECT_EQ(server_->stats().requests, 0u);
}

TEST_F(HttpsTransportTest, NoPlaintextOnTheWire) {
  const std::string canary = "CANARY-alice@example.org-+33612345678";
  std::string received;
  std::mutex mu;
  StartServer([&](const HttpRequest& request) {
    std::lock_guard<std::mutex> lock(mu);
    received.assign(request.body.begin(), request.body.end());
    return HttpResponse();
  });
  RecordingProxy proxy(server_->port());
  const SendResult result = SendWith(Options(proxy.port()), B(canary + canary));
  EXPECT_EQ(result.outcome, SendOutcome::kDelivered) << result.detail;
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(received, canary + canary);  // it did go through the proxy
  }
  const std::string wire = proxy.client_bytes();
  EXPECT_GT(wire.size(), 2 * canary.size());
  EXPECT_EQ(wire.find("CANARY"), std::string::npos);
  EXPECT_EQ(wire.find("alice"), std::string::npos);
  EXPECT_EQ(wire.find("POST"), std::string::npos);
  EXPECT_EQ(wire.find("message/ohttp-req"), std::string::npos);
}

TEST_F(HttpsTransportTest, NeverAnswersInsideSendAndAnswersOnTheWorkerThread) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpsTransport> transport, HttpsTransport::Create(Options(ClosedPort())));
  auto promise = std::make_shared<std::promise<std::thread::id>>();
  std::future<std::thread::id> answered_on = promise->get_future();
  transport->Send(B("x"), [promise](const SendResult&) { promise->set_value(std::this_thread::get_id()); });
  ASSERT_EQ(answered_on.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_NE(answered_on.get(), std::this_thread::get_id());
}

TEST_F(HttpsTransportTest, DestructorAnswersPendingAndInFlightSendsTransportClosed) {
  // Shared with the handler, which may still run when the test body ends.
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool release = false;
    std::atomic<int> arrived{0};
  };
  auto gate = std::make_shared<Gate>();
  StartServer([gate](const HttpRequest&) {
    ++gate->arrived;
    std::unique_lock<std::mutex> lock(gate->mu);
    gate->cv.wait_for(lock, std::chrono::seconds(10), [&] { return gate->release; });
    return HttpResponse();
  });
  std::vector<SendResult> answers;
  std::mutex answers_mu;
  {
    HttpsTransportOptions o = Options(server_->port());
    o.read_timeout_ms = 10000;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpsTransport> transport, HttpsTransport::Create(o));
    for (int i = 0; i < 3; ++i) {
      transport->Send(B("x"), [&](const SendResult& r) {
        std::lock_guard<std::mutex> lock(answers_mu);
        answers.push_back(r);
      });
    }
    while (gate->arrived.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const auto start = std::chrono::steady_clock::now();
    transport.reset();  // one in flight (the server holds it), two queued
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
  {
    std::lock_guard<std::mutex> lock(gate->mu);
    gate->release = true;
  }
  gate->cv.notify_all();
  ASSERT_EQ(answers.size(), 3u);
  for (const SendResult& r : answers) {
    EXPECT_EQ(r.outcome, SendOutcome::kRetryLater);
    EXPECT_EQ(r.detail, "transport closed");
  }
}

TEST(HttpsTransportOptionsTest, CreateNamesTheBadOption) {
  HttpsTransportOptions o;
  o.host = "127.0.0.1";
  o.spki_sha256_pins = {SpkiPin{}};
  EXPECT_OK(HttpsTransport::Create(o).status());
  HttpsTransportOptions bad = o;
  bad.spki_sha256_pins.clear();
  EXPECT_THAT(HttpsTransport::Create(bad).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("no trust anchor")));
  bad = o;
  bad.host = "evil\r\nHost: x";
  EXPECT_THAT(HttpsTransport::Create(bad).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("host")));
  bad = o;
  bad.path = "gateway";
  EXPECT_THAT(HttpsTransport::Create(bad).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("path")));
  bad = o;
  bad.path = "/a b";
  EXPECT_THAT(HttpsTransport::Create(bad).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("path")));
  bad = o;
  bad.read_timeout_ms = 0;
  EXPECT_THAT(HttpsTransport::Create(bad).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("timeout")));
  bad = o;
  bad.ca_chain_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  EXPECT_THAT(HttpsTransport::Create(bad).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("CA chain")));
}

TEST(HttpsTransportOptionsTest, ParsesHttpsUrls) {
  HttpsTransportOptions o;
  ASSERT_OK(ParseHttpsUrl("https://gateway.example/ohttp?v=1", &o));
  EXPECT_EQ(o.host, "gateway.example");
  EXPECT_EQ(o.port, 443);
  EXPECT_EQ(o.path, "/ohttp?v=1");
  ASSERT_OK(ParseHttpsUrl("https://127.0.0.1:8443", &o));
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8443);
  EXPECT_EQ(o.path, "/");
  ASSERT_OK(ParseHttpsUrl("HTTPS://[::1]:9000/g", &o));
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 9000);
  EXPECT_EQ(o.path, "/g");
  for (const char* bad : {"http://x/", "https://", "https://user@x/", "https://x:0/", "https://x:70000/",
                          "https://x:/", "https://x/#frag", "https://[::1/", "https://x y/", "https://x/a b"}) {
    EXPECT_THAT(ParseHttpsUrl(bad, &o), StatusIs(StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(HttpsResponseParsingTest, RetryAfterSecondsOnly) {
  EXPECT_EQ(https_internal::ParseRetryAfterMs("0"), 0);
  EXPECT_EQ(https_internal::ParseRetryAfterMs(" 30 "), 30000);
  EXPECT_EQ(https_internal::ParseRetryAfterMs("99999999999999999999"), 24LL * 3600 * 1000);
  EXPECT_EQ(https_internal::ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(https_internal::ParseRetryAfterMs("-5"), std::nullopt);
  EXPECT_EQ(https_internal::ParseRetryAfterMs("1.5"), std::nullopt);
  EXPECT_EQ(https_internal::ParseRetryAfterMs(""), std::nullopt);
}

// Feeds `wire` in pieces of `step` bytes, then ends with `end` (kReadClosed, kReadTruncated...).
SendResult Parse(const std::string& wire, int end = https_internal::kReadClosed, size_t step = 3,
                 size_t max_body = 1024) {
  size_t pos = 0;
  const https_internal::ReadFn read = [&](uint8_t* buf, size_t len) -> int {
    if (pos >= wire.size()) return end;
    const size_t n = std::min({step, len, wire.size() - pos});
    std::memcpy(buf, wire.data() + pos, n);
    pos += n;
    return static_cast<int>(n);
  };
  return https_internal::ReadResponse(read, 256, max_body);
}

TEST(HttpsResponseParsingTest, FramingOfTheBody) {
  SendResult r = Parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: a/b\r\n\r\nhelloEXTRA");
  EXPECT_EQ(r.outcome, SendOutcome::kDelivered);
  EXPECT_EQ(r.body, B("hello"));
  EXPECT_EQ(r.content_type, "a/b");
  // Chunked (RFC 9112 section 7.1), with an extension and a trailer; interim 100 skipped first.
  r = Parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n");
  EXPECT_EQ(r.outcome, SendOutcome::kDelivered) << r.detail;
  EXPECT_EQ(r.body, B("hello0123456789"));
  // Close-delimited: complete only with close_notify.
  r = Parse("HTTP/1.1 200 OK\r\n\r\nall of it");
  EXPECT_EQ(r.outcome, SendOutcome::kDelivered);
  EXPECT_EQ(r.body, B("all of it"));
  r = Parse("HTTP/1.1 200 OK\r\n\r\nall of it", https_internal::kReadTruncated);
  EXPECT_EQ(r.outcome, SendOutcome::kRetryLater);
  EXPECT_THAT(r.detail, HasSubstr("truncated"));
  // Identical Content-Length values are one value.
  r = Parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nok");
  EXPECT_EQ(r.outcome, SendOutcome::kDelivered);
  EXPECT_EQ(r.body, B("ok"));
}

TEST(HttpsResponseParsingTest, NonSuccessAnswersKeepTheirBodyWithinTheCap) {
  SendResult r = Parse("HTTP/1.1 400 Bad Request\r\nContent-Type: application/problem+json\r\n"
                       "Content-Length: 19\r\n\r\n{\"title\":\"bad key\"}");
  EXPECT_EQ(r.outcome, SendOutcome::kRejected);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.detail, "HTTP 400");
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.body, B("{\"title\":\"bad key\"}"));
  // A 503 keeps its Retry-After and its (chunked) body.
  r = Parse("HTTP/1.1 503 Busy\r\nRetry-After: 3\r\nContent-Type: text/plain\r\n"
            "Transfer-Encoding: chunked\r\n\r\n4\r\nbusy\r\n0\r\n\r\n");
  EXPECT_EQ(r.outcome, SendOutcome::kRetryLater);
  EXPECT_EQ(r.retry_after_ms, 3000);
  EXPECT_EQ(r.http_status, 503);
  EXPECT_EQ(r.body, B("busy"));
  // Over the cap, or cut short: the outcome stands, the body is dropped and the detail says why.
  r = Parse("HTTP/1.1 403 Forbidden\r\nContent-Length: 2000\r\n\r\n" + std::string(2000, 'x'));
  EXPECT_EQ(r.outcome, SendOutcome::kRejected);
  EXPECT_EQ(r.http_status, 403);
  EXPECT_TRUE(r.body.empty());
  EXPECT_THAT(r.detail, StartsWith("HTTP 403 (body not kept: "));
  EXPECT_THAT(r.detail, HasSubstr("exceeds the cap of 1024 bytes"));
  r = Parse("HTTP/1.1 400 Bad Request\r\nContent-Length: 10\r\n\r\nabc", https_internal::kReadTruncated);
  EXPECT_EQ(r.outcome, SendOutcome::kRejected);
  EXPECT_TRUE(r.body.empty());
  EXPECT_THAT(r.detail, HasSubstr("body not kept: truncated response"));
  // No answer read: no status.
  EXPECT_EQ(Parse("HTTP/1.1 2", https_internal::kReadError).http_status, 0);
}

TEST(HttpsResponseParsingTest, MalformedOrOversizedResponsesAreRetryLater) {
  const char* malformed[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nName : x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
      "HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
      "garbage\r\n\r\n",
  };
  for (const char* wire : malformed) {
    const SendResult r = Parse(wire);
    EXPECT_EQ(r.outcome, SendOutcome::kRetryLater) << wire;
    EXPECT_TRUE(r.body.empty()) << wire;
  }
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\n" + std::string(300, 'x')).detail, HasSubstr("response header exceeds 256"));
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n").detail, HasSubstr("exceeds the cap"));
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\n\r\n" + std::string(2000, 'x')).detail, HasSubstr("exceeds the cap"));
  EXPECT_THAT(Parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", https_internal::kReadTimeout).detail,
              HasSubstr("timed out"));
  EXPECT_THAT(Parse("HTTP/1.1 2", https_internal::kReadError).detail, HasSubstr("connection error"));
}

}  // namespace
}  // namespace tacet::platform
