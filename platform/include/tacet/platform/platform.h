// Platform: the set of services a device gives the core, injected when the agent opens.
#ifndef TACET_PLATFORM_PLATFORM_H_
#define TACET_PLATFORM_PLATFORM_H_

#include <string>

#include "base/status.h"
#include "tacet/platform/clock.h"
#include "tacet/platform/entropy.h"
#include "tacet/platform/key_store.h"
#include "tacet/platform/location.h"
#include "tacet/platform/logger.h"
#include "tacet/platform/microphone.h"
#include "tacet/platform/permissions.h"
#include "tacet/platform/scheduler.h"
#include "tacet/platform/transport.h"

namespace tacet::platform {

// Non-owning pointers: whoever fills the struct (the firmware, a binding, the emulator) owns the
// services and keeps them alive, and callable from any thread, for as long as the core uses
// them. microphone, location and transport are optional: a device without one simply has no
// voice, location or sync features. Everything else is required.
struct Platform {
  Clock* clock = nullptr;
  EntropySource* entropy = nullptr;
  KeyStore* key_store = nullptr;
  PermissionProvider* permissions = nullptr;
  Microphone* microphone = nullptr;      // optional
  LocationProvider* location = nullptr;  // optional
  Transport* transport = nullptr;        // optional
  Scheduler* scheduler = nullptr;
  Logger* logger = nullptr;

  // kFailedPrecondition naming every missing required service, e.g.
  // "platform: missing required service(s): key_store, scheduler". Thread-safe (reads only).
  Status Validate() const {
    std::string missing;
    auto need = [&missing](const void* service, const char* name) {
      if (service != nullptr) return;
      if (!missing.empty()) missing += ", ";
      missing += name;
    };
    need(clock, "clock");
    need(entropy, "entropy");
    need(key_store, "key_store");
    need(permissions, "permissions");
    need(scheduler, "scheduler");
    need(logger, "logger");
    if (missing.empty()) return OkStatus();
    return FailedPreconditionError("platform: missing required service(s): " + missing);
  }
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_PLATFORM_H_
