// StaticPermissionProvider: OS permissions as the firmware declares them.
//
// Linux has no permission dialog: on a speaker the firmware decides (from its own settings
// screen, a companion app or a factory default) and tells Tacet through Set(). Until then every
// permission is kNotDetermined, which the core never treats as granted.
#ifndef TACET_PLATFORM_POSIX_STATIC_PERMISSIONS_H_
#define TACET_PLATFORM_POSIX_STATIC_PERMISSIONS_H_

#include <atomic>
#include <cstdint>
#include <mutex>

#include "tacet/platform/permissions.h"

namespace tacet::platform {

class StaticPermissionProvider final : public PermissionProvider {
 public:
  // PermissionProvider. Query and LocationPermissionPrecision are lock-free and never block.
  PermissionState Query(Permission permission) override;
  LocationPrecision LocationPermissionPrecision() override;
  void SetListener(PermissionListener* listener) override;

  // Changes a permission (precision only for a granted location; see ValidatePermissionState).
  // If anything changed, the listener is called on this thread before Set returns. Concurrent
  // Set calls are serialised, so listeners see changes in the order they took effect.
  Status Set(Permission permission, PermissionState state,
             LocationPrecision precision = LocationPrecision::kNone);

 private:
  // Microphone state, location state and location precision packed into one word, so a reader
  // never sees a granted location without its precision.
  static uint32_t Pack(PermissionState mic, PermissionState loc, LocationPrecision precision);

  std::mutex notify_mu_;  // serialises Set and guards listener_
  PermissionListener* listener_ = nullptr;
  std::atomic<uint32_t> packed_{Pack(PermissionState::kNotDetermined,
                                     PermissionState::kNotDetermined, LocationPrecision::kNone)};
};

inline uint32_t StaticPermissionProvider::Pack(PermissionState mic, PermissionState loc,
                                               LocationPrecision precision) {
  return static_cast<uint32_t>(mic) | static_cast<uint32_t>(loc) << 8 |
         static_cast<uint32_t>(precision) << 16;
}

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_STATIC_PERMISSIONS_H_
