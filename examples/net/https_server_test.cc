#include "https_server.h"

#include <mbedtls/x509_crt.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "posix/https_transport.h"
#include "posix/tls_socket.h"
#include "raw_client.h"
#include "testing/status_matchers.h"
#include "tls_credentials.h"

namespace tacet::net {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(creds_, GenerateTestCredentials());
    HttpsServerOptions options;
    options.cert_pem = creds_.cert_pem;
    options.key_pem = creds_.key_pem;
    options.max_body_bytes = 4096;
    options.max_header_bytes = 1024;
    options.read_timeout_ms = 400;
    ASSERT_OK_AND_ASSIGN(server_, HttpsServer::Start(std::move(options), [this](const HttpRequest& request) {
                           ++handled_;
                           HttpResponse r;
                           r.content_type = "text/plain";
                           const std::string text = request.method + " " + request.target + " " +
                                                    std::to_string(request.body.size());
                           r.body.assign(text.begin(), text.end());
                           return r;
                         }));
  }

  // A real client round trip: proves the server is still up and serving.
  void ExpectServes() {
    platform::HttpsTransportOptions o;
    o.host = "127.0.0.1";
    o.port = server_->port();
    o.path = "/after";
    o.spki_sha256_pins = {creds_.spki_sha256};
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<platform::HttpsTransport> transport, platform::HttpsTransport::Create(o));
    std::promise<platform::SendResult> answer;
    transport->Send(Bytes{1, 2, 3}, [&](const platform::SendResult& r) { answer.set_value(r); });
    const platform::SendResult r = answer.get_future().get();
    EXPECT_EQ(r.outcome, platform::SendOutcome::kDelivered) << r.detail;
    EXPECT_EQ(std::string(r.body.begin(), r.body.end()), "POST /after 3");
  }

  static std::string Post(const std::string& target, const std::string& body, const std::string& extra = "") {
    return "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n" + extra + "\r\n" + body;
  }

  TestCredentials creds_;
  std::atomic<int> handled_{0};  // before server_: the server's threads use it until it stops
  std::unique_ptr<HttpsServer> server_;
};

TEST(TlsCredentialsTest, SelfSignedP256CertificateWithNamesAndPin) {
  ASSERT_OK_AND_ASSIGN(TestCredentials creds, GenerateTestCredentials());
  EXPECT_THAT(creds.key_pem, StartsWith("-----BEGIN EC PRIVATE KEY-----"));
  EXPECT_THAT(creds.cert_pem, StartsWith("-----BEGIN CERTIFICATE-----"));
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  ASSERT_EQ(mbedtls_x509_crt_parse_der(&crt, creds.cert_der.data(), creds.cert_der.size()), 0);
  // The pin computed from the key equals the one computed from the certificate.
  EXPECT_EQ(platform::SpkiSha256(crt), creds.spki_sha256);
  EXPECT_EQ(mbedtls_pk_get_type(&crt.pk), MBEDTLS_PK_ECKEY);
  EXPECT_EQ(mbedtls_pk_get_bitlen(&crt.pk), 256u);
  // It verifies against itself for "localhost", and not for another name.
  uint32_t flags = 0;
  EXPECT_EQ(mbedtls_x509_crt_verify(&crt, &crt, nullptr, "localhost", &flags, nullptr, nullptr), 0) << flags;
  EXPECT_NE(mbedtls_x509_crt_verify(&crt, &crt, nullptr, "example.org", &flags, nullptr, nullptr), 0);
  mbedtls_x509_crt_free(&crt);

  ASSERT_OK_AND_ASSIGN(TestCredentials again, GenerateTestCredentials());
  EXPECT_NE(again.spki_sha256, creds.spki_sha256);  // a fresh key every time

  CredentialOptions bad;
  bad.ip_addresses = {"not-an-ip"};
  EXPECT_THAT(GenerateTestCredentials(bad).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("not-an-ip")));
}

TEST(HttpsServerStartTest, RefusesBadCredentials) {
  HttpsServerOptions options;
  options.cert_pem = "nope";
  options.key_pem = "nope";
  EXPECT_THAT(HttpsServer::Start(options, [](const HttpRequest&) { return HttpResponse(); }).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("certificate")));
}

TEST_F(HttpsServerTest, ServesPostAndGetWithKeepAlive) {
  const RawExchangeResult r = RawExchange(
      server_->port(), true,
      {{Post("/a", "hello")}, {"GET /b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"}}, 2000);
  ASSERT_TRUE(r.handshake_ok);
  EXPECT_THAT(r.received, HasSubstr("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nPOST /a 5"));
  EXPECT_THAT(r.received, HasSubstr("Connection: close\r\n\r\nGET /b 0"));
  EXPECT_TRUE(r.peer_closed);
  EXPECT_EQ(handled_.load(), 2);
}

