// Location provider: fixes from the GNSS receiver or the OS location service.
//
// The provider forwards what the hardware reports; the location gate decides what precision a
// caller may see and coarsens fixes itself, whatever precision was requested here.
#ifndef TACET_PLATFORM_LOCATION_H_
#define TACET_PLATFORM_LOCATION_H_

#include <cmath>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "tacet/platform/permissions.h"

namespace tacet::platform {

struct LocationFix {
  double latitude_deg = 0;   // WGS 84, -90 .. 90
  double longitude_deg = 0;  // WGS 84, -180 .. 180
  double accuracy_m = 0;     // radius of 68% confidence, >= 0
  int64_t unix_millis = 0;   // when the fix was taken (wall clock)
};

// Rejects coordinates out of range, NaN or infinite values and negative accuracy.
inline Status ValidateLocationFix(const LocationFix& f) {
  bool ok = std::isfinite(f.latitude_deg) && std::isfinite(f.longitude_deg) &&
            std::isfinite(f.accuracy_m) && f.latitude_deg >= -90 && f.latitude_deg <= 90 &&
            f.longitude_deg >= -180 && f.longitude_deg <= 180 && f.accuracy_m >= 0;
  if (ok) return OkStatus();
  return InvalidArgumentError("location: invalid fix (latitude " + std::to_string(f.latitude_deg) +
                              ", longitude " + std::to_string(f.longitude_deg) + ", accuracy " +
                              std::to_string(f.accuracy_m) + " m)");
}

// Receives fixes on the provider's thread (posix: the thread calling
// InjectedLocationProvider::Push; emulator: the AdvanceBy thread). Must not block. Not owned by
// the provider.
class LocationSink {
 public:
  virtual ~LocationSink() = default;
  virtual void OnFix(const LocationFix& fix) = 0;
};

// All calls are safe from any thread. At most one subscription is open at a time.
class LocationProvider {
 public:
  virtual ~LocationProvider() = default;
  // Starts delivering fixes to `sink` (must stay valid until Stop() returns). `requested` is a
  // hint for the OS (power, radio use) and must be kApproximate or kPrecise (kInvalidArgument
  // otherwise); kFailedPrecondition when already started.
  virtual Status Start(LocationPrecision requested, LocationSink* sink) = 0;
  // Stops delivery: once Stop returns, the sink receives no further call. Idempotent. May be
  // called from inside OnFix.
  virtual void Stop() = 0;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_LOCATION_H_
