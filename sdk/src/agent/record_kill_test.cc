// A device process killed with SIGKILL at random points while it records events and while the
// user revokes and grants consent, 200 times on one device folder (issue 10, "Faults"). After each
// kill the folder is opened again and checked:
//   - no committed event is lost: every event the child was told was recorded is there;
//   - none is duplicated: every recorded value is there at most once;
//   - a committed revocation holds: when the last consent change the child saw commit was a
//     revocation, no event of the revoked purpose is left.
// The child reports through a pipe, and writes a line only after the call it reports returned.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "agent/agent.h"
#include "agent/device_schema.h"
#include "crypto/crypto_test_util.h"
#include "outbox/outbox.h"
#include "posix/file_key_store.h"
#include "posix/posix_clock.h"
#include "posix/posix_services.h"
#include "store/database.h"
#include "store/statement.h"
#include "testing/status_matchers.h"
#include "testing/test_util.h"

namespace tacet::agent {
namespace {

constexpr int kRounds = 200;

void WriteLine(int fd, const std::string& line) {
  const std::string out = line + "\n";
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n <= 0) _exit(3);
    done += static_cast<size_t>(n);
  }
}

// The child: opens the device and records until it is killed. Never returns.
[[noreturn]] void Child(const std::string& dir, int fd, uint32_t seed) {
  platform::PosixServices services(platform::LogLevel::kError);
  AgentOptions options;
  options.data_dir = dir;
  options.lock_timeout_ms = 5000;
  auto agent = Agent::Open(options, services.platform());
  if (!agent.ok()) _exit(2);
  WriteLine(fd, "O");
  std::mt19937 rng(seed);
  for (uint64_t i = 0;; ++i) {
    const consent::ConsentSnapshot& s = (*agent)->consent();
    const bool granted = s.purpose(s.PurposeIndex("voice_features")) == consent::ConsentState::kGranted;
    const uint32_t pick = static_cast<uint32_t>(rng() % 10);
    if (pick == 0) {
      const auto state = granted ? consent::ConsentState::kDenied : consent::ConsentState::kGranted;
      if (!(*agent)->SetPurpose("voice_features", state, consent::DecisionSource::kUser).ok()) _exit(4);
      WriteLine(fd, granted ? "D" : "G");
      continue;
    }
    outbox::Event e;
    // Letters between the numbers: a long run of digits could pass for a card number.
    const std::string value = "s" + std::to_string(seed) + "i" + std::to_string(i);
    e.occurred_unix_ms = 1'700'000'000'000;
    if (granted && pick < 5) {
      e.purpose = "voice_features";
      e.fields = {{"voice.voice_commands", "v" + value}};
    } else {
      e.purpose = "analytics";
      e.fields = {{"usage.interaction_events", "a" + value}};
    }
    const auto recorded = (*agent)->Record(e);
    if (!recorded.ok()) {
      std::fprintf(stderr, "child: %s\n", recorded.status().ToString().c_str());
      _exit(5);
    }
    WriteLine(fd, "R " + e.fields[0].value);
  }
}

TEST(RecordKillTest, SigkillAtRandomPointsLosesNothingDoublesNothingAndRevocationsHold) {
  tacet::testing::TempDir tmp;
  const std::string dir = tmp.File("device");
  std::mt19937 rng(20261130);
  std::set<std::string> analytics_acknowledged;
  int killed_while_working = 0;
  int checked_denied = 0;

  // The first open sets the device up (and grants the voice category the events need).
  {
    platform::PosixServices services(platform::LogLevel::kError);
    AgentOptions options;
    options.data_dir = dir;
    ASSERT_OK_AND_ASSIGN(auto agent, Agent::Open(options, services.platform()));
    ASSERT_OK(agent->SetCategoryProvided("voice", true, consent::DecisionSource::kUser));
    ASSERT_OK(agent->Close());
  }

  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const uint32_t seed = static_cast<uint32_t>(rng());
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      Child(dir, fds[1], seed);
    }
    ::close(fds[1]);
    std::string report;
    char buf[4096];
    // Every other round is killed anywhere from the open on; the others once the device is open
    // (so that, however slow the build — sanitizers, qemu — kills land in the work too).
    if (round % 2 == 1) {
      while (report.find("O\n") == std::string::npos) {
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        report.append(buf, static_cast<size_t>(n));
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 30000));
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the child exited with "
                                     << WEXITSTATUS(status) << " before it was killed";
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);

    char last_consent = 0;
    bool worked = false;
    std::set<std::string> voice_since_grant;
    size_t start = 0;
    while (start < report.size()) {
      const size_t end = report.find('\n', start);
      if (end == std::string::npos) break;  // a line cut by the kill was never acknowledged
      const std::string line = report.substr(start, end - start);
      start = end + 1;
      if (line == "D" || line == "G") last_consent = line[0];
      if (line == "D" || line == "G") voice_since_grant.clear();
      if (line.rfind("R a", 0) == 0) analytics_acknowledged.insert(line.substr(2));
      if (line.rfind("R v", 0) == 0) voice_since_grant.insert(line.substr(2));
      if (line.size() > 1) worked = true;
    }
    if (worked) ++killed_while_working;

    // Open what the killed process left, as the next process would: the database and the outbox.
    ASSERT_OK_AND_ASSIGN(auto keys, platform::FileKeyStore::Open(dir + "/keys"));
    store::OpenOptions db_options;
    db_options.schema = &DeviceSchema();
    ASSERT_OK_AND_ASSIGN(auto db, store::Database::Open(dir + "/tacet.db", db_options));
    platform::PosixClock clock;
    ASSERT_OK_AND_ASSIGN(auto outbox,
                         outbox::Outbox::Open(*db, *keys, crypto::testing::TestDrbg(), clock));
    ASSERT_OK_AND_ASSIGN(auto queued, outbox->List(outbox::EventState::kQueued, 1'000'000));
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
    ASSERT_OK_AND_ASSIGN(auto state, db->Prepare("SELECT state FROM consent_state WHERE subject = "
                                                 "'purpose:voice_features'"));
    ASSERT_OK_AND_ASSIGN(bool has_state, state.Step());
    const int64_t committed = has_state ? state.ColumnInt64(0) : 0;
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
  EXPECT_GE(killed_while_working, kRounds / 3);
  EXPECT_GT(analytics_acknowledged.size(), 100u);
  EXPECT_GT(checked_denied, 10);  // rounds that ended with the purpose denied were checked
}

}  // namespace
}  // namespace tacet::agent
