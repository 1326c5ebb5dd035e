#include "collector.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "child_process.h"
#include "collector_test_util.h"
#include "https_server.h"
#include "posix/https_transport.h"
#include "raw_client.h"
#include "state_dir.h"
#include "store/transaction.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::collector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::CountRows;
using testing::DeviceSide;
using testing::InnerHeader;
using testing::OpenInner;
using testing::SampleBatch;

std::string Str(const Bytes& b) { return std::string(b.begin(), b.end()); }

net::HttpRequest Post(const Bytes& body, const std::string& content_type = "message/ohttp-req",
                      const std::string& target = kGatewayPath) {
  net::HttpRequest r;
  r.method = "POST";
  r.target = target;
  r.headers = {{"host", "127.0.0.1"}, {"content-type", content_type}};
  r.body = body;
  r.peer = "127.0.0.9:4242";
  return r;
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenCollector(); }

  void OpenCollector(CollectorOptions options = {}) {
    collector_.reset();
    options.log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(std::string(line));
    };
    options.now_unix_s = [] { return int64_t{1'700'000'123}; };
    auto c = Collector::Open(dir_.File("state"), std::move(options));
    ASSERT_OK(c.status());
    collector_ = std::move(*c);
  }

  std::string State() const { return dir_.File("state"); }

  // Sends one sealed request and opens the inner response (the outer must be 200 ohttp-res).
  sealer::BhttpResponse Exchange(const Bytes& plaintext) {
    auto sent = device_.Seal(collector_->key_config(), plaintext);
    EXPECT_NE(sent, nullptr);
    if (sent == nullptr) return {};
    const net::HttpResponse outer = collector_->Handle(Post(sent->encapsulated_request));
    EXPECT_EQ(outer.status, 200) << Str(outer.body);
    EXPECT_EQ(outer.content_type, "message/ohttp-res");
    auto inner = OpenInner(*sent, outer.body);
    EXPECT_OK(inner.status());
    return inner.ok() ? *inner : sealer::BhttpResponse{};
  }

  // The 17-byte ack for `batch`: checks it and returns the disposition (or -1).
  int Deliver(const sync::Batch& batch) {
    const sealer::BhttpResponse inner = Exchange(DeviceSide::Request(DeviceSide::Wire(batch)));
    EXPECT_EQ(inner.status, 200) << Str(inner.content);
    EXPECT_EQ(InnerHeader(inner, "content-type"), kAckMediaType);
    if (inner.content.size() != kAckSize) {
      ADD_FAILURE() << "ack of " << inner.content.size() << " bytes";
      return -1;
    }
    EXPECT_EQ(Bytes(inner.content.begin(), inner.content.begin() + 16), batch.batch_id);
    return inner.content[16];
  }

  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  tacet::testing::TempDir dir_;
  DeviceSide device_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
  std::unique_ptr<Collector> collector_;
};

TEST_F(CollectorTest, StoresAndAcknowledgesABatchOnceAndDeduplicatesItsResend) {
  const sync::Batch batch = SampleBatch(0x11);
  EXPECT_EQ(Deliver(batch), kDispositionStored);
  // The same batch id again, in a fresh encapsulation (a device's retry): acknowledged as a
  // duplicate, nothing stored twice.
  EXPECT_EQ(Deliver(batch), kDispositionDuplicate);
  EXPECT_EQ(CountRows(State(), "batches"), 1);
  EXPECT_EQ(CountRows(State(), "events"), 2);
  EXPECT_EQ(CountRows(State(), "fields"), 3);

  // ChaCha20-Poly1305 (the key offers it too) opens and deduplicates the same way.
  auto sent = device_.Seal(collector_->key_config(), DeviceSide::Request(DeviceSide::Wire(batch)),
                           crypto::HpkeAead::kChaCha20Poly1305);
  ASSERT_NE(sent, nullptr);
  const net::HttpResponse outer = collector_->Handle(Post(sent->encapsulated_request));
  ASSERT_EQ(outer.status, 200);
  ASSERT_OK_AND_ASSIGN(sealer::BhttpResponse inner, OpenInner(*sent, outer.body));
  ASSERT_EQ(inner.content.size(), kAckSize);
  EXPECT_EQ(inner.content[16], kDispositionDuplicate);

  // The log names the peer, statuses, batch and counts, and never a field value.
  const std::vector<std::string> log = Log();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], "peer=127.0.0.9:4242 status=200/200 batch=" + HexEncode(batch.batch_id) +
                        " events=2 deletions=0 result=stored");
  EXPECT_THAT(log[1], HasSubstr("result=duplicate"));
  for (const std::string& line : log) {
    EXPECT_THAT(line, Not(HasSubstr(testing::kCanaryTrack)));
    EXPECT_THAT(line, Not(HasSubstr(testing::kCanaryPseudonym)));
  }
}

