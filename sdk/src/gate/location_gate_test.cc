// The location gate on an emulated device: precision capping and snapping, downgrades and
// revocation mid-session, location advertising needing both purposes, denials, access log.
#include "gate/location_gate.h"

#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gate/gate_test_util.h"
#include "gate/location_snap.h"

namespace tacet::gate {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using platform::LocationFix;
using platform::LocationPrecision;
using platform::Permission;
using platform::PermissionState;
using platform::ScriptedLocation;
using platform::TrackPoint;
using testing::GateHarness;
using testing::RecordingLocationSink;

class LocationGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    track_ = ScriptedLocation::CityWalk(30000);  // fixes at 30 s, 60 s, ..., 630 s
    ASSERT_OK(h_.device().location().PlayTrack(track_));
  }
  GateHarness h_;
  std::vector<TrackPoint> track_;
};

TEST_F(LocationGateTest, PreciseRequestWithApproximateConsentGetsCellCentres) {
  h_.AllowLocation(LocationPrecision::kApproximate, LocationPrecision::kPrecise);
  RecordingLocationSink sink;
  LocationAcquireResult r = h_.location().Acquire("location_features", LocationPrecision::kPrecise, &sink);
  ASSERT_TRUE(r.granted()) << DenialReasonName(r.denial());
  LocationSession session = std::move(r.session());
  EXPECT_EQ(h_.device().location().requested_precision(), LocationPrecision::kApproximate);
  h_.device().AdvanceBy(10 * 60 * 1000 + 30000);
  ASSERT_EQ(sink.fixes.size(), track_.size());
  for (size_t i = 0; i < track_.size(); ++i) {
    const TrackPoint& raw = track_[i];
    const LocationFix& got = sink.fixes[i];
    EXPECT_EQ(sink.precisions[i], LocationPrecision::kApproximate);
    LocationFix raw_fix{raw.latitude_deg, raw.longitude_deg, raw.accuracy_m, 0};
    LocationFix centre = SnapToApproximate(raw_fix);
    EXPECT_EQ(got.latitude_deg, centre.latitude_deg);
    EXPECT_EQ(got.longitude_deg, centre.longitude_deg);
    EXPECT_GE(got.accuracy_m, kApproximateAccuracyM);
    double d = DistanceMeters(raw.latitude_deg, raw.longitude_deg, got.latitude_deg, got.longitude_deg);
    EXPECT_GT(d, 0) << i;  // never the raw point
    EXPECT_LE(d, 1420) << i;
    EXPECT_NE(got.latitude_deg, raw.latitude_deg);
  }
  // The whole walk (about 1.2 km) stays within very few cells.
  EXPECT_NEAR(sink.fixes.front().latitude_deg, 45.765, 1e-9);
  session.End();
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].kind, CaptureKind::kLocation);
  EXPECT_EQ(log[0].requested_precision, LocationPrecision::kPrecise);
  EXPECT_EQ(log[0].delivered_precision, LocationPrecision::kApproximate);
  EXPECT_EQ(log[0].fixes, static_cast<int64_t>(track_.size()));
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kCompleted);
}

// A provider that hands the gate whatever it is given, unchecked, as a platform adapter might.
class UncheckedProvider final : public platform::LocationProvider {
 public:
  Status Start(LocationPrecision, platform::LocationSink* sink) override {
    sink_ = sink;
    return OkStatus();
  }
  void Stop() override { sink_ = nullptr; }
  void Deliver(const LocationFix& fix) {
    if (sink_ != nullptr) sink_->OnFix(fix);
  }

 private:
  platform::LocationSink* sink_ = nullptr;
};

