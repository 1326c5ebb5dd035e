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
  TaskId id = next_id_++;
  queue_.emplace(Key{due, id}, std::move(task));
  due_.emplace(id, due);
  return id;
}

void EmulatorScheduler::Cancel(TaskId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = due_.find(id);
  if (it == due_.end()) return;
  queue_.erase(Key{it->second, id});
  due_.erase(it);
}

void EmulatorScheduler::RunUntil(int64_t target_ns) {
  for (;;) {
    Task task;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty() || queue_.begin()->first.first > target_ns) break;
      auto front = queue_.begin();
      clock_->AdvanceToNanos(front->first.first);
      task = std::move(front->second);
      due_.erase(front->first.second);
      queue_.erase(front);
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
