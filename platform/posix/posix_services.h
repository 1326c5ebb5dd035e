// PosixServices: the platform services an Agent runs on in a Linux process that injects none of
// its own (tacetctl, benchmarks, multi-process tests): the wall clock, getrandom(2), one scheduler
// thread, fixed OS permissions (no capture) and stderr logging. The key store is left null, so the
// Agent opens its own FileKeyStore (AgentOptions::key_store_dir).
//
// Declare it before the Agent that uses it, so that the Agent is destroyed (closed) first.
#ifndef TACET_PLATFORM_POSIX_POSIX_SERVICES_H_
#define TACET_PLATFORM_POSIX_POSIX_SERVICES_H_

#include "posix/posix_clock.h"
#include "posix/posix_entropy.h"
#include "posix/posix_scheduler.h"
#include "posix/static_permissions.h"
#include "posix/stderr_logger.h"
#include "tacet/platform/platform.h"

namespace tacet::platform {

struct PosixServices {
  explicit PosixServices(LogLevel level = LogLevel::kWarning) : logger(level) {}

  // The table of non-owning pointers to the members; valid while this object lives.
  Platform platform() {
    Platform p;
    p.clock = &clock;
    p.entropy = &entropy;
    p.permissions = &permissions;
    p.scheduler = &scheduler;
    p.logger = &logger;
    return p;
  }

  PosixClock clock;
  PosixEntropy entropy;
  PosixScheduler scheduler;
  StaticPermissionProvider permissions;
  StderrLogger logger;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_POSIX_SERVICES_H_
