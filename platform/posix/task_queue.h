// TaskQueue: scheduled tasks ordered by due time, then by scheduling order, with cancel by id.
// The data structure behind PosixScheduler (steady-clock deadlines) and EmulatorScheduler
// (virtual nanoseconds). Not thread-safe: its owner locks around it.
#ifndef TACET_PLATFORM_POSIX_TASK_QUEUE_H_
#define TACET_PLATFORM_POSIX_TASK_QUEUE_H_

#include <map>
#include <unordered_map>
#include <utility>

#include "tacet/platform/scheduler.h"

namespace tacet::platform {

template <typename Time>
class TaskQueue {
 public:
  // Ids start at 1 and grow, so equal due times keep scheduling order.
  TaskId Push(Time due, Task task) {
    TaskId id = next_id_++;
    tasks_.emplace(Key{due, id}, std::move(task));
    due_.emplace(id, due);
    return id;
  }
  // Forgets a pending task; unknown ids are ignored.
  void Cancel(TaskId id) {
    auto it = due_.find(id);
    if (it == due_.end()) return;
    tasks_.erase(Key{it->second, id});
    due_.erase(it);
  }
  bool empty() const { return tasks_.empty(); }
  size_t size() const { return tasks_.size(); }
  // The earliest due time; only when !empty().
  Time next_due() const { return tasks_.begin()->first.first; }
  // Removes and returns the earliest task; only when !empty().
  Task PopFront() {
    auto front = tasks_.begin();
    Task task = std::move(front->second);
    due_.erase(front->first.second);
    tasks_.erase(front);
    return task;
  }
  // Drops every pending task; ids keep growing.
  void Clear() {
    tasks_.clear();
    due_.clear();
  }

 private:
  using Key = std::pair<Time, TaskId>;
  std::map<Key, Task> tasks_;
  std::unordered_map<TaskId, Time> due_;
  TaskId next_id_ = 1;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_TASK_QUEUE_H_
