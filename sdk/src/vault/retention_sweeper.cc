#include "vault/retention_sweeper.h"

#include <mutex>
#include <utility>

namespace tacet::vault {

// Shared with the scheduled tasks, so a task that starts while the sweeper is being destroyed
// finds `stopped` set instead of a dangling `this`.
struct RetentionSweeper::State {
  Vault* vault;
  platform::Scheduler* scheduler;
  platform::Clock* clock;
  int64_t interval_ms;
  ResultCallback on_result;
  std::mutex mu;  // held for a whole sweep; guards the fields below
  bool started = false;
  bool stopped = false;
  platform::TaskId pending = 0;
};

RetentionSweeper::RetentionSweeper(Vault& vault, platform::Scheduler& scheduler,
                                   platform::Clock& clock, int64_t interval_ms,
                                   ResultCallback on_result)
    : state_(std::make_shared<State>()) {
  state_->vault = &vault;
  state_->scheduler = &scheduler;
  state_->clock = &clock;
  state_->interval_ms = interval_ms > 0 ? interval_ms : kDefaultSweepIntervalMs;
  state_->on_result = std::move(on_result);
}

RetentionSweeper::~RetentionSweeper() { Stop(); }

void RetentionSweeper::Start() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->started || state_->stopped) return;
  state_->started = true;
  std::shared_ptr<State> state = state_;
  state_->pending = state_->scheduler->ScheduleAfter(0, [state] { Run(state); });
}

void RetentionSweeper::Stop() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stopped = true;
  if (state_->pending != 0) state_->scheduler->Cancel(state_->pending);
  state_->pending = 0;
}

void RetentionSweeper::Run(const std::shared_ptr<State>& state) {
  std::lock_guard<std::mutex> lock(state->mu);
  if (state->stopped) return;
  StatusOr<SweepResult> result = state->vault->Sweep(state->clock->NowUnixMillis());
  if (state->on_result) state->on_result(result);
  std::shared_ptr<State> next = state;
  state->pending = state->scheduler->ScheduleAfter(state->interval_ms, [next] { Run(next); });
}

}  // namespace tacet::vault
