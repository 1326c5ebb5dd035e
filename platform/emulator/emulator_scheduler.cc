#include "emulator/emulator_scheduler.h"

#include <algorithm>

namespace tacet::platform {

TaskId EmulatorScheduler::ScheduleAfter(int64_t delay_ms, Task task) {
  return ScheduleAtNanos(clock_->MonotonicNanos() + std::max<int64_t>(delay_ms, 0) * 1000000,
                         std::move(task));
}

TaskId EmulatorScheduler::ScheduleAtNanos(int64_t monotonic_ns, Task task) {
  int64_t due = std::max(monotonic_ns, clock_->MonotonicNanos());
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.Push(due, std::move(task));
}

void EmulatorScheduler::Cancel(TaskId id) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.Cancel(id);
}

void EmulatorScheduler::RunUntil(int64_t target_ns) {
  for (;;) {
    Task task;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty() || queue_.next_due() > target_ns) break;
      clock_->AdvanceToNanos(queue_.next_due());
      task = queue_.PopFront();
    }
    task();
  }
  clock_->AdvanceToNanos(target_ns);
}

size_t EmulatorScheduler::pending() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace tacet::platform
