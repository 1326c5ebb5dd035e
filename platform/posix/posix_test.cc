#include <array>

#include "posix/posix_clock.h"
#include "posix/posix_entropy.h"
#include "testing/status_matchers.h"

namespace tacet::platform {
namespace {

TEST(PosixEntropyTest, FillsDistinctBuffers) {
  PosixEntropy e;
  std::array<uint8_t, 64> a{}, b{};
  ASSERT_OK(e.Fill(a.data(), a.size()));
  ASSERT_OK(e.Fill(b.data(), b.size()));
  // Two 512-bit draws colliding, or one being all zero, means the source is broken.
  EXPECT_NE(a, b);
  EXPECT_NE(a, (std::array<uint8_t, 64>{}));
}

TEST(PosixClockTest, MonotonicNeverGoesBack) {
  PosixClock c;
  int64_t prev = c.MonotonicNanos();
  for (int i = 0; i < 1000; ++i) {
    int64_t now = c.MonotonicNanos();
    EXPECT_GE(now, prev);
    prev = now;
  }
  // After 2020-01-01 and before 2100-01-01.
  EXPECT_GT(c.NowUnixMillis(), 1577836800000LL);
  EXPECT_LT(c.NowUnixMillis(), 4102444800000LL);
}

}  // namespace
}  // namespace tacet::platform
