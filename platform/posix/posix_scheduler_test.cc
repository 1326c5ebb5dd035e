#include "posix/posix_scheduler.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

namespace tacet::platform {
namespace {

// Collects task labels and lets the test wait until a number of them have run.
class Recorder {
 public:
  Task Add(int label) {
    return [this, label] {
      std::lock_guard<std::mutex> lock(mu_);
      order_.push_back(label);
      cv_.notify_all();
    };
  }
  std::vector<int> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [&] { return order_.size() >= n; }));
    return order_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int> order_;
};

TEST(PosixSchedulerTest, RunsInDeadlineOrderThenSchedulingOrder) {
  PosixScheduler scheduler;
  Recorder rec;
  // Hold the worker so every task is queued before any deadline is examined.
  std::mutex gate;
  gate.lock();
  scheduler.ScheduleAfter(0, [&gate] { std::lock_guard<std::mutex> l(gate); });
  scheduler.ScheduleAfter(300, rec.Add(3));
  scheduler.ScheduleAfter(100, rec.Add(1));
  scheduler.ScheduleAfter(200, rec.Add(2));
  scheduler.ScheduleAfter(100, rec.Add(11));  // same delay as 1, scheduled later
  scheduler.ScheduleAfter(-5, rec.Add(0));   // negative delay counts as 0
  gate.unlock();
  EXPECT_EQ(rec.WaitFor(5), (std::vector<int>{0, 1, 11, 2, 3}));
}

TEST(PosixSchedulerTest, CancelledTaskNeverRuns) {
  PosixScheduler scheduler;
  Recorder rec;
  TaskId doomed = scheduler.ScheduleAfter(200, rec.Add(99));
  TaskId kept = scheduler.ScheduleAfter(300, rec.Add(1));
  EXPECT_NE(doomed, kept);
  EXPECT_NE(doomed, 0u);
  scheduler.Cancel(doomed);
  scheduler.Cancel(doomed);  // twice is harmless
  scheduler.Cancel(12345);   // unknown too
  scheduler.ScheduleAfter(400, rec.Add(2));
  EXPECT_EQ(rec.WaitFor(2), (std::vector<int>{1, 2}));
}

TEST(PosixSchedulerTest, TasksRunOnOneWorkerThreadAndMayScheduleMore) {
  PosixScheduler scheduler;
  Recorder rec;
  std::atomic<std::thread::id> first{};
  std::atomic<bool> same_thread{false};
  scheduler.ScheduleAfter(0, [&] {
    first = std::this_thread::get_id();
    scheduler.ScheduleAfter(1, [&] {
      same_thread = std::this_thread::get_id() == first.load();
      rec.Add(2)();
    });
    rec.Add(1)();
  });
  EXPECT_EQ(rec.WaitFor(2), (std::vector<int>{1, 2}));
  EXPECT_TRUE(same_thread);
  EXPECT_NE(first.load(), std::this_thread::get_id());
}

TEST(PosixSchedulerTest, DestructorDropsPendingTasks) {
  std::atomic<int> ran{0};
  {
    PosixScheduler scheduler;
    scheduler.ScheduleAfter(60 * 1000, [&] { ran++; });
  }
  EXPECT_EQ(ran.load(), 0);
}

}  // namespace
}  // namespace tacet::platform
