#include "consent/feature_availability.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "consent/consent_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::consent {
namespace {

using ::testing::ElementsAre;
using testing::LedgerHarness;

const FeatureStatus& Find(const std::vector<FeatureStatus>& features, const std::string& name) {
  for (const FeatureStatus& f : features) {
    if (f.feature == name) return f;
  }
  ADD_FAILURE() << "no feature " << name;
  static const FeatureStatus kNone;
  return kNone;
}

TEST(ConsentFeatureTest, ListsEveryFeatureOnceNotAskedAtFirst) {
  LedgerHarness h;
  const auto features = Features(h.snapshot());
  std::vector<std::string> names;
  for (const FeatureStatus& f : features) names.push_back(f.feature);
  EXPECT_THAT(names, ElementsAre("free_trial", "paid_subscription", "purchases", "voice_features",
                                 "location_features", "contests", "surveys", "sweepstakes"));
  for (const FeatureStatus& f : features) {
    EXPECT_EQ(f.availability, FeatureAvailability::kNotAsked) << f.feature;
  }
  EXPECT_THAT(Find(features, "purchases").missing_categories, ElementsAre("billing", "payment"));
  EXPECT_EQ(Find(features, "voice_features").reason,
            "needs category 'voice' (not asked); needs purpose 'voice_features' (unknown)");
}

TEST(ConsentFeatureTest, DeclinedDataGreysOutItsFeatures) {
  LedgerHarness h;
  ConsentLedger& ledger = h.ledger();
  ASSERT_OK(ledger.SetCategoryProvided("billing", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetCategoryProvided("payment", false, DecisionSource::kUser));
  ASSERT_OK(ledger.SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  ASSERT_OK(ledger.SetCategoryProvided("contest_answers", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(ledger.SetPurpose("location_features", ConsentState::kDenied, DecisionSource::kUser));
  const auto features = Features(h.snapshot());
  const FeatureStatus& purchases = Find(features, "purchases");
  EXPECT_EQ(purchases.availability, FeatureAvailability::kDeclined);
  EXPECT_FALSE(purchases.available());
  EXPECT_THAT(purchases.missing_categories, ElementsAre("payment"));
  EXPECT_EQ(purchases.reason, "needs category 'payment' (declined)");
  EXPECT_TRUE(Find(features, "voice_features").available());
  EXPECT_TRUE(Find(features, "contests").available());
  const FeatureStatus& location = Find(features, "location_features");
  EXPECT_EQ(location.availability, FeatureAvailability::kDeclined);
  EXPECT_EQ(location.purpose_not_allowed, "location_features");
  EXPECT_TRUE(location.missing_categories.empty());
  // Declining voice data later takes voice features away.
  ASSERT_OK(ledger.SetCategoryProvided("voice", false, DecisionSource::kUser));
  EXPECT_EQ(Find(Features(h.snapshot()), "voice_features").availability,
            FeatureAvailability::kDeclined);
}

}  // namespace
}  // namespace tacet::consent
