// Coarsening a location fix to "approximate": a grid of cells about 2 km on a side.
//
// Android's approximate location is about 1.6 km; Tacet's cells are a little larger:
//   - latitude is cut into bands kApproximateCellDegrees (0.018°) high, about 2.0 km
//     (0.018° × 111.32 km/°); 180° / 0.018° = 10000 bands exactly, from -90° upwards;
//   - each band is cut into n = floor(360° / (0.018° / cos(band centre latitude))) cells of equal
//     width 360°/n, from -180° eastwards, so a cell is at least 2.0 km wide at its centre latitude
//     (and the few cells nearest the poles are much wider);
//   - the fix is reported at its cell's centre, with an accuracy of at least kApproximateAccuracyM.
// The cell depends only on which band and cell the raw fix falls in, so nothing of the raw
// position inside the cell survives: two fixes in the same cell snap to the same output.
#ifndef TACET_GATE_LOCATION_SNAP_H_
#define TACET_GATE_LOCATION_SNAP_H_

#include "tacet/platform/location.h"

namespace tacet::gate {

inline constexpr double kApproximateCellDegrees = 0.018;
// Reported accuracy floor for an approximate fix, metres (about one cell edge).
inline constexpr double kApproximateAccuracyM = 2000.0;

// The cell-centre version of `fix` (which must satisfy platform::ValidateLocationFix). Keeps the
// timestamp; accuracy becomes max(fix.accuracy_m, kApproximateAccuracyM). Pure, allocation-free,
// thread-safe.
platform::LocationFix SnapToApproximate(const platform::LocationFix& fix) noexcept;

// Great-circle distance in metres (haversine, mean Earth radius 6371.0088 km). Pure.
double DistanceMeters(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg) noexcept;

}  // namespace tacet::gate

#endif  // TACET_GATE_LOCATION_SNAP_H_
