// A real gateway killed and restarted (issue 10, "Faults and bad input"): a device (an Agent on
// the posix platform, in this process) records events for two recipients and syncs straight to a
// real tacet-collector process, which a second thread kills with SIGKILL at a random moment of
// each of several upload rounds; the collector is restarted on the same state folder and port, and
// the device keeps syncing until its outbox is empty. Checked: the collector's dump holds every
// event exactly once per recipient the policy gives it to (none lost, none doubled), the device
// counted each batch acknowledged once, and nothing was rejected.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/agent.h"
#include "child_process.h"
#include "e2e_util.h"
#include "posix/posix_services.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::e2e {
namespace {

using consent::ConsentState;
using consent::DecisionSource;

constexpr int kEvents = 240;      // half advertising (controller + advertising partners), half voice (controller)
constexpr int kKills = 15;
constexpr int kBatchSize = 3;

outbox::Event Event(int i) {
  outbox::Event e;
  if (i % 2 == 0) {
    e.purpose = "advertising";
    e.fields = {{"usage.search_queries", "kill-query-" + std::to_string(i)}};
  } else {
    e.purpose = "voice_features";
    e.fields = {{"voice.voice_commands", "kill-voice-" + std::to_string(i)}};
  }
  e.occurred_unix_ms = 1'700'000'000'000;
  return e;
}

class Gateway {
 public:
  explicit Gateway(std::string dir, std::string log) : dir_(std::move(dir)), log_(std::move(log)) {}
  // Starts tacet-collector on the folder (on `port`, or an ephemeral one when 0); its port.
  uint16_t Start(uint16_t port) {
    ::unlink((dir_ + "/port").c_str());  // never read the previous run's file
    std::vector<std::string> argv = {TACET_COLLECTOR_PATH, "--state-dir", dir_};
    if (port != 0) argv.insert(argv.end(), {"--port", std::to_string(port)});
    auto child = net::ChildProcess::Start(argv, log_);
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    if (!child.ok()) return 0;
    child_.emplace(std::move(*child));
    auto ready = net::WaitForPortFile(dir_, 10000);
    EXPECT_TRUE(ready.ok()) << ready.status().ToString() << "\n" << net::ReadTextFile(log_);
    return ready.ok() ? *ready : 0;
  }
  net::ChildProcess& child() { return *child_; }

