// What the SIGKILL tests of a device process share (agent/record_kill_test.cc,
// agent/sync_kill_test.cc): a child that reports through a pipe and is killed at a random point,
// and the device folder it leaves, opened as the next process would open it.
//
//   std::vector<std::string> lines;
//   ASSERT_TRUE(RunAndKill([&](int fd) { Child(dir, fd); }, round % 2 == 1, delay, &lines));
//   ASSERT_OK_AND_ASSIGN(KilledDevice left, OpenKilledDevice(dir));
//   ASSERT_OK_AND_ASSIGN(auto queued, left.outbox->List(outbox::EventState::kQueued, 1'000'000));
#ifndef TACET_TESTING_KILL_HARNESS_H_
#define TACET_TESTING_KILL_HARNESS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "base/status.h"
#include "outbox/outbox.h"
#include "posix/file_key_store.h"
#include "posix/posix_clock.h"
#include "store/database.h"

namespace tacet::testing {

// The line a child writes once its device is open ("O"): RunAndKill can wait for it.
inline constexpr char kChildOpenLine[] = "O";

// Writes `line` and a newline to `fd`, whole, or ends the process (exit code 3). For a child's
// reports: a line is written only after the call it reports returned.
void WriteLineOrExit(int fd, const std::string& line);

// Soak runs outside CI: TACET_KILL_ROUNDS, when it is a count above `rounds`, replaces it (never
// fewer: the tests' coverage floors are absolute), and TACET_KILL_SEED (a number) replaces the
// test's fixed seed; unset or malformed, the test's own values.
int KillRounds(int rounds);
uint32_t KillSeed(uint32_t seed);

// What a child does to consent: flips voice_features (granted -> denied, otherwise -> granted)
// and returns the line that reports it, "D" or "G"; ends the child (exit code 4) if it fails.
std::string FlipVoiceConsent(agent::Agent& agent);
bool VoiceGranted(const agent::Agent& agent);

// The event a child records as its i-th step: a voice command when `voice`, else an analytics
// interaction, whose one value is unique to (seed, i) and starts with "v" or "a" accordingly.
outbox::Event ChildEvent(uint32_t seed, uint64_t i, bool voice);

// Forks a child that runs `child(report_fd)`, which must not return (a child that returns exits
// with code 9). When `wait_for_open`, waits until the child reported kChildOpenLine (or closed its
// end), so that the kill lands in its work however slow the build; then sleeps `delay`, SIGKILLs
// the child and reaps it. *lines gets the complete lines it wrote, in order (a line cut by the
// kill was never acknowledged and is dropped). Fails when fork fails or the child exited before
// it was killed (its exit code named).
::testing::AssertionResult RunAndKill(const std::function<void(int report_fd)>& child, bool wait_for_open,
                                      std::chrono::microseconds delay, std::vector<std::string>* lines);

// What a killed device process left in its folder, opened as the next process would: the key
// store, the database and the outbox (members in the order they must be destroyed in reverse).
struct KilledDevice {
  std::unique_ptr<platform::FileKeyStore> keys;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<platform::PosixClock> clock;
  std::unique_ptr<outbox::Outbox> outbox;
};
StatusOr<KilledDevice> OpenKilledDevice(const std::string& dir);

// The committed consent state of `purpose` in the device database (consent::ConsentState as
// stored), or 0 when the purpose has no row yet.
StatusOr<int64_t> CommittedPurposeState(store::Database& db, const std::string& purpose);

// Opens the device with `options` on the posix services, says the user provides the voice
// category (so that the children can record voice events once the purpose is granted), closes it.
Status SetUpVoiceDevice(const agent::AgentOptions& options);

}  // namespace tacet::testing

#endif  // TACET_TESTING_KILL_HARNESS_H_
