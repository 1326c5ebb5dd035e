// A device process killed with SIGKILL at random points while it records, syncs, revokes and
// grants, 100 times on one device folder (issue 10, "Faults"). The gateway double lives in the
// child (it dies with it) and persists what it stored in a log file of the temp folder, one line
// per write(2):
//   "S <batch> <recipient> <purpose>"   at Send, inside the uploader's transaction (an upload starts)
//   "B <batch> <recipient> <value>..."  the gateway stored a new batch (then it acknowledges)
//   "D" / "G"                           the child's revocation / grant of voice_features returned
// After each kill:
//   - no acknowledged batch is resent as new: every (recipient, value) is stored at most once;
//   - no committed event is lost: every analytics event the child was told was recorded is in the
//     outbox or stored by the gateway (voice events likewise while the purpose stays granted);
//   - nothing of a revoked purpose is sent after its revocation committed: no "S" of
//     voice_features between a "D" and the next "G".
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "emulator/emulator_entropy.h"
#include "outbox/outbox.h"
#include "posix/posix_services.h"
#include "sealer/bhttp.h"
#include "sealer/ohttp.h"
#include "sync/batch.h"
#include "testing/kill_harness.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::agent {
namespace {

constexpr int kDefaultRounds = 100;
constexpr uint64_t kGatewaySeed = 4242;

// The same gateway key in every process (a reproducible DRBG).
struct GatewayKey {
  platform::EmulatorEntropy entropy{kGatewaySeed};
  std::unique_ptr<crypto::Drbg> drbg;
  std::unique_ptr<sealer::OhttpGateway> gateway;
  Bytes config;
  GatewayKey() {
    drbg = *crypto::Drbg::Create(entropy, "kill gateway");
    auto key = *sealer::GenerateGatewayKey(1, *drbg);
    config = *sealer::EncodeKeyConfig(key.config);
    std::vector<sealer::OhttpGatewayKey> keys;
    keys.push_back(std::move(key));
    gateway = std::make_unique<sealer::OhttpGateway>(*sealer::OhttpGateway::Create(std::move(keys), 1 << 20));
  }
};

// The gateway double: opens each request at Send (to log "S"), stores and answers on its thread.
class FileGateway final : public platform::Transport {
 public:
  FileGateway(GatewayKey& key, int log_fd, std::set<Bytes> stored)
      : key_(key), fd_(log_fd), stored_(std::move(stored)), worker_([this] { Loop(); }) {}
  ~FileGateway() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  using platform::Transport::Send;
  void Send(const platform::SendRequest& request, platform::SendCallback on_done) override {
    auto opened = key_.gateway->DecapsulateRequest(request.body);
    if (!opened.ok()) _exit(6);
    auto inner = sealer::DecodeBhttpRequest(opened->request(), 1 << 20);
    if (!inner.ok()) _exit(6);
    auto batch = sync::DecodeBatch(inner->content, 1 << 20);
    if (!batch.ok()) _exit(6);
    const std::string purpose = batch->events.empty() ? "-" : batch->events[0].purpose;
    tacet::testing::WriteLineOrExit(fd_, "S " + HexEncode(batch->batch_id) + " " + batch->recipient + " " + purpose);
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(Job{std::move(*opened), *std::move(batch), std::move(on_done)});
    cv_.notify_all();
  }

 private:
  struct Job {
    sealer::OhttpGatewayRequest request;
    sync::Batch batch;
    platform::SendCallback on_done;
  };
  void Loop() {
    while (true) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      const bool seen = stored_.count(job.batch.batch_id) > 0;
      if (!seen) {
        std::string line = "B " + HexEncode(job.batch.batch_id) + " " + job.batch.recipient;
        for (const auto& e : job.batch.events) line += " " + e.fields.at(0).value;
        tacet::testing::WriteLineOrExit(fd_, line);
        stored_.insert(job.batch.batch_id);
      }
      lock.unlock();
      sealer::BhttpResponse response;
      response.status = 200;
      response.headers.push_back({"content-type", "application/vnd.tacet.ack"});
      response.content = job.batch.batch_id;
      response.content.push_back(static_cast<uint8_t>(seen ? 1 : 0));
      auto sealed = job.request.EncapsulateResponse(*sealer::EncodeBhttpResponse(response), *key_.drbg);
      if (!sealed.ok()) _exit(7);
      job.on_done(platform::SendResult::Delivered(*std::move(sealed), "message/ohttp-res"));
    }
  }

  GatewayKey& key_;
  const int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::set<Bytes> stored_;
  bool stop_ = false;
  std::thread worker_;
};

std::vector<std::vector<std::string>> ReadLog(const std::string& path) {
  std::vector<std::vector<std::string>> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a last line without its newline was cut by the kill
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string s; words >> s;) w.push_back(s);
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

AgentOptions ChildOptions(const std::string& dir, const Bytes& config) {
  AgentOptions options;
  options.data_dir = dir;
  options.lock_timeout_ms = 5000;
  options.sync.key_config = config;
  options.sync.timeout_ms = 2000;
  return options;
}

