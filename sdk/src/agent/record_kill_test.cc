// A device process killed with SIGKILL at random points while it records events and while the
// user revokes and grants consent, 200 times on one device folder (issue 10, "Faults"). After each
// kill the folder is opened again and checked:
//   - no committed event is lost: every event the child was told was recorded is there;
//   - none is duplicated: every recorded value is there at most once;
//   - a committed revocation holds: when the last consent change the child saw commit was a
//     revocation, no event of the revoked purpose is left.
// The child reports through a pipe, and writes a line only after the call it reports returned.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "outbox/outbox.h"
#include "posix/posix_services.h"
#include "testing/kill_harness.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::agent {
namespace {

constexpr int kDefaultRounds = 200;

// The child: opens the device and records until it is killed. Never returns.
[[noreturn]] void Child(const std::string& dir, int fd, uint32_t seed) {
  platform::PosixServices services(platform::LogLevel::kError);
  AgentOptions options;
  options.data_dir = dir;
  options.lock_timeout_ms = 5000;
  auto agent = Agent::Open(options, services.platform());
  if (!agent.ok()) _exit(2);
  tacet::testing::WriteLineOrExit(fd, tacet::testing::kChildOpenLine);
  std::mt19937 rng(seed);
  for (uint64_t i = 0;; ++i) {
    const bool granted = tacet::testing::VoiceGranted(**agent);
    const uint32_t pick = static_cast<uint32_t>(rng() % 10);
    if (pick == 0) {
      tacet::testing::WriteLineOrExit(fd, tacet::testing::FlipVoiceConsent(**agent));
      continue;
    }
    const outbox::Event e = tacet::testing::ChildEvent(seed, i, granted && pick < 5);
    const auto recorded = (*agent)->Record(e);
    if (!recorded.ok()) {
      std::fprintf(stderr, "child: %s\n", recorded.status().ToString().c_str());
      _exit(5);
    }
    tacet::testing::WriteLineOrExit(fd, "R " + e.fields[0].value);
  }
}

TEST(RecordKillTest, SigkillAtRandomPointsLosesNothingDoublesNothingAndRevocationsHold) {
  tacet::testing::TempDir tmp;
  const std::string dir = tmp.File("device");
  std::mt19937 rng(tacet::testing::KillSeed(20261130));
  const int rounds = tacet::testing::KillRounds(kDefaultRounds);
  std::set<std::string> analytics_acknowledged;
  int killed_while_working = 0;
  int checked_denied = 0;

  // The first open sets the device up (and grants the voice category the events need).
  {
    AgentOptions options;
    options.data_dir = dir;
    ASSERT_OK(tacet::testing::SetUpVoiceDevice(options));
  }

  for (int round = 0; round < rounds; ++round) {
    const uint32_t seed = static_cast<uint32_t>(rng());
    // Every other round is killed anywhere from the open on; the others once the device is open
    // (so that, however slow the build — sanitizers, qemu — kills land in the work too).
    const bool wait_for_open = round % 2 == 1;
    const std::chrono::microseconds delay(rng() % 30000);
    std::vector<std::string> lines;
    ASSERT_TRUE(tacet::testing::RunAndKill([&](int fd) { Child(dir, fd, seed); }, wait_for_open, delay,
                                           &lines))
        << "round " << round;

    char last_consent = 0;
    bool worked = false;
    std::set<std::string> voice_since_grant;
    for (const std::string& line : lines) {
      if (line == "D" || line == "G") last_consent = line[0];
      if (line == "D" || line == "G") voice_since_grant.clear();
      if (line.rfind("R a", 0) == 0) analytics_acknowledged.insert(line.substr(2));
      if (line.rfind("R v", 0) == 0) voice_since_grant.insert(line.substr(2));
      if (line.size() > 1) worked = true;
    }
    if (worked) ++killed_while_working;

    // Open what the killed process left, as the next process would: the database and the outbox.
    ASSERT_OK_AND_ASSIGN(tacet::testing::KilledDevice left, tacet::testing::OpenKilledDevice(dir));
    ASSERT_OK_AND_ASSIGN(auto queued, left.outbox->List(outbox::EventState::kQueued, 1'000'000));
    std::map<std::string, int> seen;
    int voice = 0;
    for (const outbox::StoredEvent& e : queued) {
      ++seen[e.event.fields.at(0).value];
      if (e.event.purpose == "voice_features") ++voice;
    }
    for (const auto& [value, count] : seen) {
      ASSERT_EQ(count, 1) << "round " << round << ": '" << value << "' is stored " << count << " times";
    }
    for (const std::string& value : analytics_acknowledged) {
      ASSERT_EQ(seen.count(value), 1u) << "round " << round << ": acknowledged '" << value << "' is lost";
    }
    if (last_consent == 'D') {
      ASSERT_EQ(voice, 0) << "round " << round << ": voice events survived a committed revocation";
    }
    // Whatever the child managed to report: when the committed state of the purpose is "denied",
    // no event of it may be left (a revocation that committed just before the kill included).
    ASSERT_OK_AND_ASSIGN(const int64_t committed, tacet::testing::CommittedPurposeState(*left.db, "voice_features"));
    if (committed == static_cast<int64_t>(consent::ConsentState::kDenied)) {
      ++checked_denied;
      ASSERT_EQ(voice, 0) << "round " << round << ": voice events left while the purpose is denied";
    }
    // While the purpose is still granted, the voice events acknowledged since the round's last
    // consent change are not lost either (a revocation that committed unreported would show as
    // "denied" above).
    if (committed == static_cast<int64_t>(consent::ConsentState::kGranted)) {
      for (const std::string& value : voice_since_grant) {
        ASSERT_EQ(seen.count(value), 1u) << "round " << round << ": acknowledged '" << value << "' is lost";
      }
    }
  }
  // The kills must have landed during work, not only during opens, for the test to mean anything.
  EXPECT_GE(killed_while_working, rounds / 3);
  EXPECT_GT(analytics_acknowledged.size(), 100u);
  EXPECT_GT(checked_denied, 10);  // rounds that ended with the purpose denied were checked
}

}  // namespace
}  // namespace tacet::agent
