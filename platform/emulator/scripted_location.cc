#include "emulator/scripted_location.h"

#include <string>

namespace tacet::platform {

Status ScriptedLocation::PlayTrack(const std::vector<TrackPoint>& track) {
  int64_t previous = clock_->MonotonicMillis();
  for (size_t i = 0; i < track.size(); ++i) {
    const TrackPoint& p = track[i];
    if (p.at_ms < previous) {
      return InvalidArgumentError("scripted location: point " + std::to_string(i) + " at " +
                                  std::to_string(p.at_ms) + " ms is earlier than " +
                                  std::to_string(previous) + " ms (now or the point before)");
    }
    Status valid = ValidateLocationFix(LocationFix{p.latitude_deg, p.longitude_deg, p.accuracy_m, 0});
    if (!valid.ok()) return valid.WithContext("scripted location: point " + std::to_string(i));
    previous = p.at_ms;
  }
  for (const TrackPoint& p : track) {
    scheduler_->ScheduleAtNanos(p.at_ms * 1000000, [this, p] {
      LocationFix fix{p.latitude_deg, p.longitude_deg, p.accuracy_m, clock_->NowUnixMillis()};
      driver_.Push(fix).IgnoreError();  // validated above
    });
  }
  return OkStatus();
}

std::vector<TrackPoint> ScriptedLocation::CityWalk(int64_t start_ms) {
  // Place Bellecour, up the Presqu'île along rue de la République, to the Hôtel de Ville.
  static constexpr double kPath[][2] = {
      {45.75780, 4.83200}, {45.75865, 4.83295}, {45.75960, 4.83370}, {45.76055, 4.83420},
      {45.76150, 4.83475}, {45.76245, 4.83520}, {45.76340, 4.83560}, {45.76430, 4.83590},
      {45.76520, 4.83610}, {45.76610, 4.83620}, {45.76700, 4.83630}, {45.76750, 4.83640},
      {45.76780, 4.83600}, {45.76790, 4.83560}, {45.76795, 4.83500}, {45.76800, 4.83450},
      {45.76805, 4.83400}, {45.76810, 4.83370}, {45.76815, 4.83350}, {45.76820, 4.83330},
      {45.76825, 4.83320}};
  std::vector<TrackPoint> track;
  int64_t i = 0;
  for (const auto& ll : kPath) {
    track.push_back(TrackPoint{start_ms + i * 30000, ll[0], ll[1], 5.0 + static_cast<double>(i % 8)});
    ++i;
  }
  return track;
}

}  // namespace tacet::platform
