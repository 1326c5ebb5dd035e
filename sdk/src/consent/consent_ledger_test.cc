// The consent ledger: initial states, decisions and their sources, persistence, durability of
// failed writes, history, receipts and policy updates.
#include "consent/consent_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "consent/consent_test_util.h"
#include "policy/diff.h"
#include "policy/policy_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::consent {
namespace {

using ::testing::HasSubstr;
using platform::LocationPrecision;
using testing::LedgerHarness;

constexpr auto kUnknown = ConsentState::kUnknown;
constexpr auto kGranted = ConsentState::kGranted;
constexpr auto kDenied = ConsentState::kDenied;
constexpr auto kUser = DecisionSource::kUser;

ConsentState Purpose(const ConsentSnapshot& s, std::string_view id) {
  const int index = s.PurposeIndex(id);
  EXPECT_GE(index, 0) << id;
  return s.purpose(index);
}
bool Allows(const ConsentSnapshot& s, std::string_view purpose, std::string_view category = {}) {
  return s.Allows(s.PurposeIndex(purpose), category.empty() ? -1 : s.CategoryIndex(category));
}

TEST(ConsentLedgerTest, InitialStatesFollowTheLegalBasis) {
  LedgerHarness h;
  const ConsentSnapshot& s = h.snapshot();
  EXPECT_EQ(s.generation(), 1u);
  // Consent-based: unknown, never allowed.
  for (const char* id : {"voice_features", "location_features", "advertising",
                         "location_advertising", "marketing_communications"}) {
    EXPECT_EQ(Purpose(s, id), kUnknown) << id;
    EXPECT_FALSE(Allows(s, id)) << id;
    EXPECT_EQ(s.purpose_source(s.PurposeIndex(id)), DecisionSource::kPolicyDefault);
  }
  // Contract / non-refusable: allowed by their legal basis.
  for (const char* id : {"provide_service", "service_communications",
                         "payments_and_fraud_prevention", "content_performance_reporting"}) {
    EXPECT_EQ(Purpose(s, id), kGranted) << id;
    EXPECT_TRUE(Allows(s, id)) << id;
  }
  // Refusable legitimate interest: the policy's default_state (Granted) until the user objects.
  EXPECT_EQ(Purpose(s, "analytics"), kGranted);
  EXPECT_TRUE(Allows(s, "analytics"));
  // Optional categories unknown, the others provided; channels unknown; no location.
  EXPECT_EQ(s.category(s.CategoryIndex("voice")), kUnknown);
  EXPECT_EQ(s.category(s.CategoryIndex("usage")), kGranted);
  EXPECT_EQ(s.channel(s.ChannelIndex("email")), kUnknown);
  EXPECT_EQ(s.location_precision(), LocationPrecision::kNone);
  // Out of range and unknown ids.
  EXPECT_EQ(s.PurposeIndex("no_such_purpose"), -1);
  EXPECT_EQ(s.purpose(-1), kUnknown);
  EXPECT_EQ(s.purpose(1000), kUnknown);
  EXPECT_FALSE(s.Allows(-1));
  EXPECT_FALSE(s.Allows(1000));
  EXPECT_OK(h.ledger().Verify());
}

TEST(ConsentLedgerTest, SetPurposePublishesANewSnapshotAndKeepsTheOldOneValid) {
  LedgerHarness h;
  const ConsentSnapshot& before = h.snapshot();
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kGranted, kUser));
  const ConsentSnapshot& after = h.snapshot();
  EXPECT_NE(&before, &after);
  EXPECT_EQ(after.generation(), before.generation() + 1);
  EXPECT_EQ(Purpose(after, "voice_features"), kGranted);
  EXPECT_EQ(after.purpose_source(after.PurposeIndex("voice_features")), kUser);
  EXPECT_EQ(Purpose(before, "voice_features"), kUnknown);  // immutable
  // Granted purpose, but the optional category was never provided.
  EXPECT_TRUE(Allows(after, "voice_features"));
  EXPECT_FALSE(Allows(after, "voice_features", "voice"));
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", true, kUser));
  EXPECT_TRUE(Allows(h.snapshot(), "voice_features", "voice"));
  // The policy does not let voice_features use location, whatever the user chose.
  ASSERT_OK(h.ledger().SetCategoryProvided("location", true, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "voice_features", "location"));
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kDenied, kUser));
  EXPECT_FALSE(Allows(h.snapshot(), "voice_features", "voice"));
  EXPECT_EQ(h.ledger().retained_snapshots(), 5u);
}

TEST(ConsentLedgerTest, DecisionsSurviveAProcessRestart) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetPurpose("advertising", kGranted, kUser));
  ASSERT_OK(h.ledger().SetPurpose("analytics", kDenied, kUser));
  ASSERT_OK(h.ledger().SetChannel("push", kGranted, DecisionSource::kImport));
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", false, kUser));
  ASSERT_OK(h.ledger().SetLocationPrecision(LocationPrecision::kApproximate,
                                            DecisionSource::kOsPermission));
  h.Reopen();
  const ConsentSnapshot& s = h.snapshot();
  EXPECT_EQ(s.generation(), 1u);  // generations count within one ledger's lifetime
  EXPECT_EQ(Purpose(s, "advertising"), kGranted);
  EXPECT_EQ(Purpose(s, "analytics"), kDenied);
  EXPECT_EQ(Purpose(s, "voice_features"), kUnknown);
  EXPECT_EQ(s.channel(s.ChannelIndex("push")), kGranted);
  EXPECT_EQ(s.channel_source(s.ChannelIndex("push")), DecisionSource::kImport);
  EXPECT_EQ(s.channel(s.ChannelIndex("email")), kUnknown);
  EXPECT_EQ(s.category(s.CategoryIndex("voice")), kDenied);
  EXPECT_EQ(s.location_precision(), LocationPrecision::kApproximate);
  EXPECT_EQ(s.location_source(), DecisionSource::kOsPermission);
  EXPECT_OK(h.ledger().Verify());
}

}  // namespace
}  // namespace tacet::consent
