// PosixScheduler: one worker thread running tasks at monotonic deadlines.
#ifndef TACET_PLATFORM_POSIX_POSIX_SCHEDULER_H_
#define TACET_PLATFORM_POSIX_POSIX_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "posix/task_queue.h"
#include "tacet/platform/scheduler.h"

namespace tacet::platform {

// Starts its worker thread on construction. Tasks run on that thread, one at a time, ordered by
// deadline (std::chrono::steady_clock, i.e. CLOCK_MONOTONIC) and then by scheduling order.
// The destructor drops pending tasks, waits for a running task to finish and joins the worker;
// it must not be called from inside a task.
class PosixScheduler final : public Scheduler {
 public:
  PosixScheduler();
  ~PosixScheduler() override;
  PosixScheduler(const PosixScheduler&) = delete;
  PosixScheduler& operator=(const PosixScheduler&) = delete;

  TaskId ScheduleAfter(int64_t delay_ms, Task task) override;
  void Cancel(TaskId id) override;

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable wake_;
  TaskQueue<std::chrono::steady_clock::time_point> queue_;
  bool stopping_ = false;
  std::thread worker_;  // last: starts after the members it uses exist
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_POSIX_SCHEDULER_H_