TEST_F(CollectorTest, DumpListsWhatWasStoredExactlyOnce) {
  sync::Batch batch = SampleBatch(0x12);
  batch.deletions = {{"location", 1'700'000'500}};
  ASSERT_EQ(Deliver(batch), kDispositionStored);
  ASSERT_EQ(Deliver(batch), kDispositionDuplicate);
  ASSERT_OK(collector_->Dump(dir_.File("dump.json")));
  const std::string dump = Str(tacet::testing::ReadFileOrDie(dir_.File("dump.json")));
  EXPECT_EQ(dump,
            "{\"batches\":[{\"batch_id\":\"" + HexEncode(batch.batch_id) +
                "\",\"recipient\":\"music_industry_partners\",\"subject\":\"" + HexEncode(batch.subject) +
                "\",\"policy_id\":\"speaker-policy\",\"policy_version\":3,\"received_at\":1700000123,"
                "\"peer\":\"127.0.0.9:4242\",\"events\":["
                "{\"purpose\":\"royalty_reporting\",\"time\":1699999200,\"fields\":{"
                "\"usage.track_id\":{\"form\":\"as_collected\",\"value\":\"track-canary-7731\"},"
                "\"contact.email\":{\"form\":\"pseudonymised\",\"value\":\"c0ffee00c0ffee00c0ffee00c0ffee00\"}}},"
                "{\"purpose\":\"royalty_reporting\",\"time\":1700002800,\"fields\":{"
                "\"usage.track_id\":{\"form\":\"as_collected\",\"value\":\"track-2\"}}}],"
                "\"deletions\":[{\"category\":\"location\",\"requested_at\":1700000500}]}]}\n");
}

TEST_F(CollectorTest, RefusesWhatDoesNotOpenWithTheOuterStatusAndStoresNothing) {
  const Bytes good = DeviceSide::Request(DeviceSide::Wire(SampleBatch(0x21)));
  auto sent = device_.Seal(collector_->key_config(), good);
  ASSERT_NE(sent, nullptr);
  const Bytes& sealed = sent->encapsulated_request;

  struct Case {
    const char* name;
    Bytes body;
  };
  Bytes long_garbage(300, 0xa7);
  const uint8_t header[7] = {0x01, 0x00, 0x20, 0x00, 0x01, 0x00, 0x01};  // key 1, a valid suite
  std::copy(header, header + 7, long_garbage.begin());
  Bytes flipped = sealed;
  flipped[60] ^= 0x01;
  Bytes flipped_tag = sealed;
  flipped_tag.back() ^= 0x80;
  std::vector<Case> cases = {
      {"short garbage", Bytes{'a', 'b', 'c'}},
      {"garbage after a valid header", long_garbage},
      {"truncated by one byte", Bytes(sealed.begin(), sealed.end() - 1)},
      {"truncated inside the header", Bytes(sealed.begin(), sealed.begin() + 5)},
      {"one flipped ciphertext byte", flipped},
      {"one flipped tag byte", flipped_tag},
      {"empty", Bytes{}},
  };
  // Sealed to another key that has the same key id.
  ASSERT_OK_AND_ASSIGN(sealer::OhttpGatewayKey other, sealer::GenerateGatewayKey(kGatewayKeyId, device_.drbg()));
  auto to_other = device_.SealTo(other.config, good);
  ASSERT_NE(to_other, nullptr);
  cases.push_back({"sealed to another key with the same id", to_other->encapsulated_request});

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const net::HttpResponse r = collector_->Handle(Post(c.body));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  }
  EXPECT_EQ(CountRows(State(), "batches"), 0);
  // The untouched request still opens: nothing above disturbed the gateway.
  EXPECT_EQ(collector_->Handle(Post(sealed)).status, 200);
  EXPECT_EQ(CountRows(State(), "batches"), 1);
}

TEST_F(CollectorTest, UnknownKeyIdIsAProblemJsonAndOtherRefusalsTheirStatus) {
  const Bytes good = DeviceSide::Request(DeviceSide::Wire(SampleBatch(0x22)));
  ASSERT_OK_AND_ASSIGN(sealer::OhttpKeyConfig config, sealer::ParseKeyConfig(collector_->key_config()));
  config.key_id = 7;
  auto sent = device_.SealTo(config, good);
  ASSERT_NE(sent, nullptr);
  net::HttpResponse r = collector_->Handle(Post(sent->encapsulated_request));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_THAT(Str(r.body),
              HasSubstr("{\"type\":\"https://iana.org/assignments/http-problem-types#ohttp-key\",\"title\":\""));

  // An AEAD the key does not offer (header rewritten to AEAD 0x0002, AES-256-GCM): also the
  // key problem (RFC 9458 §5.3).
  auto good_sent = device_.Seal(collector_->key_config(), good);
  ASSERT_NE(good_sent, nullptr);
  Bytes other_aead = good_sent->encapsulated_request;
  other_aead[6] = 0x02;
  r = collector_->Handle(Post(other_aead));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/problem+json");

  // Wrong content type: 415, whatever the body.
  r = collector_->Handle(Post(good_sent->encapsulated_request, "application/octet-stream"));
  EXPECT_EQ(r.status, 415);
  r = collector_->Handle(Post(good_sent->encapsulated_request, ""));
  EXPECT_EQ(r.status, 415);
  // Parameters and case of the media type do not matter.
  r = collector_->Handle(Post(good_sent->encapsulated_request, "Message/OHTTP-req; x=1"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(CountRows(State(), "batches"), 1);

  // Other paths and methods.
  EXPECT_EQ(collector_->Handle(Post(good_sent->encapsulated_request, "message/ohttp-req", "/other")).status, 404);
  net::HttpRequest get = Post({});
  get.method = "GET";
  EXPECT_EQ(collector_->Handle(get).status, 405);
  get.target = kKeysPath;
  r = collector_->Handle(get);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/ohttp-keys");
  ASSERT_OK_AND_ASSIGN(std::vector<sealer::OhttpKeyConfig> published, sealer::ParseKeyConfigList(r.body));
  ASSERT_EQ(published.size(), 1u);
  ASSERT_OK_AND_ASSIGN(sealer::OhttpKeyConfig pinned, sealer::ParseKeyConfig(collector_->key_config()));
  EXPECT_EQ(published[0], pinned);
  EXPECT_EQ(pinned.key_id, 1);
  EXPECT_EQ(pinned.algorithms.size(), 2u);
}

TEST_F(CollectorTest, OversizedBodyIs413) {
  CollectorOptions options;
  options.max_body_bytes = 4096;
  OpenCollector(options);
  sync::Batch big = SampleBatch(0x23);
  big.events[0].fields[0].value = std::string(5000, 'x');
  auto sent = device_.SealBatch(collector_->key_config(), big);
  ASSERT_NE(sent, nullptr);
  ASSERT_GT(sent->encapsulated_request.size(), 4096u);
  const net::HttpResponse r = collector_->Handle(Post(sent->encapsulated_request));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(CountRows(State(), "batches"), 0);
}

TEST_F(CollectorTest, InnerRefusalsAreEncapsulatedWithTheirStatusAndStoreNothing) {
  const Bytes wire = DeviceSide::Wire(SampleBatch(0x31));
  struct Case {
    const char* name;
    Bytes plaintext;
    uint16_t status;
  };
  sync::Batch no_recipient = SampleBatch(0x32);
  no_recipient.recipient = "";
  sync::Batch empty = SampleBatch(0x33);
  empty.events.clear();
  sync::Batch empty_category = SampleBatch(0x34);
  empty_category.deletions = {{"", 5}};
  const std::vector<Case> cases = {
      {"not BHTTP", Bytes{'h', 'e', 'l', 'l', 'o'}, 400},
      {"GET /v1/batches", DeviceSide::Request(wire, "GET"), 405},
      {"POST /v1/other", DeviceSide::Request(wire, "POST", "/v1/other"), 404},
      {"content type", DeviceSide::Request(wire, "POST", kBatchesPath, "application/json"), 415},
      {"not a batch", DeviceSide::Request(Bytes{'n', 'o', 't', ' ', 'a', ' ', 'b', 'a', 't', 'c', 'h'}), 400},
      {"truncated batch", DeviceSide::Request(Bytes(wire.begin(), wire.begin() + wire.size() / 2)), 400},
      {"empty recipient", DeviceSide::Request(DeviceSide::Wire(no_recipient)), 422},
      {"no events and no deletions", DeviceSide::Request(DeviceSide::Wire(empty)), 422},
      {"deletion without category", DeviceSide::Request(DeviceSide::Wire(empty_category)), 422},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const sealer::BhttpResponse inner = Exchange(c.plaintext);
    EXPECT_EQ(inner.status, c.status) << Str(inner.content);
    EXPECT_EQ(InnerHeader(inner, "content-type"), "text/plain; charset=utf-8");
    ASSERT_FALSE(inner.content.empty());
    EXPECT_EQ(std::count(inner.content.begin(), inner.content.end(), '\n'), 1) << "one line";
  }
  EXPECT_EQ(CountRows(State(), "batches"), 0);
  EXPECT_THAT(Log().back(), HasSubstr("status=200/422"));

  // A recipient the gateway does not serve.
  CollectorOptions options;
  options.recipients = {"academic_researchers"};
  OpenCollector(options);
  EXPECT_EQ(Exchange(DeviceSide::Request(wire)).status, 422);
  EXPECT_EQ(CountRows(State(), "batches"), 0);
}

TEST_F(CollectorTest, DeletionsOnlyBatchIsAccepted) {
  sync::Batch deletions = SampleBatch(0x41);
  deletions.events.clear();
  deletions.deletions = {{"voice", 1'700'000'000}, {"location", 1'700'000'001}};
  EXPECT_EQ(Deliver(deletions), kDispositionStored);
  EXPECT_EQ(CountRows(State(), "batches"), 1);
  EXPECT_EQ(CountRows(State(), "events"), 0);
  EXPECT_EQ(CountRows(State(), "deletions"), 2);
}

TEST_F(CollectorTest, ABusyDatabaseIs503WithRetryAfterAndTheBatchIsStoredLater) {
  CollectorOptions options;
  options.busy_timeout_ms = 50;
  OpenCollector(options);
  const sync::Batch batch = SampleBatch(0x51);
  {
    // Another connection holds the write lock.
    store::OpenOptions o;
    o.create_if_missing = false;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<store::Database> other, store::Database::Open(State() + "/collector.db", o));
    ASSERT_OK_AND_ASSIGN(store::Transaction tx, store::Transaction::Begin(*other, store::Durability::kNormal));
    const sealer::BhttpResponse inner = Exchange(DeviceSide::Request(DeviceSide::Wire(batch)));
    EXPECT_EQ(inner.status, 503);
    EXPECT_EQ(InnerHeader(inner, "retry-after"), std::to_string(kRetryAfterSeconds));
  }
  EXPECT_EQ(CountRows(State(), "batches"), 0);
  EXPECT_EQ(Deliver(batch), kDispositionStored);
}

TEST_F(CollectorTest, ConcurrentDeliveriesOfOneBatchToTwoCollectorsOnOneFolderStoreItOnce) {
  // A second Collector on the same folder: its own database connection, so only the transaction
  // and the UNIQUE batch id (not the in-process mutex) keep the batch from being stored twice.
  CollectorOptions options;
  options.busy_timeout_ms = 5000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Collector> second, Collector::Open(State(), options));
  ASSERT_EQ(second->key_config(), collector_->key_config());
  const Bytes plaintext = DeviceSide::Request(DeviceSide::Wire(SampleBatch(0x61)));
  constexpr int kDeliveries = 8;
  std::vector<std::unique_ptr<sealer::OhttpClientRequest>> sent;
  for (int i = 0; i < kDeliveries; ++i) {
    sent.push_back(device_.Seal(collector_->key_config(), plaintext));
    ASSERT_NE(sent.back(), nullptr);
  }
  std::vector<net::HttpResponse> answers(kDeliveries);
  std::vector<std::thread> threads;
  for (int i = 0; i < kDeliveries; ++i) {
    threads.emplace_back([&, i] {
      Collector& c = i % 2 == 0 ? *collector_ : *second;
      answers[i] = c.Handle(Post(sent[i]->encapsulated_request));
    });
  }
  for (std::thread& t : threads) t.join();
  int stored = 0, duplicates = 0;
  for (int i = 0; i < kDeliveries; ++i) {
    ASSERT_EQ(answers[i].status, 200);
    ASSERT_OK_AND_ASSIGN(sealer::BhttpResponse inner, OpenInner(*sent[i], answers[i].body));
    ASSERT_EQ(inner.status, 200) << Str(inner.content);
    ASSERT_EQ(inner.content.size(), kAckSize);
    (inner.content[16] == kDispositionStored ? stored : duplicates)++;
  }
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(duplicates, kDeliveries - 1);
  EXPECT_EQ(CountRows(State(), "batches"), 1);
  EXPECT_EQ(CountRows(State(), "events"), 2);
}

TEST_F(CollectorTest, ReopenedOnTheSameFolderKeepsItsKeyAndStillDeduplicates) {
  const sync::Batch batch = SampleBatch(0x71);
  ASSERT_EQ(Deliver(batch), kDispositionStored);
  const Bytes config = collector_->key_config();
  const Bytes config_file = tacet::testing::ReadFileOrDie(State() + "/key-config.bin");
  EXPECT_EQ(config_file, config);
  const std::string spki = Str(tacet::testing::ReadFileOrDie(State() + "/tls-spki.sha256"));
  EXPECT_EQ(spki, HexEncode(collector_->tls().spki_sha256) + "\n");
  struct stat st {};
  ASSERT_EQ(stat((State() + "/gateway-key.bin").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  ASSERT_EQ(stat(State().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  OpenCollector();
  EXPECT_EQ(collector_->key_config(), config);
  EXPECT_EQ(tacet::testing::ReadFileOrDie(State() + "/key-config.bin"), config_file);
  EXPECT_EQ(Str(tacet::testing::ReadFileOrDie(State() + "/tls-spki.sha256")), spki);
  EXPECT_EQ(Deliver(batch), kDispositionDuplicate);
  EXPECT_EQ(CountRows(State(), "batches"), 1);
}

TEST_F(CollectorTest, RefusesAKeyFileThatIsNotPrivateOrNotAKeyAndChangesNothing) {
  ASSERT_EQ(Deliver(SampleBatch(0x81)), kDispositionStored);
  collector_.reset();
  const std::string key_path = State() + "/gateway-key.bin";
  const Bytes key = tacet::testing::ReadFileOrDie(key_path);

  ASSERT_EQ(chmod(key_path.c_str(), 0644), 0);
  EXPECT_THAT(Collector::Open(State(), {}).status(),
              StatusIs(StatusCode::kPermissionDenied, HasSubstr("gateway-key.bin has mode 0644")));
  ASSERT_EQ(chmod(key_path.c_str(), 0600), 0);

  tacet::testing::WriteFileOrDie(key_path, Bytes(key.begin(), key.end() - 1));
  ASSERT_EQ(chmod(key_path.c_str(), 0600), 0);
  EXPECT_THAT(Collector::Open(State(), {}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("is 31 bytes")));
  tacet::testing::WriteFileOrDie(key_path, Bytes(key.size() + 1, 7));
  EXPECT_THAT(Collector::Open(State(), {}).status(), StatusIs(StatusCode::kInvalidArgument, HasSubstr("is 33 bytes")));
  // Another 32-byte key: it does not match the pinned configuration.
  tacet::testing::WriteFileOrDie(key_path, Bytes(32, 7));
  EXPECT_THAT(Collector::Open(State(), {}).status(),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("does not match")));
  // No key at all, but a configuration: refused, not silently replaced.
  ASSERT_EQ(unlink(key_path.c_str()), 0);
  EXPECT_THAT(Collector::Open(State(), {}).status(),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("gateway key is lost")));
  EXPECT_FALSE(net::FileExists(State(), "gateway-key.bin"));

  // The real key back: everything stored is still there.
  tacet::testing::WriteFileOrDie(key_path, key);
  ASSERT_EQ(chmod(key_path.c_str(), 0600), 0);
  OpenCollector();
  EXPECT_EQ(Deliver(SampleBatch(0x81)), kDispositionDuplicate);
  EXPECT_EQ(CountRows(State(), "batches"), 1);
}

// ---- over HTTPS ------------------------------------------------------------------------------

TEST_F(CollectorTest, OverHttpsASlowClientIs408AndAnOversizedBodyIs413) {
  net::HttpsServerOptions o;
  o.cert_pem = collector_->tls().cert_pem;
  o.key_pem = collector_->tls().key_pem;
  o.read_timeout_ms = 300;
  o.max_body_bytes = collector_->options().max_body_bytes;
  Collector* c = collector_.get();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<net::HttpsServer> server,
                       net::HttpsServer::Start(std::move(o), [c](const net::HttpRequest& r) { return c->Handle(r); }));
  const std::string head = "POST /gateway HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: message/ohttp-req\r\n";
  // The body announced and never finished.
  net::RawExchangeResult slow =
      net::RawExchange(server->port(), true, {{head + "Content-Length: 100\r\n\r\n0123456789"}}, 3000);
  ASSERT_TRUE(slow.handshake_ok);
  EXPECT_THAT(slow.received, HasSubstr("HTTP/1.1 408 "));
  const std::string too_big = std::to_string(collector_->options().max_body_bytes + 1);
  net::RawExchangeResult big =
      net::RawExchange(server->port(), true, {{head + "Content-Length: " + too_big + "\r\n\r\n"}}, 3000);
  EXPECT_THAT(big.received, HasSubstr("HTTP/1.1 413 "));
  EXPECT_EQ(CountRows(State(), "batches"), 0);
  server->Stop();
}

// ---- the tacet-collector binary --------------------------------------------------------------

class CollectorProcessTest : public ::testing::Test {
 protected:
  void StartCollector() {
    unlink((State() + "/port").c_str());
    ASSERT_OK_AND_ASSIGN(process_, net::ChildProcess::Start({TACET_COLLECTOR_PATH, "--state-dir", State()},
                                                            dir_.File("collector.log")));
    ASSERT_OK_AND_ASSIGN(port_, net::WaitForPortFile(State(), 5000));
  }
  std::string State() const { return dir_.File("state"); }

  // One POST /gateway over TLS, the collector pinned by the SPKI it wrote; returns the
  // disposition of the ack (or -1).
  int Send(const sync::Batch& batch) {
    const std::string pin_hex = net::ReadTextFile(State() + "/tls-spki.sha256");
    EXPECT_EQ(pin_hex.size(), 65u);
    auto pin = HexDecode(pin_hex.substr(0, 64));
    EXPECT_OK(pin.status());
    if (!pin.ok() || pin->size() != 32) return -1;
    platform::HttpsTransportOptions o;
    o.host = "127.0.0.1";
    o.port = port_;
    o.path = kGatewayPath;
    o.spki_sha256_pins.emplace_back();
    std::copy(pin->begin(), pin->end(), o.spki_sha256_pins[0].begin());
    auto transport = platform::HttpsTransport::Create(o);
    EXPECT_OK(transport.status());
    if (!transport.ok()) return -1;
    const Bytes config = tacet::testing::ReadFileOrDie(State() + "/key-config.bin");
    auto sent = device_.SealBatch(config, batch);
    if (sent == nullptr) return -1;
    std::promise<platform::SendResult> answer;
    (*transport)->Send(platform::SendRequest{sent->encapsulated_request, platform::kOhttpRequestMediaType},
                       [&](const platform::SendResult& r) { answer.set_value(r); });
    const platform::SendResult r = answer.get_future().get();
    EXPECT_EQ(r.outcome, platform::SendOutcome::kDelivered) << r.detail;
    EXPECT_EQ(r.content_type, "message/ohttp-res");
    auto inner = OpenInner(*sent, r.body);
    EXPECT_OK(inner.status());
    if (!inner.ok() || inner->content.size() != kAckSize) return -1;
    EXPECT_EQ(Bytes(inner->content.begin(), inner->content.begin() + 16), batch.batch_id);
    return inner->content[16];
  }

  tacet::testing::TempDir dir_;
  DeviceSide device_;
  std::optional<net::ChildProcess> process_;
  uint16_t port_ = 0;
};

TEST_F(CollectorProcessTest, ServesStoresSurvivesSigkillAndDumps) {
  StartCollector();
  ASSERT_NE(port_, 0);
  const sync::Batch first = SampleBatch(0x91), second = SampleBatch(0x92);
  EXPECT_EQ(Send(first), kDispositionStored);
  EXPECT_EQ(Send(second), kDispositionStored);
  const std::string log = net::ReadTextFile(dir_.File("collector.log"));
  EXPECT_THAT(log, HasSubstr("status=200/200 batch=" + HexEncode(first.batch_id) + " events=2"));
  EXPECT_THAT(log, Not(HasSubstr(testing::kCanaryTrack)));
  EXPECT_THAT(log, Not(HasSubstr(testing::kCanaryPseudonym)));

  // SIGKILL: no clean shutdown. Acknowledged batches were committed before the ack.
  ASSERT_TRUE(process_->Signal(SIGKILL));
  ASSERT_TRUE(process_->Wait(5000).has_value());
  StartCollector();
  EXPECT_EQ(Send(first), kDispositionDuplicate);
  EXPECT_EQ(Send(second), kDispositionDuplicate);
  EXPECT_EQ(CountRows(State(), "batches"), 2);

  // SIGTERM: a clean stop, exit 0.
  ASSERT_TRUE(process_->Signal(SIGTERM));
  const std::optional<int> status = process_->Wait(5000);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;

  ASSERT_OK_AND_ASSIGN(net::ChildProcess dump,
                       net::ChildProcess::Start({TACET_COLLECTOR_PATH, "--state-dir", State(), "--dump",
                                                 dir_.File("dump.json")},
                                                dir_.File("dump.log")));
  const std::optional<int> dumped = dump.Wait(5000);
  ASSERT_TRUE(dumped.has_value());
  EXPECT_TRUE(WIFEXITED(*dumped) && WEXITSTATUS(*dumped) == 0) << net::ReadTextFile(dir_.File("dump.log"));
  const std::string json = net::ReadTextFile(dir_.File("dump.json"));
  for (const sync::Batch* b : {&first, &second}) {
    const std::string id = "\"batch_id\":\"" + HexEncode(b->batch_id) + "\"";
    const size_t at = json.find(id);
    ASSERT_NE(at, std::string::npos) << json;
    EXPECT_EQ(json.find(id, at + 1), std::string::npos) << "listed twice";
  }
  size_t tracks = 0;
  for (size_t at = json.find(testing::kCanaryTrack); at != std::string::npos;
       at = json.find(testing::kCanaryTrack, at + 1)) {
    ++tracks;
  }
  EXPECT_EQ(tracks, 2u);  // one event of each batch carries it, each once
}

TEST_F(CollectorProcessTest, BadCommandLinesExit2) {
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{{TACET_COLLECTOR_PATH},
                                             {TACET_COLLECTOR_PATH, "--state-dir", State(), "--port", "70000"},
                                             {TACET_COLLECTOR_PATH, "--state-dir", State(), "--bogus", "1"},
                                             {TACET_COLLECTOR_PATH, "--state-dir"}}) {
    ASSERT_OK_AND_ASSIGN(net::ChildProcess p, net::ChildProcess::Start(argv, dir_.File("bad.log")));
    const std::optional<int> status = p.Wait(5000);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << *status;
  }
  EXPECT_THAT(net::ReadTextFile(dir_.File("bad.log")), HasSubstr("usage: tacet-collector"));
}

}  // namespace
}  // namespace tacet::collector