TEST_F(LocationGateTest, MalformedFixesAreDropped) {
  h_.AllowLocation(LocationPrecision::kApproximate, LocationPrecision::kPrecise);
  UncheckedProvider provider;
  LocationGate gate(h_.ledger(), provider, h_.device().permissions(), h_.device().clock(), h_.log());
  RecordingLocationSink sink;
  LocationAcquireResult r = gate.Acquire("location_features", LocationPrecision::kPrecise, &sink);
  ASSERT_TRUE(r.granted()) << DenialReasonName(r.denial());
  LocationSession session = std::move(r.session());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const LocationFix& bad : {LocationFix{nan, 4.8, 10, 0}, LocationFix{45.7, inf, 10, 0},
                                 LocationFix{45.7, 4.8, nan, 0}, LocationFix{91, 4.8, 10, 0},
                                 LocationFix{45.7, -181, 10, 0}, LocationFix{45.7, 4.8, -1, 0}}) {
    provider.Deliver(bad);
  }
  EXPECT_TRUE(sink.fixes.empty());
  provider.Deliver(LocationFix{45.7, 4.8, 10, 0});
  ASSERT_EQ(sink.fixes.size(), 1u);
  EXPECT_TRUE(std::isfinite(sink.fixes[0].accuracy_m));
  EXPECT_EQ(sink.precisions[0], LocationPrecision::kApproximate);
  EXPECT_EQ(sink.ended_calls, 0);
  session.End();
}

TEST_F(LocationGateTest, OsApproximateOrApproximateRequestAlsoCap) {
  h_.AllowLocation(LocationPrecision::kPrecise, LocationPrecision::kApproximate);
  LocationPrecision effective;
  EXPECT_EQ(h_.location().Check("location_features", LocationPrecision::kPrecise, &effective), DenialReason::kNone);
  EXPECT_EQ(effective, LocationPrecision::kApproximate);
  ASSERT_OK(h_.device().permissions().Set(Permission::kLocation, PermissionState::kGranted, LocationPrecision::kPrecise));
  EXPECT_EQ(h_.location().Check("location_features", LocationPrecision::kApproximate, &effective), DenialReason::kNone);
  EXPECT_EQ(effective, LocationPrecision::kApproximate);
  EXPECT_EQ(h_.location().Check("location_features", LocationPrecision::kPrecise, &effective), DenialReason::kNone);
  EXPECT_EQ(effective, LocationPrecision::kPrecise);
}

TEST_F(LocationGateTest, DowngradeAppliesFromTheNextFixAndRevocationEnds) {
  h_.AllowLocation(LocationPrecision::kPrecise, LocationPrecision::kPrecise);
  RecordingLocationSink sink;
  LocationAcquireResult r = h_.location().Acquire("location_features", LocationPrecision::kPrecise, &sink);
  ASSERT_TRUE(r.granted());
  LocationSession session = std::move(r.session());
  // Fixes at 30, 60 s precise; user downgrades at 75 s; OS downgrade and back at 135/165 s;
  // revocation at 200 s.
  h_.At(75000, [&] { ASSERT_OK(h_.ledger().SetLocationPrecision(LocationPrecision::kApproximate, DecisionSource::kUser)); });
  h_.At(105000, [&] { ASSERT_OK(h_.ledger().SetLocationPrecision(LocationPrecision::kPrecise, DecisionSource::kUser)); });
  ASSERT_OK(h_.device().permissions().SetAt(135000, Permission::kLocation, PermissionState::kGranted, LocationPrecision::kApproximate));
  ASSERT_OK(h_.device().permissions().SetAt(165000, Permission::kLocation, PermissionState::kGranted, LocationPrecision::kPrecise));
  h_.At(200000, [&] { ASSERT_OK(h_.ledger().SetPurpose("location_features", ConsentState::kDenied, DecisionSource::kUser)); });
  h_.device().AdvanceBy(700000);
  using P = LocationPrecision;
  EXPECT_THAT(sink.precisions, ::testing::ElementsAre(P::kPrecise, P::kPrecise, P::kApproximate, P::kPrecise,
                                                      P::kApproximate, P::kPrecise));
  EXPECT_EQ(sink.fixes[0].latitude_deg, track_[0].latitude_deg);  // precise is the raw fix
  EXPECT_EQ(sink.fixes[2].latitude_deg, SnapToApproximate(LocationFix{track_[2].latitude_deg, track_[2].longitude_deg, 1, 0}).latitude_deg);
  EXPECT_EQ(sink.reason, EndReason::kConsentWithdrawn);
  EXPECT_EQ(sink.ended_calls, 1);
  EXPECT_FALSE(sink.fix_after_end);
  EXPECT_EQ(h_.device().location().requested_precision(), LocationPrecision::kNone);  // stopped
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].outcome, CaptureOutcome::kEndedByRevocation);
  EXPECT_EQ(log[0].reason, DenialReason::kNoConsent);
  EXPECT_EQ(log[0].fixes, 6);
  EXPECT_EQ(log[0].delivered_precision, LocationPrecision::kPrecise);
}

