#include "relay.h"

#include <signal.h>
#include <sys/wait.h>

#include <future>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.h"
#include "collector_test_util.h"
#include "https_server.h"
#include "posix/https_transport.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"
#include "tls_credentials.h"

namespace tacet::relay {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using collector::testing::DeviceSide;
using collector::testing::OpenInner;
using collector::testing::SampleBatch;


platform::SendResult SendThrough(uint16_t port, const std::string& path, const platform::SpkiPin& pin, ByteView body,
                                 std::string_view content_type = platform::kOhttpRequestMediaType) {
  platform::HttpsTransportOptions o;
  o.host = "127.0.0.1";
  o.port = port;
  o.path = path;
  o.spki_sha256_pins = {pin};
  o.read_timeout_ms = 5000;
  auto transport = platform::HttpsTransport::Create(o);
  if (!transport.ok()) return platform::SendResult(platform::SendOutcome::kRejected, 0, transport.status().ToString());
  std::promise<platform::SendResult> answer;
  (*transport)->Send(platform::SendRequest{body, content_type},
                     [&](const platform::SendResult& r) { answer.set_value(r); });
  return answer.get_future().get();
}

net::HttpRequest Post(const Bytes& body, const std::string& content_type = "message/ohttp-req",
                      const std::string& target = kRelayPath) {
  net::HttpRequest r;
  r.method = "POST";
  r.target = target;
  r.headers = {{"host", "127.0.0.1"},
               {"content-type", content_type},
               {"x-forwarded-for", "10.1.2.3"},
               {"user-agent", "device/1.0"}};
  r.body = body;
  r.peer = "127.0.0.1:40404";
  return r;
}

// A stand-in gateway that records what reaches it and answers what the test sets.
class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(creds_, net::GenerateTestCredentials());
    net::HttpsServerOptions o;
    o.cert_pem = creds_.cert_pem;
    o.key_pem = creds_.key_pem;
    ASSERT_OK_AND_ASSIGN(gateway_, net::HttpsServer::Start(std::move(o), [this](const net::HttpRequest& r) {
                           std::lock_guard<std::mutex> lock(mu_);
                           seen_.push_back(r);
                           return answer_;
                         }));
    RelayOptions options;
    options.gateway_url = "https://127.0.0.1:" + std::to_string(gateway_->port()) + "/gateway";
    options.gateway_spki = creds_.spki_sha256;
    options.timeout_ms = 2000;
    options.log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(std::string(line));
    };
    ASSERT_OK_AND_ASSIGN(relay_, Relay::Create(options));
  }

  net::TestCredentials creds_;
  std::mutex mu_;
  std::vector<net::HttpRequest> seen_;  // guarded by mu_
  std::vector<std::string> log_;        // guarded by mu_
  net::HttpResponse answer_;            // set before requests
  std::unique_ptr<net::HttpsServer> gateway_;
  std::unique_ptr<Relay> relay_;
};

TEST_F(RelayTest, ForwardsTheBodyUnchangedWithNoClientHeaderAndPassesTheAnswerBack) {
  answer_.status = 200;
  answer_.content_type = "message/ohttp-res";
  answer_.body = Bytes{9, 8, 7, 0, 1};
  Bytes body(777);
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<uint8_t>(i * 31);
  const net::HttpResponse r = relay_->Handle(Post(body));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "message/ohttp-res");
  EXPECT_EQ(r.body, answer_.body);

  std::lock_guard<std::mutex> lock(mu_);
  ASSERT_EQ(seen_.size(), 1u);
  const net::HttpRequest& forwarded = seen_[0];
  EXPECT_EQ(forwarded.method, "POST");
  EXPECT_EQ(forwarded.target, "/gateway");
  EXPECT_EQ(forwarded.body, body);
  ASSERT_NE(forwarded.Header("content-type"), nullptr);
  EXPECT_EQ(*forwarded.Header("content-type"), "message/ohttp-req");
  for (const auto& [name, value] : forwarded.headers) {
    EXPECT_THAT(name, Not(HasSubstr("forwarded")));
    EXPECT_NE(name, "via");
    EXPECT_NE(name, "user-agent");
    EXPECT_THAT(value, Not(HasSubstr("40404")));     // the client's port
    EXPECT_THAT(value, Not(HasSubstr("10.1.2.3")));  // what the client claimed
  }
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_EQ(log_[0], "peer=127.0.0.1:40404 bytes=777 gateway_status=200 status=200");
}

