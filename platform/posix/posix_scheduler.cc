#include "posix/posix_scheduler.h"

#include <algorithm>

namespace tacet::platform {

PosixScheduler::PosixScheduler() : worker_([this] { Run(); }) {}

PosixScheduler::~PosixScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.Clear();
  }
  wake_.notify_one();
  worker_.join();
}

TaskId PosixScheduler::ScheduleAfter(int64_t delay_ms, Task task) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(std::max<int64_t>(delay_ms, 0));
  TaskId id;
  bool new_front;
  {
    std::lock_guard<std::mutex> lock(mu_);
    new_front = queue_.empty() || deadline < queue_.next_due();
    id = queue_.Push(deadline, std::move(task));
    if (stopping_) queue_.Cancel(id);  // dropped, like any task pending at destruction
  }
  // Only a new earliest deadline changes how long the worker should sleep.
  if (new_front) wake_.notify_one();
  return id;
}

void PosixScheduler::Cancel(TaskId id) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.Cancel(id);
}

void PosixScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto due = queue_.next_due();
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;  // re-examine: an earlier task may have arrived, or this one been cancelled
    }
    Task task = queue_.PopFront();
    lock.unlock();
    task();
    task = nullptr;  // destroy captures outside the lock too
    lock.lock();
  }
}

}  // namespace tacet::platform