[[noreturn]] void Child(const std::string& dir, const std::string& log, int fd, uint32_t seed) {
  GatewayKey key;
  std::set<Bytes> stored;
  for (const auto& w : ReadLog(log)) {
    if (w[0] == "B") {
      Bytes id;
      for (size_t i = 0; i + 1 < w[1].size(); i += 2) id.push_back(static_cast<uint8_t>(std::stoi(w[1].substr(i, 2), nullptr, 16)));
      stored.insert(id);
    }
  }
  const int log_fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (log_fd < 0) _exit(2);
  FileGateway gateway(key, log_fd, std::move(stored));
  platform::PosixServices services(platform::LogLevel::kError);
  platform::Platform p = services.platform();
  p.transport = &gateway;
  auto agent = Agent::Open(ChildOptions(dir, key.config), p);
  if (!agent.ok()) _exit(2);
  // The committed state at open: a change committed by a killed process before it could log it.
  tacet::testing::WriteLineOrExit(log_fd, tacet::testing::VoiceGranted(**agent) ? "G" : "D");
  tacet::testing::WriteLineOrExit(fd, tacet::testing::kChildOpenLine);
  std::mt19937 rng(seed);
  for (uint64_t i = 0;; ++i) {
    const bool granted = tacet::testing::VoiceGranted(**agent);
    const uint32_t pick = static_cast<uint32_t>(rng() % 10);
    if (pick == 0) {
      const std::string line = tacet::testing::FlipVoiceConsent(**agent);
      tacet::testing::WriteLineOrExit(log_fd, line);
      tacet::testing::WriteLineOrExit(fd, line);
      continue;
    }
    if (pick <= 2) {
      if (!(*agent)->SyncNow().ok()) _exit(8);
      continue;
    }
    const outbox::Event e = tacet::testing::ChildEvent(seed, i, granted && pick < 6);
    if (!(*agent)->Record(e).ok()) _exit(5);
    tacet::testing::WriteLineOrExit(fd, "R " + e.fields[0].value);
  }
}

TEST(SyncKillTest, SigkillDuringSyncLosesNothingDoublesNothingAndSendsNothingAfterARevocation) {
  tacet::testing::TempDir tmp;
  const std::string dir = tmp.File("device");
  const std::string log = tmp.File("gateway.log");
  std::mt19937 rng(tacet::testing::KillSeed(20261201));
  const int rounds = tacet::testing::KillRounds(kDefaultRounds);
  std::set<std::string> analytics_recorded;
  int killed_while_working = 0;
  size_t stored_at_end = 0, voice_sends_at_end = 0;
  ASSERT_OK(tacet::testing::SetUpVoiceDevice(ChildOptions(dir, Bytes{})));
  for (int round = 0; round < rounds; ++round) {
    const uint32_t seed = static_cast<uint32_t>(rng());
    const bool wait_for_open = round % 2 == 1;
    const std::chrono::microseconds delay(rng() % 40000);
    std::vector<std::string> lines;
    ASSERT_TRUE(tacet::testing::RunAndKill([&](int fd) { Child(dir, log, fd, seed); }, wait_for_open, delay,
                                           &lines))
        << "round " << round;
    std::set<std::string> voice_recorded;
    bool worked = false;
    for (const std::string& line : lines) {
      if (line.rfind("R a", 0) == 0) analytics_recorded.insert(line.substr(2));
      if (line == "D" || line == "G") voice_recorded.clear();  // a revocation purged them
      if (line.rfind("R v", 0) == 0) voice_recorded.insert(line.substr(2));
      if (line.size() > 1) worked = true;
    }
    if (worked) ++killed_while_working;

    // The gateway's log: duplicates, and sends after a revocation.
    std::map<std::pair<std::string, std::string>, int> stored;
    std::set<std::string> stored_values;
    bool denied = false;
    voice_sends_at_end = 0;
    for (const auto& w : ReadLog(log)) {
      if (w[0] == "D") denied = true;
      if (w[0] == "G") denied = false;
      if (w[0] == "S" && w.size() == 4 && w[3] == "voice_features") ++voice_sends_at_end;
      if (w[0] == "S" && w.size() == 4) {
        ASSERT_FALSE(denied && w[3] == "voice_features")
            << "round " << round << ": batch " << w[1] << " of voice_features sent after a revocation";
      }
      if (w[0] == "B") {
        for (size_t i = 3; i < w.size(); ++i) {
          const int times = ++stored[std::make_pair(w[2], w[i])];
          ASSERT_EQ(times, 1)
              << "round " << round << ": '" << w[i] << "' stored twice for " << w[2];
          stored_values.insert(w[i]);
        }
      }
    }
    stored_at_end = stored_values.size();
    // The device: what it still holds.
    ASSERT_OK_AND_ASSIGN(tacet::testing::KilledDevice left, tacet::testing::OpenKilledDevice(dir));
    ASSERT_OK_AND_ASSIGN(auto queued, left.outbox->List(outbox::EventState::kQueued, 1'000'000));
    std::set<std::string> held;
    for (const outbox::StoredEvent& e : queued) held.insert(e.event.fields.at(0).value);
    for (const std::string& v : analytics_recorded) {
      ASSERT_TRUE(held.count(v) > 0 || stored_values.count(v) > 0)
          << "round " << round << ": recorded '" << v << "' is neither on the device nor stored";
    }
    // Voice events: while the committed state of the purpose is "granted" (a revocation that
    // committed just before the kill, unlogged, legitimately purged them).
    ASSERT_OK_AND_ASSIGN(const int64_t committed, tacet::testing::CommittedPurposeState(*left.db, "voice_features"));
    const bool granted_now = committed == static_cast<int64_t>(consent::ConsentState::kGranted);
    if (granted_now) {
      for (const std::string& v : voice_recorded) {
        ASSERT_TRUE(held.count(v) > 0 || stored_values.count(v) > 0)
            << "round " << round << ": recorded '" << v << "' is neither on the device nor stored";
      }
    }
  }
  EXPECT_GE(killed_while_working, rounds / 3);
  EXPECT_GT(analytics_recorded.size(), 50u);
  EXPECT_GT(stored_at_end, 50u);       // the gateway stored events: the kills hit syncs too
  EXPECT_GT(voice_sends_at_end, 5u);   // and voice was sent while granted
}

}  // namespace
}  // namespace tacet::agent
