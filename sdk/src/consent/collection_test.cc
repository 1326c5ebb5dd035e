// DecideCollection over every legal basis of the shipped policy, each refusal reason in its
// order, required purposes, and the reason names.
#include "consent/collection.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "consent/consent_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::consent {
namespace {

using testing::LedgerHarness;
using R = CollectionReason;

constexpr auto kGranted = ConsentState::kGranted;
constexpr auto kDenied = ConsentState::kDenied;
constexpr auto kUser = DecisionSource::kUser;

R Reason(LedgerHarness& h, std::string_view purpose, std::string_view category) {
  return DecideCollection(h.snapshot(), purpose, category).reason;
}

// Consent: nothing is collected until the user provided the category and granted the purpose.
TEST(DecideCollectionTest, ConsentPurposeNeedsTheCategoryAndTheUsersGrant) {
  LedgerHarness h;
  EXPECT_EQ(Reason(h, "voice_features", "voice"), R::kCategoryNotAsked);
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", false, kUser));
  EXPECT_EQ(Reason(h, "voice_features", "voice"), R::kCategoryDeclined);
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", true, kUser));
  EXPECT_EQ(Reason(h, "voice_features", "voice"), R::kPurposeNotAsked);
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kDenied, kUser));
  EXPECT_EQ(Reason(h, "voice_features", "voice"), R::kPurposeRefused);
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kGranted, kUser));
  const CollectionDecision d = DecideCollection(h.snapshot(), "voice_features", "voice");
  EXPECT_TRUE(d.allowed());
  EXPECT_EQ(d.purpose_index, h.snapshot().PurposeIndex("voice_features"));
  EXPECT_STREQ(d.name(), "allowed");
}

// Legal obligation: never a reason to collect, whatever the user provided or granted; the
// snapshot still allows it (to keep and hand over what is held).
TEST(DecideCollectionTest, LegalObligationIsNeverAReasonToCollect) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetCategoryProvided("voice", true, kUser));
  ASSERT_OK(h.ledger().SetCategoryProvided("location", true, kUser));
  ASSERT_OK(h.ledger().SetPurpose("voice_features", kGranted, kUser));
  ASSERT_OK(h.ledger().SetPurpose("location_features", kGranted, kUser));
  ASSERT_OK(h.ledger().SetLocationPrecision(platform::LocationPrecision::kPrecise, kUser));
  const ConsentSnapshot& s = h.snapshot();
  const int legal = s.PurposeIndex("legal_obligation");
  EXPECT_TRUE(s.Allows(legal, s.CategoryIndex("voice")));  // use: yes
  EXPECT_FALSE(IsCollectionBasis(s, legal));
  for (const char* category : {"voice", "location", "name", "usage", "billing"}) {
    const CollectionDecision d = DecideCollection(s, "legal_obligation", category);
    EXPECT_EQ(d.reason, R::kNotACollectionBasis) << category;
    EXPECT_EQ(d.purpose_index, legal);
    EXPECT_STREQ(d.name(), "not_a_collection_basis");
  }
  // ... and the consent purposes for the same data are.
  EXPECT_TRUE(DecideCollection(s, "voice_features", "voice").allowed());
  EXPECT_TRUE(DecideCollection(s, "location_features", "location").allowed());
}

// A legitimate interest the user cannot object to: no reason to collect either.
TEST(DecideCollectionTest, NonRefusableLegitimateInterestIsNeverAReasonToCollect) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetCategoryProvided("location", true, kUser));
  ASSERT_OK(h.ledger().SetLocationPrecision(platform::LocationPrecision::kPrecise, kUser));
  for (const auto& [purpose, category] :
       std::set<std::pair<std::string, std::string>>{{"safety_and_legal_claims", "location"},
                                                     {"safety_and_legal_claims", "usage"},
                                                     {"content_performance_reporting", "usage"},
                                                     {"business_transfer", "name"}}) {
    EXPECT_FALSE(IsCollectionBasis(h.snapshot(), h.snapshot().PurposeIndex(purpose))) << purpose;
    EXPECT_EQ(Reason(h, purpose, category), R::kNotACollectionBasis) << purpose << " " << category;
  }
}

// A legitimate interest the user can object to: collected at its default (granted) until the
// user objects.
TEST(DecideCollectionTest, RefusableLegitimateInterestCollectsUntilTheUserObjects) {
  LedgerHarness h;
  EXPECT_TRUE(IsCollectionBasis(h.snapshot(), h.snapshot().PurposeIndex("analytics")));
  EXPECT_EQ(Reason(h, "analytics", "usage"), R::kAllowed);
  ASSERT_OK(h.ledger().SetPurpose("analytics", kDenied, kUser));
  EXPECT_EQ(Reason(h, "analytics", "usage"), R::kPurposeRefused);
  ASSERT_OK(h.ledger().SetPurpose("analytics", kGranted, kUser));
  EXPECT_EQ(Reason(h, "analytics", "usage"), R::kAllowed);
}

