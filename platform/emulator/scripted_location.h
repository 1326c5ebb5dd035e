// ScriptedLocation: a GPS track replayed on the emulator's timeline.
#ifndef TACET_PLATFORM_EMULATOR_SCRIPTED_LOCATION_H_
#define TACET_PLATFORM_EMULATOR_SCRIPTED_LOCATION_H_

#include <vector>

#include "emulator/emulator_scheduler.h"
#include "emulator/virtual_clock.h"
#include "posix/injected_location.h"

namespace tacet::platform {

// One scripted fix: where the device is at virtual time `at_ms`.
struct TrackPoint {
  int64_t at_ms = 0;
  double latitude_deg = 0;
  double longitude_deg = 0;
  double accuracy_m = 0;
};

// Each point becomes a fix at its time (stamped with the virtual wall clock), delivered on the
// emulator thread if the provider is started then, and lost otherwise, as a real receiver's
// output is when nobody listens. Fixes go out at full precision whatever Start requested: coarsening
// is the location gate's job.
class ScriptedLocation final : public LocationProvider {
 public:
  // Neither is owned; both must outlive the provider.
  ScriptedLocation(VirtualClock* clock, EmulatorScheduler* scheduler)
      : clock_(clock), scheduler_(scheduler) {}

  // LocationProvider; thread-safe.
  Status Start(LocationPrecision requested, LocationSink* sink) override {
    return driver_.Start(requested, sink);
  }
  void Stop() override { driver_.Stop(); }

  // Schedules every point. Times must not be in the past and must not decrease; coordinates
  // must be valid (ValidateLocationFix). Nothing is scheduled if any point is rejected.
  Status PlayTrack(const std::vector<TrackPoint>& track);
  // What the last Start asked for (kNone when stopped).
  LocationPrecision requested_precision() { return driver_.requested_precision(); }

  // A ten-minute walk through central Lyon (Bellecour to the Hôtel de Ville), one fix every 30 s
  // from `start_ms` on, accuracy 5..12 m.
  static std::vector<TrackPoint> CityWalk(int64_t start_ms = 0);

 private:
  VirtualClock* const clock_;
  EmulatorScheduler* const scheduler_;
  InjectedLocationProvider driver_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_SCRIPTED_LOCATION_H_
