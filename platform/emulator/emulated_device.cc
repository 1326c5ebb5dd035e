#include "emulator/emulated_device.h"

namespace tacet::platform {

EmulatedDevice::EmulatedDevice(EmulatedDeviceOptions options)
    : clock_(options.start_unix_millis),
      scheduler_(&clock_),
      entropy_(options.entropy_seed),
      permissions_(&clock_, &scheduler_),
      microphone_(&clock_, &scheduler_),
      location_(&clock_, &scheduler_),
      transport_(&clock_, &scheduler_) {}

Platform EmulatedDevice::platform() {
  Platform p;
  p.clock = &clock_;
  p.entropy = &entropy_;
  p.key_store = &key_store_;
  p.permissions = &permissions_;
  p.microphone = &microphone_;
  p.location = &location_;
  p.transport = &transport_;
  p.scheduler = &scheduler_;
  p.logger = &logger_;
  return p;
}

}  // namespace tacet::platform