TEST_F(RelayTest, PassesTheGatewaysRefusalsOnAndAnswers502WhenItIsUnreachable) {
  // A refusal with a body: status, media type and body as the gateway gave them.
  const std::string problem = R"({"type":"x","title":"unknown key identifier"})";
  answer_.status = 400;
  answer_.content_type = "application/problem+json";
  answer_.body.assign(problem.begin(), problem.end());
  net::HttpResponse r = relay_->Handle(Post(Bytes{1, 2, 3}));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(std::string(r.body.begin(), r.body.end()), problem);

  // Without a body: the status and Retry-After, with a text of the relay's.
  answer_.status = 503;
  answer_.content_type.clear();
  answer_.body.clear();
  answer_.headers = {{"Retry-After", "7"}};
  r = relay_->Handle(Post(Bytes{1, 2, 3}));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_THAT(std::string(r.body.begin(), r.body.end()), HasSubstr("the gateway answered 503"));
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "7");

  // A refusal body over the relay's cap is not passed on (the relay's text instead).
  answer_.status = 403;
  answer_.headers.clear();
  answer_.content_type = "text/html";
  answer_.body.assign((1 << 20) + 1, 'x');
  r = relay_->Handle(Post(Bytes{1, 2, 3}));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_LT(r.body.size(), 100u);

  // Refused by the relay itself, never forwarded.
  EXPECT_EQ(relay_->Handle(Post(Bytes{1}, "application/octet-stream")).status, 415);
  EXPECT_EQ(relay_->Handle(Post(Bytes{1}, "message/ohttp-req", "/gateway")).status, 404);
  net::HttpRequest get = Post({});
  get.method = "GET";
  EXPECT_EQ(relay_->Handle(get).status, 405);
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(seen_.size(), 3u);
  }

  // A gateway with another certificate than the pinned one: not trusted, 502.
  RelayOptions wrong_pin;
  wrong_pin.gateway_url = "https://127.0.0.1:" + std::to_string(gateway_->port()) + "/gateway";
  wrong_pin.gateway_spki = creds_.spki_sha256;
  wrong_pin.gateway_spki[0] ^= 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Relay> untrusting, Relay::Create(wrong_pin));
  r = untrusting->Handle(Post(Bytes{1, 2, 3}));
  EXPECT_EQ(r.status, 502);

  // The gateway gone (its port closed): 502 with Retry-After.
  gateway_.reset();
  r = relay_->Handle(Post(Bytes{1, 2, 3}));
  EXPECT_EQ(r.status, 502);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_THAT(log_.back(), HasSubstr("gateway_status=unreachable status=502"));
}

TEST(RelayCreateTest, RefusesBadOptions) {
  RelayOptions o;
  o.gateway_url = "http://127.0.0.1:1/gateway";
  EXPECT_THAT(Relay::Create(o).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("gateway URL")));
  EXPECT_THAT(ParseSpkiHex("abcd").status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("64 hex digits")));
  ASSERT_OK_AND_ASSIGN(platform::SpkiPin pin, ParseSpkiHex(std::string(62, 'A') + "0f"));
  EXPECT_EQ(pin[0], 0xaa);
  EXPECT_EQ(pin[31], 0x0f);
}

// ---- both binaries: client -> tacet-relay -> tacet-collector ---------------------------------

platform::SpkiPin PinOf(const std::string& dir) {
  const std::string text = net::ReadTextFile(dir + "/tls-spki.sha256");
  EXPECT_EQ(text.size(), 65u);
  EXPECT_EQ(text.back(), '\n');
  auto pin = ParseSpkiHex(text.substr(0, 64));
  EXPECT_OK(pin.status());
  return pin.ok() ? *pin : platform::SpkiPin{};
}

