// The slow path of a gate: a mutex for control operations (Acquire, session release, reacting to
// a listener) plus a "needs reconciling" flag, so a platform thread (audio, location) never waits
// for the mutex (CaptureGateCore::Drain runs the loop).
#ifndef TACET_GATE_INTERNAL_CONTROL_H_
#define TACET_GATE_INTERNAL_CONTROL_H_

#include <atomic>
#include <mutex>

namespace tacet::gate::internal {

// > 0 while this thread is inside a platform callback of a gate (a microphone frame or stop, a
// location fix). Such a thread holds the platform's delivery lock, and a control operation may be
// waiting for that lock (Microphone::Stop), so it must never block on a gate's control mutex.
inline thread_local int t_platform_callback_depth = 0;
// The slot whose sink this thread is calling right now (a frame or OnSessionEnded), so a sink
// that destroys its own session from inside the callback is not made to wait for itself.
inline thread_local const void* t_sink_slot = nullptr;

class PlatformCallbackScope {
 public:
  PlatformCallbackScope() noexcept { ++t_platform_callback_depth; }
  ~PlatformCallbackScope() { --t_platform_callback_depth; }
  PlatformCallbackScope(const PlatformCallbackScope&) = delete;
  PlatformCallbackScope& operator=(const PlatformCallbackScope&) = delete;
};

class SinkCallScope {
 public:
  explicit SinkCallScope(const void* slot) noexcept : previous_(t_sink_slot) { t_sink_slot = slot; }
  ~SinkCallScope() { t_sink_slot = previous_; }
  SinkCallScope(const SinkCallScope&) = delete;
  SinkCallScope& operator=(const SinkCallScope&) = delete;

 private:
  const void* previous_;
};

inline bool InPlatformCallback() noexcept { return t_platform_callback_depth > 0; }

class Control {
 public:
  std::mutex& mutex() noexcept { return mu_; }
  // Any thread, never blocks: some thread will run the reconciliation soon (see dirty()).
  void MarkDirty() noexcept { dirty_.store(true, std::memory_order_seq_cst); }
  // Under the mutex, at the start of a reconciliation.
  void ClearDirty() noexcept { dirty_.store(false, std::memory_order_seq_cst); }

  // Whether a reconciliation is owed. Every holder of the mutex checks it after unlocking and
  // reconciles again while it is set (CaptureGateCore::Drain): a platform thread never waits for
  // the mutex; it sets the flag, tries, and leaves the work to the holder if the mutex is busy.
  bool dirty() const noexcept { return dirty_.load(std::memory_order_seq_cst); }

 private:
  std::mutex mu_;
  std::atomic<bool> dirty_{false};
};

}  // namespace tacet::gate::internal

#endif  // TACET_GATE_INTERNAL_CONTROL_H_
