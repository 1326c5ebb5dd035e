// ScriptedPermissions: OS permission answers and changes on the emulator's timeline.
#ifndef TACET_PLATFORM_EMULATOR_SCRIPTED_PERMISSIONS_H_
#define TACET_PLATFORM_EMULATOR_SCRIPTED_PERMISSIONS_H_

#include "emulator/emulator_scheduler.h"
#include "emulator/virtual_clock.h"
#include "posix/static_permissions.h"

namespace tacet::platform {

// Everything starts kNotDetermined. A change made with Set() notifies the listener at once on
// the calling thread; one made with SetAt() notifies it on the emulator thread, inside the
// AdvanceBy that reaches `at_ms`.
class ScriptedPermissions final : public PermissionProvider {
 public:
  // Neither is owned; both must outlive the provider.
  ScriptedPermissions(VirtualClock* clock, EmulatorScheduler* scheduler)
      : clock_(clock), scheduler_(scheduler) {}

  // PermissionProvider; thread-safe, Query never blocks.
  PermissionState Query(Permission permission) override { return state_.Query(permission); }
  LocationPrecision LocationPermissionPrecision() override {
    return state_.LocationPermissionPrecision();
  }
  void SetListener(PermissionListener* listener) override { state_.SetListener(listener); }

  // Changes a permission now (see ValidatePermissionState).
  Status Set(Permission permission, PermissionState state,
             LocationPrecision precision = LocationPrecision::kNone) {
    return state_.Set(permission, state, precision);
  }
  // Schedules the change for virtual time `at_ms` (not in the past); validated now.
  Status SetAt(int64_t at_ms, Permission permission, PermissionState state,
               LocationPrecision precision = LocationPrecision::kNone);

 private:
  VirtualClock* const clock_;
  EmulatorScheduler* const scheduler_;
  StaticPermissionProvider state_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_SCRIPTED_PERMISSIONS_H_
