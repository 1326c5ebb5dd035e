// The emulator's building blocks: clock, timeline, entropy, key store, logger; Platform::Validate.
#include <string>
#include <vector>

#include "emulator/capturing_logger.h"
#include "emulator/emulated_device.h"
#include "emulator/emulator_entropy.h"
#include "emulator/emulator_scheduler.h"
#include "emulator/memory_key_store.h"
#include "emulator/virtual_clock.h"
#include "testing/test_util.h"

namespace tacet::platform {
namespace {

using ::testing::HasSubstr;

TEST(VirtualClockTest, MovesOnlyWhenAdvanced) {
  VirtualClock clock(1700000000000);
  EXPECT_EQ(clock.MonotonicNanos(), 0);
  EXPECT_EQ(clock.NowUnixMillis(), 1700000000000);
  EXPECT_EQ(clock.MonotonicNanos(), 0);  // reading does not move it
  clock.AdvanceBy(1500);
  EXPECT_EQ(clock.MonotonicNanos(), 1500000000);
  EXPECT_EQ(clock.MonotonicMillis(), 1500);
  EXPECT_EQ(clock.NowUnixMillis(), 1700000001500);
  clock.AdvanceToNanos(1000);  // never backwards
  EXPECT_EQ(clock.MonotonicNanos(), 1500000000);
  clock.AdvanceBy(-10);
  EXPECT_EQ(clock.MonotonicMillis(), 1500);
}

TEST(VirtualClockTest, WallClockCanJumpWithoutMovingMonotonicTime) {
  VirtualClock clock;
  EXPECT_EQ(clock.NowUnixMillis(), kEmulatorEpochUnixMillis);
  clock.AdvanceBy(100);
  clock.SetWallClock(1000);  // the user set the clock back to 1970
  EXPECT_EQ(clock.NowUnixMillis(), 1000);
  EXPECT_EQ(clock.MonotonicMillis(), 100);
  clock.AdvanceBy(50);
  EXPECT_EQ(clock.NowUnixMillis(), 1050);
}

TEST(EmulatorSchedulerTest, RunsDueTasksInOrderAtTheirVirtualTime) {
  VirtualClock clock;
  EmulatorScheduler scheduler(&clock);
  std::vector<std::pair<int, int64_t>> ran;  // (label, virtual ms when it ran)
  auto task = [&](int label) { return [&, label] { ran.emplace_back(label, clock.MonotonicMillis()); }; };
  scheduler.ScheduleAfter(30, task(3));
  scheduler.ScheduleAfter(10, task(1));
  scheduler.ScheduleAfter(20, task(2));
  scheduler.ScheduleAfter(10, task(11));  // same time as 1, scheduled later
  scheduler.ScheduleAfter(-5, task(0));
  EXPECT_TRUE(ran.empty());  // nothing runs until time moves
  scheduler.AdvanceBy(20);
  using R = std::vector<std::pair<int, int64_t>>;
  EXPECT_EQ(ran, (R{{0, 0}, {1, 10}, {11, 10}, {2, 20}}));
  EXPECT_EQ(clock.MonotonicMillis(), 20);
  scheduler.AdvanceBy(100);
  EXPECT_EQ(ran.back(), (std::pair<int, int64_t>{3, 30}));
  EXPECT_EQ(clock.MonotonicMillis(), 120);
  EXPECT_EQ(scheduler.pending(), 0u);
}

TEST(EmulatorSchedulerTest, CancelAndTasksSchedulingTasks) {
  VirtualClock clock;
  EmulatorScheduler scheduler(&clock);
  std::vector<int> ran;
  TaskId doomed = scheduler.ScheduleAfter(10, [&] { ran.push_back(99); });
  scheduler.ScheduleAfter(5, [&] {
    ran.push_back(1);
    scheduler.Cancel(doomed);  // from inside a task
    scheduler.ScheduleAfter(0, [&] { ran.push_back(2); });   // same instant: still this run
    scheduler.ScheduleAfter(50, [&] { ran.push_back(3); });  // beyond the target
  });
  scheduler.AdvanceBy(40);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  scheduler.Cancel(doomed);  // already cancelled: ignored
  scheduler.AdvanceBy(40);
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(EmulatorEntropyTest, Sha256CounterModeKnownAnswer) {
  // SHA-256("tacet emulator entropy" || be64(7) || be64(i)), i = 0, 1, computed independently
  // with Python's hashlib.
  EmulatorEntropy entropy(7);
  Bytes out(40);
  ASSERT_OK(entropy.Fill(out.data(), out.size()));
  EXPECT_EQ(HexEncode(out),
            "c0b38a7fd2a3fc08895ff42792228721e4503efa529decd15b111f13a78aa3f5793dcbd2f3f9bc67");
}

TEST(EmulatorEntropyTest, StreamDoesNotDependOnCallSizesAndSeedsDiffer) {
  EmulatorEntropy a(42), b(42), c(43);
  Bytes whole(100), pieces(100), other(100);
  ASSERT_OK(a.Fill(whole.data(), whole.size()));
  size_t off = 0;
  for (size_t n : {1, 31, 2, 33, 0, 33}) {
    ASSERT_OK(b.Fill(pieces.data() + off, n));
    off += n;
  }
  ASSERT_EQ(off, 100u);
  ASSERT_OK(c.Fill(other.data(), other.size()));
  EXPECT_EQ(whole, pieces);
  EXPECT_NE(whole, other);
}

TEST(MemoryKeyStoreTest, SameContractAsEveryKeyStore) {
  MemoryKeyStore store;
  ASSERT_OK(store.Put("wrap", Bytes{1, 2, 3}));
  EXPECT_THAT(store.Put("wrap", Bytes{4}), StatusIs(StatusCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(Bytes got, store.Get("wrap"));
  EXPECT_EQ(got, (Bytes{1, 2, 3}));
  EXPECT_THAT(store.Put("Bad/Name", Bytes{1}), StatusIs(StatusCode::kInvalidArgument, HasSubstr("[a-z0-9_-]")));
  EXPECT_THAT(store.Put("empty", Bytes{}), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(store.Get("missing"), StatusIs(StatusCode::kNotFound, HasSubstr("'missing'")));
  ASSERT_OK(store.Delete("wrap"));
  EXPECT_THAT(store.Get("wrap"), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(store.Delete("wrap"), StatusIs(StatusCode::kNotFound));
  EXPECT_EQ(store.size(), 0u);
}

TEST(CapturingLoggerTest, KeepsMessagesInOrder) {
  CapturingLogger logger;
  logger.Log(LogLevel::kInfo, "consent: granted 'voice'");
  logger.Log(LogLevel::kError, "vault: corrupt record");
  auto entries = logger.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].level, LogLevel::kError);
  EXPECT_EQ(entries[1].message, "vault: corrupt record");
  EXPECT_TRUE(logger.Contains("'voice'"));
  EXPECT_FALSE(logger.Contains("45.7578"));
  logger.Clear();
  EXPECT_TRUE(logger.entries().empty());
}

TEST(PlatformTest, ValidateNamesEveryMissingRequiredService) {
  EmulatedDevice device;
  Platform p = device.platform();
  EXPECT_OK(p.Validate());

  Platform optional_missing = p;
  optional_missing.microphone = nullptr;
  optional_missing.location = nullptr;
  optional_missing.transport = nullptr;
  EXPECT_OK(optional_missing.Validate());

  Platform no_keys = p;
  no_keys.key_store = nullptr;
  EXPECT_THAT(no_keys.Validate(),
              StatusIs(StatusCode::kFailedPrecondition,
                       ::testing::EndsWith("missing required service(s): key_store")));

  Platform empty;
  EXPECT_THAT(empty.Validate(),
              StatusIs(StatusCode::kFailedPrecondition,
                       HasSubstr("clock, entropy, key_store, permissions, scheduler, logger")));
}

}  // namespace
}  // namespace tacet::platform
