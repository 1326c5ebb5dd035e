// OS permissions: what the operating system (or, on a speaker, the firmware) currently allows.
//
// The platform reports; the core decides. A granted OS permission is necessary but never
// sufficient for capture: the user's consent in the ledger must also allow it.
#ifndef TACET_PLATFORM_PERMISSIONS_H_
#define TACET_PLATFORM_PERMISSIONS_H_

#include <cstdint>
#include <string>

#include "base/enum_names.h"
#include "base/status.h"

namespace tacet::platform {

enum class Permission : uint8_t { kMicrophone, kLocation };

// kNotDetermined: the user was never asked (or the answer was lost). Never treated as granted.
enum class PermissionState : uint8_t { kNotDetermined, kDenied, kGranted };

// How precise a location the OS lets the app see. kNone unless location is granted.
enum class LocationPrecision : uint8_t { kNone, kApproximate, kPrecise };

// Names for messages and logs ("microphone", "not determined", "approximate"). Static storage.
inline const char* PermissionName(Permission p) {
  return p == Permission::kMicrophone ? "microphone" : "location";
}
inline const char* PermissionStateName(PermissionState s) {
  switch (s) {
    case PermissionState::kNotDetermined: return "not determined";
    case PermissionState::kDenied: return "denied";
    case PermissionState::kGranted: return "granted";
  }
  return "invalid";
}
// Stable: written into consent receipts, the export and the access log, and parsed back from the
// latter (gate::ParseLocationPrecision).
inline constexpr EnumName<LocationPrecision> kLocationPrecisionNames[] = {
    {LocationPrecision::kNone, "none"},
    {LocationPrecision::kApproximate, "approximate"},
    {LocationPrecision::kPrecise, "precise"},
};
static_assert(EnumNamesAreUnique(kLocationPrecisionNames));
inline const char* LocationPrecisionName(LocationPrecision p) {
  return NameOf(kLocationPrecisionNames, p, "invalid");
}

// Told when the OS state of a permission changes (including a change of location precision
// while location stays granted). Called on the provider's notification thread, documented by
// each implementation (the thread that changed the state on posix and in the emulator, the main
// thread on Android and iOS). Must not block and must not call SetListener(); it may call
// Query() and LocationPermissionPrecision().
class PermissionListener {
 public:
  virtual ~PermissionListener() = default;
  virtual void OnPermissionChanged(Permission permission, PermissionState state) = 0;
};

// Query() and LocationPermissionPrecision() must be safe from any thread and must not block
// (they are read on the capture path).
class PermissionProvider {
 public:
  virtual ~PermissionProvider() = default;
  virtual PermissionState Query(Permission permission) = 0;
  // kNone unless Query(kLocation) is kGranted.
  virtual LocationPrecision LocationPermissionPrecision() = 0;
  // Registers the single listener (nullptr removes it); the listener is not owned and must
  // outlive its registration. Once SetListener returns, the previous listener is not called
  // again. Safe from any thread except from inside the listener itself.
  virtual void SetListener(PermissionListener* listener) = 0;
};

// The consistency rule every provider keeps: a granted location has a precision (approximate or
// precise); everything else has kNone. Returns kInvalidArgument naming the contradiction.
inline Status ValidatePermissionState(Permission permission, PermissionState state,
                                      LocationPrecision precision) {
  bool needs_precision = permission == Permission::kLocation && state == PermissionState::kGranted;
  if (needs_precision == (precision != LocationPrecision::kNone)) return OkStatus();
  return InvalidArgumentError(
      std::string("permissions: ") + PermissionName(permission) + " " +
      PermissionStateName(state) + " cannot have location precision '" +
      LocationPrecisionName(precision) + "'" +
      (needs_precision ? "; a granted location is approximate or precise" : "; expected 'none'"));
}

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_PERMISSIONS_H_