TEST_F(LocationGateTest, OsPermissionLossEndsTheSession) {
  h_.AllowLocation(LocationPrecision::kPrecise, LocationPrecision::kPrecise);
  RecordingLocationSink sink;
  LocationAcquireResult r = h_.location().Acquire("location_features", LocationPrecision::kApproximate, &sink);
  ASSERT_TRUE(r.granted());
  ASSERT_OK(h_.device().permissions().SetAt(100000, Permission::kLocation, PermissionState::kDenied));
  h_.device().AdvanceBy(300000);
  EXPECT_EQ(sink.fixes.size(), 3u);
  EXPECT_EQ(sink.reason, EndReason::kOsPermissionLost);
  EXPECT_EQ(h_.Log().at(0).outcome, CaptureOutcome::kEndedByPermissionLoss);
  EXPECT_EQ(h_.Log().at(0).delivered_precision, LocationPrecision::kApproximate);
}

TEST_F(LocationGateTest, LocationAdvertisingNeedsBothPurposes) {
  h_.AllowLocation(LocationPrecision::kPrecise, LocationPrecision::kPrecise);
  auto& ledger = h_.ledger();
  RecordingLocationSink sink;
  auto acquire = [&] {
    return h_.location().Acquire("location_advertising", LocationPrecision::kPrecise, &sink);
  };
  EXPECT_EQ(acquire().denial(), DenialReason::kConsentUnknown);  // never asked
  ASSERT_OK(ledger.SetPurpose("location_advertising", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(acquire().denial(), DenialReason::kConsentUnknown);  // advertising never asked
  ASSERT_OK(ledger.SetPurpose("advertising", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(acquire().denial(), DenialReason::kNoConsent);
  ASSERT_OK(ledger.SetPurpose("advertising", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(ledger.SetPurpose("location_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(acquire().denial(), DenialReason::kNoConsent);
  ASSERT_OK(ledger.SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
  LocationAcquireResult r = acquire();
  ASSERT_TRUE(r.granted()) << DenialReasonName(r.denial());
  LocationSession session = std::move(r.session());
  // Withdrawing the advertising purpose alone ends location advertising.
  h_.At(70000, [&] { ASSERT_OK(ledger.SetPurpose("advertising", ConsentState::kDenied, DecisionSource::kUser)); });
  h_.device().AdvanceBy(200000);
  EXPECT_EQ(sink.fixes.size(), 2u);
  EXPECT_EQ(sink.reason, EndReason::kConsentWithdrawn);
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[4].outcome, CaptureOutcome::kEndedByRevocation);
  EXPECT_EQ(log[4].reason, DenialReason::kNoConsent);
  EXPECT_EQ(log[4].purpose_id, "location_advertising");
}

TEST_F(LocationGateTest, DeniesForEachCheck) {
  auto& ledger = h_.ledger();
  RecordingLocationSink sink;
  auto acquire = [&](std::string_view purpose = "location_features") {
    return h_.location().Acquire(purpose, LocationPrecision::kPrecise, &sink).denial();
  };
  EXPECT_EQ(acquire("voice_features"), DenialReason::kPurposeNotAllowedByPolicy);
  EXPECT_EQ(acquire(), DenialReason::kConsentUnknown);
  ASSERT_OK(ledger.SetCategoryProvided("location", false, DecisionSource::kUser));
  EXPECT_EQ(acquire(), DenialReason::kLocationDataNotProvided);
  ASSERT_OK(ledger.SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(acquire(), DenialReason::kNoConsent);  // the user's precision is still off
  ASSERT_OK(ledger.SetLocationPrecision(LocationPrecision::kApproximate, DecisionSource::kUser));
  EXPECT_EQ(acquire(), DenialReason::kOsPermissionDenied);
  EXPECT_EQ(h_.location().Acquire("location_features", LocationPrecision::kNone, &sink).denial(),
            DenialReason::kInvalidRequest);
  ASSERT_OK(h_.device().permissions().Set(Permission::kLocation, PermissionState::kGranted, LocationPrecision::kPrecise));
  EXPECT_EQ(acquire(), DenialReason::kNone);
  std::vector<DenialReason> reasons;
  for (const auto& e : h_.Log()) reasons.push_back(e.reason);
  EXPECT_THAT(reasons, ::testing::ElementsAre(DenialReason::kPurposeNotAllowedByPolicy,
                                              DenialReason::kConsentUnknown,
                                              DenialReason::kLocationDataNotProvided,
                                              DenialReason::kNoConsent,
                                              DenialReason::kOsPermissionDenied, DenialReason::kNone));
  // The session was dropped at once: completed with no fix.
  EXPECT_EQ(h_.Log().back().outcome, CaptureOutcome::kCompleted);
  EXPECT_EQ(h_.Log().back().delivered_precision, LocationPrecision::kNone);
}

// Safety and legal claims (a legitimate interest the user cannot object to) and the legal
// obligation may use location under the policy, but neither is a reason to collect it: with the
// location category provided, a precise location precision and the OS permission granted — all
// but a purpose the user granted — they cannot start the location sensor.
TEST_F(LocationGateTest, SafetyAndLegalObligationNeverStartTheSensor) {
  auto& ledger = h_.ledger();
  ASSERT_OK(ledger.SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetLocationPrecision(LocationPrecision::kPrecise, DecisionSource::kUser));
  ASSERT_OK(h_.device().permissions().Set(Permission::kLocation, PermissionState::kGranted,
                                          LocationPrecision::kPrecise));
  RecordingLocationSink sink;
  for (const char* purpose : {"safety_and_legal_claims", "legal_obligation"}) {
    EXPECT_EQ(h_.location().Check(purpose, LocationPrecision::kApproximate),
              DenialReason::kNotACollectionBasis) << purpose;
    EXPECT_EQ(h_.location().Acquire(purpose, LocationPrecision::kApproximate, &sink).denial(),
              DenialReason::kNotACollectionBasis) << purpose;
  }
  ASSERT_OK(ledger.SetPurpose("location_features", ConsentState::kDenied, DecisionSource::kUser));
  EXPECT_EQ(h_.location().Acquire("safety_and_legal_claims", LocationPrecision::kPrecise, &sink).denial(),
            DenialReason::kNotACollectionBasis);
  EXPECT_EQ(h_.location().provider_precision(), LocationPrecision::kNone);
  h_.device().AdvanceBy(100000);
  EXPECT_TRUE(sink.fixes.empty());
  // Granting location_features lets location_features capture, still not the others.
  ASSERT_OK(ledger.SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
  EXPECT_EQ(h_.location().Check("safety_and_legal_claims", LocationPrecision::kPrecise),
            DenialReason::kNotACollectionBasis);
  EXPECT_EQ(h_.location().Check("location_features", LocationPrecision::kPrecise),
            DenialReason::kNone);
  auto log = h_.Log();
  ASSERT_EQ(log.size(), 3u);
  for (const auto& e : log) {
    EXPECT_EQ(e.outcome, CaptureOutcome::kDenied);
    EXPECT_EQ(e.reason, DenialReason::kNotACollectionBasis);
  }
}

}  // namespace
}  // namespace tacet::gate