 private:
  const std::string dir_, log_;
  std::optional<net::ChildProcess> child_;
};

TEST(GatewayKillTest, SigkilledAndRestartedGatewayStoresEveryEventOncePerRecipient) {
  tacet::testing::TempDir dir;
  const std::string collector_dir = dir.File("collector");
  Gateway gateway(collector_dir, dir.File("collector.log"));
  const uint16_t port = gateway.Start(0);
  ASSERT_NE(port, 0);

  platform::PosixServices services;
  agent::AgentOptions options;
  options.data_dir = dir.File("device");
  options.sync.key_config = tacet::testing::ReadFileOrDie(collector_dir + "/key-config.bin");
  options.sync.url = "https://127.0.0.1:" + std::to_string(port) + "/gateway";
  options.sync.spki_sha256_pins = {PinOf(collector_dir)};
  options.sync.timeout_ms = 2000;
  options.sync.max_events_per_batch = kBatchSize;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<agent::Agent> device, agent::Agent::Open(options, services.platform()));
  ASSERT_OK(device->SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(device->SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(device->SetPurpose("advertising", ConsentState::kGranted, DecisionSource::kUser));
  for (int i = 0; i < kEvents; ++i) ASSERT_OK(device->Record(Event(i)).status());

  std::mt19937 rng(static_cast<uint32_t>(::getpid()) ^ static_cast<uint32_t>(std::random_device{}()));
  std::uniform_int_distribution<int> delay_us(0, 60'000);
  int64_t delivered = 0, acknowledged = 0, rejected = 0, interrupted = 0;
  auto add = [&](const sync::RoundResult& r) {
    delivered += r.events_delivered;
    acknowledged += r.batches_acknowledged;
    rejected += r.batches_rejected;
  };
  const auto started = std::chrono::steady_clock::now();
  for (int kill = 0; kill < kKills; ++kill) {
    const int wait_us = delay_us(rng);
    std::thread killer([&gateway, wait_us] {
      std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
      gateway.child().Signal(SIGKILL);
    });
    auto round = device->SyncNow();
    killer.join();
    ASSERT_OK(round.status()) << "kill " << kill;
    add(*round);
    interrupted += round->batches_pending > 0;
    const std::optional<int> status = gateway.child().Wait(5000);
    ASSERT_TRUE(status.has_value() && WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << "kill " << kill;
    ASSERT_EQ(gateway.Start(port), port) << "kill " << kill;
  }
  // The gateway stays up now: sync until nothing is left.
  for (int round = 0; round < 50; ++round) {
    ASSERT_OK_AND_ASSIGN(sync::RoundResult r, device->SyncNow());
    add(r);
    ASSERT_OK_AND_ASSIGN(outbox::OutboxCounts c, device->RecordCounts());
    if (r.batches_pending == 0 && c.queued == 0 && c.batches_pending == 0) break;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  RecordProperty("interrupted_rounds", static_cast<int>(interrupted));
  std::cout << "gateway kill test: " << kKills << " kills, " << interrupted << " rounds left batches pending, "
            << acknowledged << " batches acknowledged, " << seconds << " s\n";

  ASSERT_OK_AND_ASSIGN(outbox::OutboxCounts counts, device->RecordCounts());
  EXPECT_EQ(counts.queued, 0);
  EXPECT_EQ(counts.batches_pending, 0);
  EXPECT_EQ(counts.batches_rejected, 0);
  EXPECT_EQ(rejected, 0);
  // Controller: every event; advertising partners: the advertising half.
  EXPECT_EQ(delivered, kEvents + kEvents / 2);
  EXPECT_EQ(counts.batches_acknowledged, acknowledged);
  ASSERT_OK_AND_ASSIGN(auto log, device->SharingLog());
  EXPECT_EQ(static_cast<int64_t>(log.size()), acknowledged);
  for (const auto& e : log) EXPECT_TRUE(e.acknowledged) << e.recipient;
  // The kills hit rounds in flight (not only idle gateways).
  EXPECT_GE(interrupted, 1);
  ASSERT_OK(device->Close());
  device.reset();

  gateway.child().Signal(SIGTERM);
  ASSERT_TRUE(gateway.child().Wait(10000).has_value());
  const nlohmann::json dump = DumpCollector(TACET_COLLECTOR_PATH, collector_dir, dir.File("dump.json"));
  ASSERT_TRUE(dump.contains("batches"));
  std::map<std::string, std::multiset<std::string>> values;  // recipient -> every stored value
  std::set<std::string> batch_ids;
  int64_t batches = 0;
  for (const auto& b : dump["batches"]) {
    ++batches;
    batch_ids.insert(b["batch_id"].get<std::string>());
    for (const auto& e : b["events"]) {
      for (const auto& [key, f] : e["fields"].items()) values[b["recipient"].get<std::string>()].insert(f["value"]);
    }
  }
  EXPECT_EQ(batches, acknowledged);
  EXPECT_EQ(static_cast<int64_t>(batch_ids.size()), batches);
  std::multiset<std::string> controller_expected;
  for (int i = 0; i < kEvents; ++i) controller_expected.insert(Event(i).fields[0].value);
  EXPECT_EQ(values["controller"], controller_expected);
  const auto& partners = values["advertising_partners"];
  EXPECT_EQ(partners.size(), static_cast<size_t>(kEvents / 2));
  EXPECT_EQ(std::set<std::string>(partners.begin(), partners.end()).size(), static_cast<size_t>(kEvents / 2))
      << "a pseudonymised event stored twice";
  EXPECT_EQ(values.size(), 2u);
}

}  // namespace
}  // namespace tacet::e2e
