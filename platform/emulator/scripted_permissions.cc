#include "emulator/scripted_permissions.h"

#include <string>

namespace tacet::platform {

Status ScriptedPermissions::SetAt(int64_t at_ms, Permission permission, PermissionState state,
                                  LocationPrecision precision) {
  TACET_RETURN_IF_ERROR(ValidatePermissionState(permission, state, precision));
  if (at_ms < clock_->MonotonicMillis()) {
    return InvalidArgumentError("scripted permissions: change at " + std::to_string(at_ms) +
                                " ms is in the past (now " +
                                std::to_string(clock_->MonotonicMillis()) + " ms)");
  }
  scheduler_->ScheduleAtNanos(at_ms * 1000000, [this, permission, state, precision] {
    state_.Set(permission, state, precision).IgnoreError();  // validated above
  });
  return OkStatus();
}

}  // namespace tacet::platform
