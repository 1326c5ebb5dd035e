#include "posix/posix_scheduler.h"

#include <algorithm>

namespace tacet::platform {

PosixScheduler::PosixScheduler() : worker_([this] { Run(); }) {}

PosixScheduler::~PosixScheduler() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
    deadlines_.clear();
  }
  wake_.notify_one();
  worker_.join();
}

TaskId PosixScheduler::ScheduleAfter(int64_t delay_ms, Task task) {
  Deadline deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(std::max<int64_t>(delay_ms, 0));
  TaskId id;
  bool new_front;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    if (stopping_) return id;  // dropped, like any task pending at destruction
    auto it = queue_.emplace(Key{deadline, id}, std::move(task)).first;
    deadlines_.emplace(id, deadline);
    new_front = it == queue_.begin();
  }
  // Only a new earliest deadline changes how long the worker should sleep.
  if (new_front) wake_.notify_one();
  return id;
}

void PosixScheduler::Cancel(TaskId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  queue_.erase(Key{it->second, id});
  deadlines_.erase(it);
}

void PosixScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      wake_.wait(lock);
      continue;
    }
    auto front = queue_.begin();
    if (std::chrono::steady_clock::now() < front->first.first) {
      wake_.wait_until(lock, front->first.first);
      continue;  // re-examine: an earlier task may have arrived, or this one been cancelled
    }
    Task task = std::move(front->second);
    deadlines_.erase(front->first.second);
    queue_.erase(front);
    lock.unlock();
    task();
    task = nullptr;  // destroy captures outside the lock too
    lock.lock();
  }
}

}  // namespace tacet::platform
