// Scheduler: runs the core's deferred work (retries, expiry sweeps, debounced writes).
#ifndef TACET_PLATFORM_SCHEDULER_H_
#define TACET_PLATFORM_SCHEDULER_H_

#include <cstdint>
#include <functional>

namespace tacet::platform {

// Identifies a scheduled task. Never 0, never reused within a scheduler's lifetime.
using TaskId = uint64_t;
using Task = std::function<void()>;

// ScheduleAfter and Cancel are safe from any thread, including from inside a task. Tasks run one
// at a time on the scheduler's thread (posix: its worker thread; emulator: the AdvanceBy thread),
// in deadline order, ties in scheduling order. A task should be short and must not block for
// long: it delays every task behind it.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Runs `task` once, no earlier than `delay_ms` (negative counts as 0) from now on the
  // monotonic clock. The scheduler owns the task until it has run or been cancelled. Tasks still
  // pending when the scheduler is destroyed are dropped without running.
  virtual TaskId ScheduleAfter(int64_t delay_ms, Task task) = 0;
  // The task will not start after Cancel returns. A task that is already running is not
  // interrupted or waited for. Unknown, finished or already cancelled ids are ignored.
  virtual void Cancel(TaskId id) = 0;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_SCHEDULER_H_
