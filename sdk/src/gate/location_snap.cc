#include "gate/location_snap.h"

#include <algorithm>
#include <cmath>

namespace tacet::gate {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr int64_t kLatitudeBands = 10000;  // 180 / kApproximateCellDegrees

}  // namespace

platform::LocationFix SnapToApproximate(const platform::LocationFix& fix) noexcept {
  int64_t band = static_cast<int64_t>(std::floor((fix.latitude_deg + 90.0) / kApproximateCellDegrees));
  band = std::clamp<int64_t>(band, 0, kLatitudeBands - 1);  // +90° itself belongs to the top band
  double centre_lat = -90.0 + (static_cast<double>(band) + 0.5) * kApproximateCellDegrees;

  // Cells per band: as many as fit while each stays at least one cell edge wide at the centre
  // latitude (cos > 0 there: band centres are never at a pole).
  double min_width = kApproximateCellDegrees / std::cos(centre_lat * kDegToRad);
  int64_t cells = std::max<int64_t>(1, static_cast<int64_t>(std::floor(360.0 / min_width)));
  double width = 360.0 / static_cast<double>(cells);
  int64_t cell = static_cast<int64_t>(std::floor((fix.longitude_deg + 180.0) / width));
  cell = std::clamp<int64_t>(cell, 0, cells - 1);  // +180° is the same meridian as -180°
  double centre_lon = -180.0 + (static_cast<double>(cell) + 0.5) * width;

  platform::LocationFix out;
  out.latitude_deg = centre_lat;
  out.longitude_deg = centre_lon;
  out.accuracy_m = std::max(fix.accuracy_m, kApproximateAccuracyM);
  out.unix_millis = fix.unix_millis;
  return out;
}

double DistanceMeters(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) noexcept {
  constexpr double kEarthRadiusM = 6371008.8;
  double dlat = (lat2_deg - lat1_deg) * kDegToRad;
  double dlon = (lon2_deg - lon1_deg) * kDegToRad;
  double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
             std::cos(lat1_deg * kDegToRad) * std::cos(lat2_deg * kDegToRad) *
                 std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(a)));
}

}  // namespace tacet::gate
