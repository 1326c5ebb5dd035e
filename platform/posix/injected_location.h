// InjectedLocationProvider: a LocationProvider fed by the firmware's own GNSS driver (or a
// location configured by the user at setup, for a speaker that never moves).
#ifndef TACET_PLATFORM_POSIX_INJECTED_LOCATION_H_
#define TACET_PLATFORM_POSIX_INJECTED_LOCATION_H_

#include <mutex>

#include "tacet/platform/location.h"

namespace tacet::platform {

class InjectedLocationProvider final : public LocationProvider {
 public:
  // LocationProvider. Thread-safe. The sink runs on the thread calling Push, under an internal
  // recursive lock, so Stop() promises that no call follows it.
  Status Start(LocationPrecision requested, LocationSink* sink) override;
  void Stop() override;

  // --- the firmware side ---

  // Delivers `fix` to the sink if started; otherwise drops it and returns OK. kInvalidArgument
  // for a fix out of range (ValidateLocationFix). Fixes are passed on as they are: the location
  // gate, not the provider, coarsens them.
  Status Push(const LocationFix& fix);
  // What the core asked for in Start (kNone when stopped); a driver may use it to save power.
  LocationPrecision requested_precision();

 private:
  std::recursive_mutex mu_;
  LocationSink* sink_ = nullptr;
  LocationPrecision requested_ = LocationPrecision::kNone;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_INJECTED_LOCATION_H_
