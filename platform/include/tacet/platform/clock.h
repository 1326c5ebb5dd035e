// Clock: wall time for records and receipts, monotonic time for durations and deadlines.
#ifndef TACET_PLATFORM_CLOCK_H_
#define TACET_PLATFORM_CLOCK_H_

#include <cstdint>

namespace tacet::platform {

// Implementations must be safe to call from any thread and must not block.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (UTC). May jump when the user or network changes the time.
  virtual int64_t NowUnixMillis() = 0;
  // Nanoseconds from an arbitrary origin; never goes backwards.
  virtual int64_t MonotonicNanos() = 0;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_CLOCK_H_