// Contract: collected without a question for the data the contract needs; an optional category
// still has to be provided.
TEST(DecideCollectionTest, ContractPurposeCollectsWhatTheUserProvides) {
  LedgerHarness h;
  EXPECT_TRUE(IsCollectionBasis(h.snapshot(), h.snapshot().PurposeIndex("provide_service")));
  EXPECT_EQ(Reason(h, "provide_service", "name"), R::kAllowed);
  EXPECT_EQ(Reason(h, "payments_and_fraud_prevention", "contact"), R::kAllowed);
  EXPECT_EQ(Reason(h, "provide_service", "billing"), R::kCategoryNotAsked);
  ASSERT_OK(h.ledger().SetCategoryProvided("billing", false, kUser));
  EXPECT_EQ(Reason(h, "provide_service", "billing"), R::kCategoryDeclined);
  ASSERT_OK(h.ledger().SetCategoryProvided("billing", true, kUser));
  EXPECT_EQ(Reason(h, "provide_service", "billing"), R::kAllowed);
}

// The policy's own limits come first: unknown ids and a category the purpose may not use.
TEST(DecideCollectionTest, PolicyChecksComeFirst) {
  LedgerHarness h;
  const ConsentSnapshot& s = h.snapshot();
  EXPECT_EQ(Reason(h, "karaoke", "voice"), R::kUnknownPurpose);
  EXPECT_EQ(DecideCollection(s, "karaoke", "voice").purpose_index, -1);
  EXPECT_EQ(Reason(h, "voice_features", "shoe_size"), R::kUnknownCategory);
  EXPECT_EQ(DecideCollection(s, -1, 0).reason, R::kUnknownPurpose);
  EXPECT_EQ(DecideCollection(s, s.purpose_count(), 0).reason, R::kUnknownPurpose);
  EXPECT_EQ(DecideCollection(s, 0, -1).reason, R::kUnknownCategory);
  EXPECT_EQ(DecideCollection(s, 0, s.category_count()).reason, R::kUnknownCategory);
  EXPECT_FALSE(IsCollectionBasis(s, -1));
  EXPECT_FALSE(IsCollectionBasis(s, s.purpose_count()));
  // analytics may not use voice; legal_obligation may not use public_profile: the policy's
  // answer, before the legal basis.
  EXPECT_EQ(Reason(h, "analytics", "voice"), R::kNotUsedByPurpose);
  EXPECT_EQ(Reason(h, "legal_obligation", "public_profile"), R::kNotUsedByPurpose);
}

// location_advertising requires location_features and advertising: the decision names the
// missing one.
TEST(DecideCollectionTest, RequiredPurposesAreNamed) {
  LedgerHarness h;
  ASSERT_OK(h.ledger().SetCategoryProvided("location", true, kUser));
  ASSERT_OK(h.ledger().SetPurpose("location_advertising", kGranted, kUser));
  ASSERT_OK(h.ledger().SetPurpose("location_features", kGranted, kUser));
  CollectionDecision d = DecideCollection(h.snapshot(), "location_advertising", "location");
  EXPECT_EQ(d.reason, R::kRequiredPurposeNotAsked);
  EXPECT_EQ(d.purpose_index, h.snapshot().PurposeIndex("advertising"));
  ASSERT_OK(h.ledger().SetPurpose("advertising", kDenied, kUser));
  d = DecideCollection(h.snapshot(), "location_advertising", "location");
  EXPECT_EQ(d.reason, R::kRequiredPurposeRefused);
  EXPECT_EQ(d.purpose_index, h.snapshot().PurposeIndex("advertising"));
  ASSERT_OK(h.ledger().SetPurpose("advertising", kGranted, kUser));
  EXPECT_TRUE(DecideCollection(h.snapshot(), "location_advertising", "location").allowed());
  // Its own refusal is reported before its requirements.
  ASSERT_OK(h.ledger().SetPurpose("location_features", kDenied, kUser));
  ASSERT_OK(h.ledger().SetPurpose("location_advertising", kDenied, kUser));
  EXPECT_EQ(Reason(h, "location_advertising", "location"), R::kPurposeRefused);
}

TEST(DecideCollectionTest, EveryReasonHasADistinctNameAndAText) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(R::kRequiredPurposeNotAsked); ++i) {
    const auto r = static_cast<R>(i);
    const std::string name = CollectionReasonName(r);
    EXPECT_NE(name, "invalid") << i;
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_GT(std::string(CollectionReasonText(r)).size(), 10u) << name;
  }
  EXPECT_STREQ(CollectionReasonName(static_cast<R>(200)), "invalid");
  EXPECT_STREQ(CollectionReasonText(static_cast<R>(200)), "invalid collection reason");
}

}  // namespace
}  // namespace tacet::consent
