// The gate vocabulary: names are stable and parse back.
#include "gate/gate_types.h"

#include <gtest/gtest.h>

#include <iterator>
#include <set>
#include <string>

namespace tacet::gate {
namespace {

TEST(GateTypesTest, DenialNamesAreDistinctAndRoundTrip) {
  std::set<std::string> seen;
  for (int i = 0; i <= static_cast<int>(DenialReason::kNotACollectionBasis); ++i) {
    auto r = static_cast<DenialReason>(i);
    std::string name = DenialReasonName(r);
    EXPECT_NE(name, "invalid") << i;
    EXPECT_TRUE(seen.insert(name).second) << name;
    DenialReason back = DenialReason::kNone;
    ASSERT_TRUE(ParseDenialReason(name, &back)) << name;
    EXPECT_EQ(back, r);
  }
  EXPECT_STREQ(DenialReasonName(static_cast<DenialReason>(200)), "invalid");
  DenialReason untouched = DenialReason::kNoConsent;
  EXPECT_FALSE(ParseDenialReason("granted", &untouched));
  EXPECT_EQ(untouched, DenialReason::kNoConsent);
}

TEST(GateTypesTest, StableNamesUsedInTheAccessLog) {
  EXPECT_STREQ(DenialReasonName(DenialReason::kPurposeNotAllowedByPolicy), "purpose_not_allowed_by_policy");
  EXPECT_STREQ(DenialReasonName(DenialReason::kVoiceDataNotProvided), "voice_data_not_provided");
  EXPECT_STREQ(DenialReasonName(DenialReason::kConsentUnknown), "consent_unknown");
  EXPECT_STREQ(DenialReasonName(DenialReason::kHardwareMuted), "hardware_muted");
  EXPECT_STREQ(DenialReasonName(DenialReason::kNotACollectionBasis), "not_a_collection_basis");
  EXPECT_STREQ(CaptureOutcomeName(CaptureOutcome::kEndedByRevocation), "ended_by_revocation");
  EXPECT_STREQ(CaptureOutcomeName(CaptureOutcome::kInterrupted), "interrupted");
  EXPECT_STREQ(EndReasonName(EndReason::kOsPermissionLost), "os_permission_lost");
  EXPECT_STREQ(CaptureKindName(CaptureKind::kLocation), "location");
}

TEST(GateTypesTest, OutcomeForEveryEndReason) {
  EXPECT_EQ(OutcomeFor(EndReason::kNone), CaptureOutcome::kOpen);
  EXPECT_EQ(OutcomeFor(EndReason::kCompletedByCaller), CaptureOutcome::kCompleted);
  EXPECT_EQ(OutcomeFor(EndReason::kConsentWithdrawn), CaptureOutcome::kEndedByRevocation);
  EXPECT_EQ(OutcomeFor(EndReason::kOsPermissionLost), CaptureOutcome::kEndedByPermissionLoss);
  EXPECT_EQ(OutcomeFor(EndReason::kHardwareMuted), CaptureOutcome::kEndedByMute);
  EXPECT_EQ(OutcomeFor(EndReason::kDeviceError), CaptureOutcome::kEndedByDeviceError);
  EXPECT_EQ(OutcomeFor(EndReason::kGateClosed), CaptureOutcome::kEndedByGateClosed);
  for (int i = 0; i <= static_cast<int>(CaptureOutcome::kInterrupted); ++i) {
    CaptureOutcome back = CaptureOutcome::kOpen;
    ASSERT_TRUE(ParseCaptureOutcome(CaptureOutcomeName(static_cast<CaptureOutcome>(i)), &back));
    EXPECT_EQ(static_cast<int>(back), i);
  }
  CaptureKind kind = CaptureKind::kVoice;
  EXPECT_FALSE(ParseCaptureKind("invalid", &kind));
}

// Every enumerator, listed by hand apart from the tables, names a row that parses back to it; the
// tables have no other rows.
TEST(GateTypesTest, EveryEnumeratorRoundTripsThroughItsTable) {
  const EndReason ends[] = {EndReason::kNone,          EndReason::kCompletedByCaller,
                            EndReason::kConsentWithdrawn, EndReason::kOsPermissionLost,
                            EndReason::kHardwareMuted, EndReason::kDeviceError,
                            EndReason::kGateClosed};
  std::set<std::string> seen;
  for (EndReason e : ends) {
    const std::string name = EndReasonName(e);
    EXPECT_NE(name, "invalid");
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_EQ(ParseName(kEndReasonNames, name), e) << name;
  }
  EXPECT_EQ(std::size(kEndReasonNames), std::size(ends));
  EXPECT_STREQ(EndReasonName(static_cast<EndReason>(200)), "invalid");

  for (CaptureKind k : {CaptureKind::kVoice, CaptureKind::kLocation}) {
    CaptureKind back = k == CaptureKind::kVoice ? CaptureKind::kLocation : CaptureKind::kVoice;
    ASSERT_TRUE(ParseCaptureKind(CaptureKindName(k), &back)) << CaptureKindName(k);
    EXPECT_EQ(back, k);
  }
  EXPECT_EQ(std::size(kCaptureKindNames), 2u);
  EXPECT_STREQ(CaptureKindName(static_cast<CaptureKind>(0)), "invalid");

  using platform::LocationPrecision;
  for (LocationPrecision p :
       {LocationPrecision::kNone, LocationPrecision::kApproximate, LocationPrecision::kPrecise}) {
    LocationPrecision back = p == LocationPrecision::kNone ? LocationPrecision::kPrecise
                                                           : LocationPrecision::kNone;
    const char* name = platform::LocationPrecisionName(p);
    EXPECT_STRNE(name, "invalid");
    ASSERT_TRUE(ParseLocationPrecision(name, &back)) << name;
    EXPECT_EQ(back, p);
  }
  EXPECT_EQ(std::size(platform::kLocationPrecisionNames), 3u);
  LocationPrecision untouched = LocationPrecision::kApproximate;
  EXPECT_FALSE(ParseLocationPrecision("coarse", &untouched));
  EXPECT_EQ(untouched, LocationPrecision::kApproximate);

  EXPECT_EQ(std::size(kDenialReasonNames),
            static_cast<size_t>(DenialReason::kNotACollectionBasis) + 1);
  EXPECT_EQ(std::size(kCaptureOutcomeNames), static_cast<size_t>(CaptureOutcome::kInterrupted) + 1);
}

}  // namespace
}  // namespace tacet::gate