// The port of the peer= field on the first log line that contains `needle`, or "".
std::string PeerOn(const std::string& log, const std::string& needle) {
  std::smatch m;
  for (size_t start = 0; start < log.size();) {
    const size_t end = log.find('\n', start);
    const std::string line = log.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find(needle) != std::string::npos &&
        std::regex_search(line, m, std::regex("peer=([0-9.]+:[0-9]+) "))) {
      return m[1];
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

TEST(RelayProcessTest, ABatchThroughTheRelayIsStoredOnceAndTheCollectorSeesOnlyTheRelay) {
  tacet::testing::TempDir dir;
  const std::string collector_dir = dir.File("collector"), relay_dir = dir.File("relay");
  ASSERT_OK_AND_ASSIGN(net::ChildProcess collector,
                       net::ChildProcess::Start({TACET_COLLECTOR_PATH, "--state-dir", collector_dir},
                                                dir.File("collector.log")));
  ASSERT_OK_AND_ASSIGN(uint16_t collector_port, net::WaitForPortFile(collector_dir, 5000));
  const std::string collector_pin = net::ReadTextFile(collector_dir + "/tls-spki.sha256").substr(0, 64);
  ASSERT_OK_AND_ASSIGN(
      net::ChildProcess relay,
      net::ChildProcess::Start({TACET_RELAY_PATH, "--state-dir", relay_dir, "--gateway",
                                "https://127.0.0.1:" + std::to_string(collector_port) + "/gateway", "--gateway-spki",
                                collector_pin},
                               dir.File("relay.log")));
  ASSERT_OK_AND_ASSIGN(uint16_t relay_port, net::WaitForPortFile(relay_dir, 5000));
  const platform::SpkiPin relay_pin = PinOf(relay_dir);

  DeviceSide device;
  const Bytes config = tacet::testing::ReadFileOrDie(collector_dir + "/key-config.bin");
  const sync::Batch batch = SampleBatch(0xa1);
  for (uint8_t expected : {collector::kDispositionStored, collector::kDispositionDuplicate}) {
    auto sent = device.SealBatch(config, batch);
    ASSERT_NE(sent, nullptr);
    const platform::SendResult r = SendThrough(relay_port, kRelayPath, relay_pin, sent->encapsulated_request);
    ASSERT_EQ(r.outcome, platform::SendOutcome::kDelivered) << r.detail;
    EXPECT_EQ(r.content_type, "message/ohttp-res");
    ASSERT_OK_AND_ASSIGN(sealer::BhttpResponse inner, OpenInner(*sent, r.body));
    EXPECT_EQ(inner.status, 200);
    ASSERT_EQ(inner.content.size(), collector::kAckSize);
    EXPECT_EQ(Bytes(inner.content.begin(), inner.content.begin() + 16), batch.batch_id);
    EXPECT_EQ(inner.content[16], expected);
  }
  // Sealed to a key id the collector does not have: the collector's RFC 9458 section 5.3 refusal
  // reaches the client through the relay as the collector sent it.
  Bytes unknown_key = config;
  unknown_key[0] ^= 0x40;
  auto misaddressed = device.Seal(unknown_key, DeviceSide::Request(DeviceSide::Wire(batch)));
  ASSERT_NE(misaddressed, nullptr);
  const platform::SendResult refused =
      SendThrough(relay_port, kRelayPath, relay_pin, misaddressed->encapsulated_request);
  EXPECT_EQ(refused.outcome, platform::SendOutcome::kRejected);
  EXPECT_EQ(refused.http_status, 400);
  EXPECT_EQ(refused.content_type, collector::kProblemMediaType);
  EXPECT_EQ(std::string(refused.body.begin(), refused.body.end()),
            std::string("{\"type\":\"") + collector::kKeyProblemType +
                "\",\"title\":\"unknown key identifier\"}");

  // A body that is not for the relay's path or type is refused by the relay itself.
  const platform::SendResult wrong_type =
      SendThrough(relay_port, kRelayPath, relay_pin, Bytes{1, 2, 3}, "application/octet-stream");
  EXPECT_EQ(wrong_type.outcome, platform::SendOutcome::kRejected);
  EXPECT_EQ(wrong_type.detail, "HTTP 415");
  EXPECT_EQ(wrong_type.http_status, 415);

  // The collector logged the relay's connection, not the client's: both are 127.0.0.1, so the
  // source port tells them apart.
  const std::string relay_log = net::ReadTextFile(dir.File("relay.log"));
  const std::string collector_log = net::ReadTextFile(dir.File("collector.log"));
  const std::string client_peer = PeerOn(relay_log, "gateway_status=200");
  const std::string gateway_peer = PeerOn(collector_log, "batch=" + HexEncode(batch.batch_id));
  ASSERT_FALSE(client_peer.empty()) << relay_log;
  ASSERT_FALSE(gateway_peer.empty()) << collector_log;
  EXPECT_NE(client_peer, gateway_peer);
  EXPECT_THAT(collector_log, Not(HasSubstr("peer=" + client_peer + " ")));

  ASSERT_TRUE(relay.Signal(SIGTERM));
  ASSERT_TRUE(collector.Signal(SIGTERM));
  for (net::ChildProcess* p : {&relay, &collector}) {
    const std::optional<int> status = p->Wait(5000);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  }

  // The dump: the batch once, with the peer the collector saw.
  ASSERT_OK_AND_ASSIGN(net::ChildProcess dump,
                       net::ChildProcess::Start({TACET_COLLECTOR_PATH, "--state-dir", collector_dir, "--dump",
                                                 dir.File("dump.json")},
                                                dir.File("dump.log")));
  ASSERT_TRUE(dump.Wait(5000).has_value());
  const std::string json = net::ReadTextFile(dir.File("dump.json"));
  const std::string id = "\"batch_id\":\"" + HexEncode(batch.batch_id) + "\"";
  const size_t at = json.find(id);
  ASSERT_NE(at, std::string::npos) << json;
  EXPECT_EQ(json.find(id, at + 1), std::string::npos);
  EXPECT_THAT(json, HasSubstr("\"peer\":\"" + gateway_peer + "\""));
  EXPECT_THAT(json, HasSubstr(collector::testing::kCanaryTrack));
}

}  // namespace
}  // namespace tacet::relay
