#include "testing/kill_harness.h"

#include <cstdlib>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "agent/device_schema.h"
#include "crypto/crypto_test_util.h"
#include "posix/posix_services.h"
#include "store/statement.h"

namespace tacet::testing {

void WriteLineOrExit(int fd, const std::string& line) {
  const std::string out = line + "\n";
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n <= 0) _exit(3);
    done += static_cast<size_t>(n);
  }
}

bool VoiceGranted(const agent::Agent& agent) {
  const consent::ConsentSnapshot& s = agent.consent();
  return s.purpose(s.PurposeIndex("voice_features")) == consent::ConsentState::kGranted;
}

std::string FlipVoiceConsent(agent::Agent& agent) {
  const bool granted = VoiceGranted(agent);
  const auto state = granted ? consent::ConsentState::kDenied : consent::ConsentState::kGranted;
  if (!agent.SetPurpose("voice_features", state, consent::DecisionSource::kUser).ok()) _exit(4);
  return granted ? "D" : "G";
}

outbox::Event ChildEvent(uint32_t seed, uint64_t i, bool voice) {
  outbox::Event e;
  // Letters between the numbers: a long run of digits could pass for a card number.
  const std::string value = "s" + std::to_string(seed) + "i" + std::to_string(i);
  e.occurred_unix_ms = 1'700'000'000'000;
  if (voice) {
    e.purpose = "voice_features";
    e.fields = {{"voice.voice_commands", "v" + value}};
  } else {
    e.purpose = "analytics";
    e.fields = {{"usage.interaction_events", "a" + value}};
  }
  return e;
}

::testing::AssertionResult RunAndKill(const std::function<void(int report_fd)>& child, bool wait_for_open,
                                      std::chrono::microseconds delay, std::vector<std::string>* lines) {
  lines->clear();
  int fds[2];
  if (::pipe(fds) != 0) return ::testing::AssertionFailure() << "pipe failed";
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return ::testing::AssertionFailure() << "fork failed";
  }
  if (pid == 0) {
    ::close(fds[0]);
    child(fds[1]);
    _exit(9);
  }
  ::close(fds[1]);
  std::string report;
  char buf[4096];
  const std::string open_line = std::string(kChildOpenLine) + "\n";
  while (wait_for_open && report.find(open_line) == std::string::npos) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    report.append(buf, static_cast<size_t>(n));
  }
  std::this_thread::sleep_for(delay);
  ::kill(pid, SIGKILL);
  int status = 0;
  const pid_t reaped = ::waitpid(pid, &status, 0);
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  if (reaped != pid) return ::testing::AssertionFailure() << "waitpid failed";
  if (!WIFSIGNALED(status)) {
    return ::testing::AssertionFailure() << "the child exited with " << WEXITSTATUS(status)
                                         << " before it was killed";
  }
  for (size_t start = 0; start < report.size();) {
    const size_t end = report.find('\n', start);
    if (end == std::string::npos) break;  // cut by the kill
    lines->push_back(report.substr(start, end - start));
    start = end + 1;
  }
  return ::testing::AssertionSuccess();
}

StatusOr<KilledDevice> OpenKilledDevice(const std::string& dir) {
  KilledDevice d;
  TACET_ASSIGN_OR_RETURN(d.keys, platform::FileKeyStore::Open(dir + "/keys"));
  store::OpenOptions db_options;
  db_options.schema = &agent::DeviceSchema();
  TACET_ASSIGN_OR_RETURN(d.db, store::Database::Open(dir + "/tacet.db", db_options));
  d.clock = std::make_unique<platform::PosixClock>();
  TACET_ASSIGN_OR_RETURN(d.outbox, outbox::Outbox::Open(*d.db, *d.keys, crypto::testing::TestDrbg(), *d.clock));
  return d;
}

StatusOr<int64_t> CommittedPurposeState(store::Database& db, const std::string& purpose) {
  TACET_ASSIGN_OR_RETURN(auto state, db.Prepare("SELECT state FROM consent_state WHERE subject = ?1"));
  const std::string subject = "purpose:" + purpose;
  TACET_RETURN_IF_ERROR(state.Bind(1, std::string_view(subject)));
  TACET_ASSIGN_OR_RETURN(bool has_state, state.Step());
  return has_state ? state.ColumnInt64(0) : 0;
}

Status SetUpVoiceDevice(const agent::AgentOptions& options) {
  platform::PosixServices services(platform::LogLevel::kError);
  TACET_ASSIGN_OR_RETURN(auto agent, agent::Agent::Open(options, services.platform()));
  TACET_RETURN_IF_ERROR(agent->SetCategoryProvided("voice", true, consent::DecisionSource::kUser));
  return agent->Close();
}

int KillRounds(int rounds) {
  const char* v = std::getenv("TACET_KILL_ROUNDS");
  if (v == nullptr) return rounds;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end != v && *end == '\0' && n > rounds && n <= 1000000) ? static_cast<int>(n) : rounds;
}

uint32_t KillSeed(uint32_t seed) {
  const char* v = std::getenv("TACET_KILL_SEED");
  if (v == nullptr) return seed;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  return (end != v && *end == '\0') ? static_cast<uint32_t>(n) : seed;
}

}  // namespace tacet::testing
