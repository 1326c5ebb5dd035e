// EmulatorScheduler: the emulated device's timeline.
//
// Every scripted event (microphone frames, GPS fixes, permission flips, mute toggles, transport
// answers) and every task the core schedules is an entry in this one queue, ordered by virtual
// time and then by scheduling order. Nothing happens until the test advances time, so a run is
// fully deterministic.
#ifndef TACET_PLATFORM_EMULATOR_EMULATOR_SCHEDULER_H_
#define TACET_PLATFORM_EMULATOR_EMULATOR_SCHEDULER_H_

#include <mutex>

#include "emulator/virtual_clock.h"
#include "posix/task_queue.h"
#include "tacet/platform/scheduler.h"

namespace tacet::platform {

class EmulatorScheduler final : public Scheduler {
 public:
  // `clock` is not owned and must outlive the scheduler.
  explicit EmulatorScheduler(VirtualClock* clock) : clock_(clock) {}

  // Scheduler: safe from any thread, including from inside a task. Tasks run on the thread that
  // calls AdvanceBy / RunUntil (the emulator thread).
  TaskId ScheduleAfter(int64_t delay_ms, Task task) override;
  void Cancel(TaskId id) override;

  // Schedules at an absolute monotonic time (clamped to now).
  TaskId ScheduleAtNanos(int64_t monotonic_ns, Task task);

  // Runs, in order, every task due at or before `target_ns`, setting the clock to each task's
  // time before running it (tasks scheduled meanwhile for a time <= target also run), then sets
  // the clock to `target_ns`. Call from one thread, never from inside a task.
  void RunUntil(int64_t target_ns);
  void AdvanceBy(int64_t ms) { RunUntil(clock_->MonotonicNanos() + (ms > 0 ? ms : 0) * 1000000); }
  // Tasks waiting to run.
  size_t pending();

 private:
  VirtualClock* const clock_;
  std::mutex mu_;
  TaskQueue<int64_t> queue_;  // due times in virtual monotonic ns
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_EMULATOR_SCHEDULER_H_
