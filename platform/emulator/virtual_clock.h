// VirtualClock: the emulator's time, which moves only when a test moves it.
#ifndef TACET_PLATFORM_EMULATOR_VIRTUAL_CLOCK_H_
#define TACET_PLATFORM_EMULATOR_VIRTUAL_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "tacet/platform/clock.h"

namespace tacet::platform {

// 2024-01-01T00:00:00Z: the emulator's default wall-clock start.
inline constexpr int64_t kEmulatorEpochUnixMillis = 1704067200000;

// Monotonic time starts at 0; wall time starts at `start_unix_millis` and moves with it unless
// SetWallClock() makes it jump (as when the user or the network changes the time). Reads are
// lock-free and safe from any thread; the Advance and Set calls belong to the emulator thread.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(int64_t start_unix_millis = kEmulatorEpochUnixMillis)
      : wall_offset_ms_(start_unix_millis) {}

  int64_t NowUnixMillis() override {
    return wall_offset_ms_.load(std::memory_order_acquire) + MonotonicNanos() / 1000000;
  }
  int64_t MonotonicNanos() override { return mono_ns_.load(std::memory_order_acquire); }
  int64_t MonotonicMillis() { return MonotonicNanos() / 1000000; }

  // Moves both clocks forward by `ms` (negative counts as 0). Runs no scheduled work: use
  // EmulatedDevice::AdvanceBy for that.
  void AdvanceBy(int64_t ms) { AdvanceToNanos(MonotonicNanos() + (ms > 0 ? ms : 0) * 1000000); }
  // Moves monotonic time to `ns` if that is later; never backwards.
  void AdvanceToNanos(int64_t ns) {
    int64_t cur = mono_ns_.load(std::memory_order_relaxed);
    while (ns > cur && !mono_ns_.compare_exchange_weak(cur, ns, std::memory_order_acq_rel)) {
    }
  }
  // Makes wall time read `unix_millis` now, without touching monotonic time.
  void SetWallClock(int64_t unix_millis) {
    wall_offset_ms_.store(unix_millis - MonotonicNanos() / 1000000, std::memory_order_release);
  }

 private:
  std::atomic<int64_t> mono_ns_{0};
  std::atomic<int64_t> wall_offset_ms_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_VIRTUAL_CLOCK_H_