TEST_F(HttpsServerTest, SurvivesGarbageBytes) {
  // Not TLS at all.
  static const char kNotTls[] = "\x16\x03\x01\xff\xff garbage\0\x01";
  RawExchangeResult r = RawExchange(server_->port(), false, {{std::string(kNotTls, sizeof(kNotTls) - 1)}}, 2000);
  EXPECT_TRUE(r.peer_closed);
  r = RawExchange(server_->port(), false, {{"GET / HTTP/1.1\r\nHost: x\r\n\r\n"}}, 2000);
  EXPECT_TRUE(r.peer_closed);
  EXPECT_EQ(server_->stats().handshake_failures, 2u);
  // TLS, then garbage instead of HTTP.
  r = RawExchange(server_->port(), true, {{std::string("\x00\xff\r\n\r\n", 6)}}, 2000);
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 400 Bad Request"));
  r = RawExchange(server_->port(), true, {{"POST /x HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"}}, 2000);  // no Host
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 400 Bad Request"));
  r = RawExchange(server_->port(), true, {{Post("/x", "ab", "Content-Length: 3\r\n")}}, 2000);
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 400 Bad Request"));
  r = RawExchange(server_->port(), true, {{"DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n"}}, 2000);
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 405 Method Not Allowed"));
  EXPECT_THAT(r.received, HasSubstr("Allow: GET, POST\r\n"));
  EXPECT_EQ(handled_.load(), 0);
  ExpectServes();
}

TEST_F(HttpsServerTest, RefusesOversizedBodiesChunkedBodiesAndHugeHeads) {
  RawExchangeResult r = RawExchange(server_->port(), true, {{Post("/x", std::string(5000, 'b'))}}, 2000);
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 413 Content Too Large"));
  EXPECT_THAT(r.received, HasSubstr("exceeds 4096 bytes"));
  r = RawExchange(server_->port(), true,
                  {{"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"}}, 2000);
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 411 Length Required"));
  EXPECT_THAT(r.received, HasSubstr("chunked request bodies are not supported"));
  r = RawExchange(server_->port(), true, {{"GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(2000, 'h') + "\r\n\r\n"}},
                  2000);
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 431 Request Header Fields Too Large"));
  EXPECT_EQ(handled_.load(), 0);
  EXPECT_EQ(server_->stats().refused_requests, 3u);
  ExpectServes();
}

TEST_F(HttpsServerTest, SlowClientGets408WhileOthersAreServed) {
  std::future<RawExchangeResult> slow = std::async(std::launch::async, [this] {
    // Half a request head, then nothing for longer than the 400 ms read timeout.
    return RawExchange(server_->port(), true, {{"POST /slow HTTP/1.1\r\nHost: a\r\n"}, {"Content-Le", 150}}, 3000);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ExpectServes();  // served while the slow client holds its connection
  const RawExchangeResult r = slow.get();
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 408 Request Timeout"));
  EXPECT_TRUE(r.peer_closed);
  // A body that trickles in too slowly is cut off as well.
  const RawExchangeResult trickle = RawExchange(
      server_->port(), true, {{Post("/slow", "0123456789").substr(0, 60)}, {"a", 250}, {"b", 250}}, 3000);
  EXPECT_THAT(trickle.received, StartsWith("HTTP/1.1 408 Request Timeout"));
  // An idle keep-alive connection is closed without a word.
  const RawExchangeResult idle = RawExchange(server_->port(), true, {}, 3000);
  EXPECT_TRUE(idle.handshake_ok);
  EXPECT_TRUE(idle.peer_closed);
  EXPECT_EQ(idle.received, "");
  ExpectServes();
}

TEST_F(HttpsServerTest, InvalidHandlerResponseBecomes500) {
  HttpsServerOptions options;
  options.cert_pem = creds_.cert_pem;
  options.key_pem = creds_.key_pem;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpsServer> bad, HttpsServer::Start(options, [](const HttpRequest&) {
                         HttpResponse r;
                         r.headers = {{"X-Evil", "a\r\nInjected: yes"}};
                         return r;
                       }));
  const RawExchangeResult r = RawExchange(bad->port(), true, {{Post("/x", "", "Connection: close\r\n")}}, 2000);
  EXPECT_THAT(r.received, StartsWith("HTTP/1.1 500 Internal Server Error"));
  EXPECT_EQ(r.received.find("Injected"), std::string::npos);
}

TEST_F(HttpsServerTest, StopEndsOpenConnectionsPromptly) {
  HttpsServerOptions options;
  options.cert_pem = creds_.cert_pem;
  options.key_pem = creds_.key_pem;
  options.read_timeout_ms = 30000;  // the idle connection would stay for 30 s
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpsServer> patient,
                       HttpsServer::Start(options, [](const HttpRequest&) { return HttpResponse(); }));
  std::future<RawExchangeResult> idle =
      std::async(std::launch::async, [&] { return RawExchange(patient->port(), true, {}, 5000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  patient->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_TRUE(idle.get().peer_closed);
}

}  // namespace
}  // namespace tacet::net
