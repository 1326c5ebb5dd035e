#include "posix/static_permissions.h"

namespace tacet::platform {

PermissionState StaticPermissionProvider::Query(Permission permission) {
  uint32_t packed = packed_.load(std::memory_order_acquire);
  int shift = permission == Permission::kMicrophone ? 0 : 8;
  return static_cast<PermissionState>((packed >> shift) & 0xff);
}

LocationPrecision StaticPermissionProvider::LocationPermissionPrecision() {
  return static_cast<LocationPrecision>((packed_.load(std::memory_order_acquire) >> 16) & 0xff);
}

void StaticPermissionProvider::SetListener(PermissionListener* listener) {
  std::lock_guard<std::mutex> lock(notify_mu_);
  listener_ = listener;
}

Status StaticPermissionProvider::Set(Permission permission, PermissionState state,
                                     LocationPrecision precision) {
  TACET_RETURN_IF_ERROR(ValidatePermissionState(permission, state, precision));
  std::lock_guard<std::mutex> lock(notify_mu_);
  PermissionState mic = Query(Permission::kMicrophone);
  PermissionState loc = Query(Permission::kLocation);
  LocationPrecision loc_precision = LocationPermissionPrecision();
  if (permission == Permission::kMicrophone) {
    mic = state;
  } else {
    loc = state;
    loc_precision = precision;
  }
  uint32_t next = Pack(mic, loc, loc_precision);
  if (next == packed_.load(std::memory_order_relaxed)) return OkStatus();
  packed_.store(next, std::memory_order_release);
  if (listener_ != nullptr) listener_->OnPermissionChanged(permission, state);
  return OkStatus();
}

}  // namespace tacet::platform
