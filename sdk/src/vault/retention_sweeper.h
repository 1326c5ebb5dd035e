// RetentionSweeper: runs Vault::Sweep at start-up and then periodically on the platform scheduler,
// so nothing outlives its category's retention period by more than one interval.
#ifndef TACET_VAULT_RETENTION_SWEEPER_H_
#define TACET_VAULT_RETENTION_SWEEPER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "base/status.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/scheduler.h"
#include "vault/vault.h"

namespace tacet::vault {

// Six hours: a value lives at most its retention period plus this.
inline constexpr int64_t kDefaultSweepIntervalMs = 6 * 60 * 60 * 1000;

class RetentionSweeper {
 public:
  // Called on the scheduler's thread after each sweep with its outcome; must not block long.
  using ResultCallback = std::function<void(const StatusOr<SweepResult>&)>;

  // Keeps non-owning references to vault, scheduler and clock, which must outlive the sweeper.
  // The sweeps run Vault::Sweep on the SCHEDULER'S THREAD: the vault's owner must either use the
  // vault only from that thread or serialise with it (the agent runs its storage work on the
  // scheduler). Does not start until Start().
  RetentionSweeper(Vault& vault, platform::Scheduler& scheduler, platform::Clock& clock,
                   int64_t interval_ms = kDefaultSweepIntervalMs, ResultCallback on_result = {});
  // Stops (see Stop).
  ~RetentionSweeper();
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // Schedules a sweep now (delay 0) and every interval_ms after each one. Calling Start twice is
  // a no-op. Thread-safe.
  void Start();
  // No sweep starts after Stop returns; a sweep in progress is waited for. Thread-safe, but not
  // from inside the result callback.
  void Stop();

 private:
  struct State;
  static void Run(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_;
};

}  // namespace tacet::vault

#endif  // TACET_VAULT_RETENTION_SWEEPER_H_
