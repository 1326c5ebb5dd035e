// Clock backed by clock_gettime(2): CLOCK_REALTIME for wall time, CLOCK_MONOTONIC for durations.
#ifndef TACET_PLATFORM_POSIX_POSIX_CLOCK_H_
#define TACET_PLATFORM_POSIX_POSIX_CLOCK_H_

#include "tacet/platform/clock.h"

namespace tacet::platform {

class PosixClock final : public Clock {
 public:
  int64_t NowUnixMillis() override;
  int64_t MonotonicNanos() override;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_POSIX_CLOCK_H_
