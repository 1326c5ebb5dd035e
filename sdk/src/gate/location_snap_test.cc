// The approximate-location grid.
#include "gate/location_snap.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tacet::gate {
namespace {

using platform::LocationFix;

LocationFix Fix(double lat, double lon, double acc = 5) {
  LocationFix f;
  f.latitude_deg = lat;
  f.longitude_deg = lon;
  f.accuracy_m = acc;
  f.unix_millis = 1704067200000;
  return f;
}

TEST(LocationSnapTest, PlaceBellecourSnapsToItsCellCentre) {
  // 45.7578 N: band floor((45.7578 + 90) / 0.018) = 7542, centre -90 + 7542.5 * 0.018 = 45.765.
  LocationFix out = SnapToApproximate(Fix(45.7578, 4.8320));
  EXPECT_NEAR(out.latitude_deg, 45.765, 1e-9);
  // Cell width at 45.765 N: 360 / floor(360 cos(45.765°) / 0.018) degrees.
  double cells = std::floor(360.0 * std::cos(45.765 * 3.14159265358979323846 / 180) / 0.018);
  double width = 360.0 / cells;
  double expected_lon = -180.0 + (std::floor((4.8320 + 180.0) / width) + 0.5) * width;
  EXPECT_NEAR(out.longitude_deg, expected_lon, 1e-9);
  EXPECT_EQ(out.accuracy_m, kApproximateAccuracyM);
  EXPECT_EQ(out.unix_millis, 1704067200000);
  // Inside the cell: no more than half a diagonal (~1.42 km) from the raw point, and not it.
  double d = DistanceMeters(45.7578, 4.8320, out.latitude_deg, out.longitude_deg);
  EXPECT_GT(d, 0);
  EXPECT_LE(d, 1420);
}

TEST(LocationSnapTest, CellsAreAboutTwoKilometresEverywhere) {
  for (double lat : {-60.0, -10.0, 0.0, 45.7578, 51.5, 69.6}) {
    LocationFix c = SnapToApproximate(Fix(lat, 10));
    // Walk east until the output changes: that is one cell edge.
    double step = 0.0005, lon = c.longitude_deg;
    while (SnapToApproximate(Fix(lat, lon)).longitude_deg == c.longitude_deg) lon += step;
    double east_edge = lon;
    lon = c.longitude_deg;
    while (SnapToApproximate(Fix(lat, lon)).longitude_deg == c.longitude_deg) lon -= step;
    double km = DistanceMeters(c.latitude_deg, lon, c.latitude_deg, east_edge) / 1000;
    EXPECT_GE(km, 1.95) << lat;
    EXPECT_LE(km, 2.15) << lat;
    double ns_km = DistanceMeters(c.latitude_deg - 0.009, 10, c.latitude_deg + 0.009, 10) / 1000;
    EXPECT_NEAR(ns_km, 2.0, 0.02);
  }
}

TEST(LocationSnapTest, EveryPointOfACellGivesTheSameOutput) {
  LocationFix a = SnapToApproximate(Fix(45.7578, 4.8320, 3));
  LocationFix b = SnapToApproximate(Fix(45.7601, 4.8335, 12));
  EXPECT_EQ(a.latitude_deg, b.latitude_deg);
  EXPECT_EQ(a.longitude_deg, b.longitude_deg);
  EXPECT_EQ(a.accuracy_m, b.accuracy_m);  // a small raw accuracy does not show through
  // A poor raw fix keeps its larger uncertainty.
  EXPECT_EQ(SnapToApproximate(Fix(45.7578, 4.8320, 5000)).accuracy_m, 5000);
}

TEST(LocationSnapTest, EdgesOfTheWorld) {
  for (auto [lat, lon] : {std::pair{90.0, 180.0}, {-90.0, -180.0}, {89.999, 0.0}, {0.0, 179.9999}}) {
    LocationFix out = SnapToApproximate(Fix(lat, lon));
    EXPECT_TRUE(platform::ValidateLocationFix(out).ok()) << lat << "," << lon;
    EXPECT_LE(std::abs(out.latitude_deg - lat), 0.009 + 1e-9);
  }
}

}  // namespace
}  // namespace tacet::gate
