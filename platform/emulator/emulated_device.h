// EmulatedDevice: a whole phone or speaker on the host, for tests and demos.
//
// It owns one of every platform service, all driven by one virtual timeline, so a test can
// script a scenario ("the user walks through town, mutes the speaker at 12 s, revokes location
// at 30 s, the network drops between 40 and 90 s") and replay it identically every time.
//
//   EmulatedDevice device;
//   ASSERT_OK(device.permissions().Set(Permission::kMicrophone, PermissionState::kGranted));
//   device.microphone().Play(AudioScript().Tone(440, 0.5, 1000));
//   auto agent = OpenAgent(device.platform());   // whatever consumes a Platform
//   device.AdvanceBy(1000);                      // 50 frames reach an open capture
#ifndef TACET_PLATFORM_EMULATOR_EMULATED_DEVICE_H_
#define TACET_PLATFORM_EMULATOR_EMULATED_DEVICE_H_

#include <cstdint>

#include "emulator/capturing_logger.h"
#include "emulator/emulator_entropy.h"
#include "emulator/emulator_scheduler.h"
#include "emulator/memory_key_store.h"
#include "emulator/scripted_location.h"
#include "emulator/scripted_microphone.h"
#include "emulator/scripted_permissions.h"
#include "emulator/scripted_transport.h"
#include "emulator/virtual_clock.h"
#include "tacet/platform/platform.h"

namespace tacet::platform {

struct EmulatedDeviceOptions {
  uint64_t entropy_seed = 1;
  int64_t start_unix_millis = kEmulatorEpochUnixMillis;
};

// The device and its services are used from one "emulator thread" that calls AdvanceBy; every
// callback (frames, fixes, permission and mute changes, transport answers, scheduled tasks) runs
// there, inside AdvanceBy, in virtual-time order and, at equal times, in the order it was
// scheduled. The services are still thread-safe, so code under test may call them from its own
// threads.
class EmulatedDevice {
 public:
  explicit EmulatedDevice(EmulatedDeviceOptions options = {});
  EmulatedDevice(const EmulatedDevice&) = delete;
  EmulatedDevice& operator=(const EmulatedDevice&) = delete;

  // Non-owning pointers to this device's services (all of them present), valid while the device
  // lives.
  Platform platform();

  // Moves virtual time forward by `ms`, running everything that falls due on the way. Must not
  // be called from inside a callback.
  void AdvanceBy(int64_t ms) { scheduler_.AdvanceBy(ms); }
  // Virtual monotonic time in milliseconds since the device was created.
  int64_t now_ms() { return clock_.MonotonicMillis(); }

  VirtualClock& clock() { return clock_; }
  EmulatorEntropy& entropy() { return entropy_; }
  MemoryKeyStore& key_store() { return key_store_; }
  ScriptedPermissions& permissions() { return permissions_; }
  ScriptedMicrophone& microphone() { return microphone_; }
  ScriptedLocation& location() { return location_; }
  ScriptedTransport& transport() { return transport_; }
  EmulatorScheduler& scheduler() { return scheduler_; }
  CapturingLogger& logger() { return logger_; }

 private:
  // Declaration order is construction order: the clock and timeline first.
  VirtualClock clock_;
  EmulatorScheduler scheduler_;
  EmulatorEntropy entropy_;
  MemoryKeyStore key_store_;
  ScriptedPermissions permissions_;
  ScriptedMicrophone microphone_;
  ScriptedLocation location_;
  ScriptedTransport transport_;
  CapturingLogger logger_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_EMULATED_DEVICE_H_
