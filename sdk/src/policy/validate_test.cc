#include "policy/validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "policy/embedded_policy.h"
#include "policy/policy.h"
#include "policy/policy_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::policy {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using testing::CategoryIn;
using testing::Pack;
using testing::PurposeIn;
using testing::RecipientIn;

// Every problem the validator reports for `tree`; the structure itself must verify.
std::vector<std::string> Problems(const fb::PolicyT& tree) {
  const Bytes bytes = Pack(tree);
  PolicyCheck check = CheckPolicyBytes(bytes);
  EXPECT_OK(check.status);
  return check.problems;
}

TEST(ValidatePolicy, ShippedPolicyHasNoProblems) {
  EXPECT_THAT(ValidatePolicy(*fb::GetPolicy(EmbeddedPolicyBytes().data())), IsEmpty());
}

TEST(ValidatePolicy, DanglingCategoryReference) {
  auto tree = testing::ShippedPolicyT();
  PurposeIn(*tree, "analytics").categories.push_back("gps");
  EXPECT_THAT(Problems(*tree), ElementsAre("purpose 'analytics' refers to unknown category 'gps'"));
}

TEST(ValidatePolicy, DanglingReferencesOfEveryKind) {
  auto tree = testing::ShippedPolicyT();
  PurposeIn(*tree, "marketing_communications").channels.push_back("fax");
  PurposeIn(*tree, "location_advertising").required_purposes.push_back("telepathy");
  RecipientIn(*tree, "academic_researchers").grants[0]->purposes.push_back("resale");
  RecipientIn(*tree, "payment_processors").grants[0]->category = "dna";
  EXPECT_THAT(Problems(*tree),
              ElementsAre("purpose 'marketing_communications' refers to unknown channel 'fax'",
                          "purpose 'location_advertising' refers to unknown purpose 'telepathy'",
                          "recipient 'payment_processors': grant #0 refers to unknown category 'dna'",
                          "recipient 'academic_researchers': grant of category 'usage' refers to "
                          "unknown purpose 'resale'"));
}

TEST(ValidatePolicy, DuplicateIds) {
  auto tree = testing::ShippedPolicyT();
  auto copy = std::make_unique<fb::CategoryT>(CategoryIn(*tree, "voice"));
  tree->categories.push_back(std::move(copy));
  auto recipient = std::make_unique<fb::RecipientT>();
  recipient->id = "payment_processors";
  recipient->display_name = "Again";
  recipient->source = "nowhere";
  auto grant = std::make_unique<fb::GrantT>();
  grant->category = "usage";
  grant->purposes = {"analytics"};
  recipient->grants.push_back(std::move(grant));
  tree->recipients.push_back(std::move(recipient));
  EXPECT_THAT(Problems(*tree), ElementsAre("category 'voice' is defined more than once",
                                           "recipient 'payment_processors' is defined more than once"));
}

TEST(ValidatePolicy, ConsentPurposeMustBeDeniedByDefaultAndRefusable) {
  auto tree = testing::ShippedPolicyT();
  PurposeIn(*tree, "marketing_communications").default_state = fb::DefaultState::Granted;
  PurposeIn(*tree, "voice_features").refusable = false;
  EXPECT_THAT(Problems(*tree),
              ElementsAre("purpose 'marketing_communications' is consent-based but is not denied "
                          "by default",
                          "purpose 'voice_features' is consent-based but not refusable"));
}

TEST(ValidatePolicy, PseudonymisedOnlyRecipientMustPseudonymiseEveryGrant) {
  auto tree = testing::ShippedPolicyT();
  RecipientIn(*tree, "academic_researchers").grants[0]->transform = fb::Transform::None;
  EXPECT_THAT(Problems(*tree),
              ElementsAre("recipient 'academic_researchers': grant of category 'usage' has "
                          "transform 'none' but the recipient is pseudonymised-only"));
}

TEST(ValidatePolicy, EveryCategoryNeedsARetentionPeriod) {
  auto tree = testing::ShippedPolicyT();
  CategoryIn(*tree, "location").retention_days = 0;
  EXPECT_THAT(Problems(*tree),
              ElementsAre("category 'location' has no retention period (retention_days must be > 0)"));
}

TEST(ValidatePolicy, GrantMustBeForAPurposeThatUsesTheCategory) {
  auto tree = testing::ShippedPolicyT();
  RecipientIn(*tree, "advertising_partners").grants[0]->purposes.push_back("voice_features");
  EXPECT_THAT(Problems(*tree),
              ElementsAre("recipient 'advertising_partners': grant of category 'usage' for purpose "
                          "'voice_features', but purpose 'voice_features' does not use category "
                          "'usage'"));
}

TEST(ValidatePolicy, SamePairGrantedTwice) {
  auto tree = testing::ShippedPolicyT();
  auto& grants = RecipientIn(*tree, "music_industry_partners").grants;
  grants.push_back(std::make_unique<fb::GrantT>(*grants[0]));
  EXPECT_THAT(Problems(*tree),
              ElementsAre("recipient 'music_industry_partners': category 'usage' for purpose "
                          "'content_performance_reporting' is granted more than once"));
}

TEST(ValidatePolicy, PublicCategoryWithAPrivateField) {
  auto tree = testing::ShippedPolicyT();
  CategoryIn(*tree, "public_profile").fields[1]->is_public = false;
  EXPECT_THAT(Problems(*tree),
              ElementsAre("category 'public_profile': field 'profile_picture' is not public but "
                          "the category is"));
}

TEST(ValidatePolicy, RequiredFieldsAndFormats) {
  auto tree = testing::ShippedPolicyT();
  tree->version = 0;
  tree->effective_date = "2024-02-30";
  tree->controller->name.clear();
  tree->privacy_contact.reset();
  CategoryIn(*tree, "usage").source.clear();
  PurposeIn(*tree, "analytics").display_name.clear();
  tree->channels[0]->id = "E-mail";
  EXPECT_THAT(Problems(*tree),
              ElementsAre("policy has version 0; versions start at 1",
                          "policy effective_date '2024-02-30' is not a YYYY-MM-DD date",
                          "policy has no controller name",
                          "policy has no privacy contact e-mail address",
                          "channel 'E-mail' has an invalid id (lower-case letters, digits and '_', "
                          "at most 64, starting with a letter)",
                          "category 'usage' has no source", "purpose 'analytics' has no display_name",
                          // The purposes no longer resolve the renamed channel.
                          "purpose 'service_communications' refers to unknown channel 'email'",
                          "purpose 'marketing_communications' refers to unknown channel 'email'"));
}

TEST(ValidatePolicy, OutOfRangeEnumsAndMissingIds) {
  auto tree = testing::ShippedPolicyT();
  CategoryIn(*tree, "voice").sensitivity = static_cast<fb::Sensitivity>(9);
  PurposeIn(*tree, "analytics").legal_basis = static_cast<fb::LegalBasis>(-3);
  RecipientIn(*tree, "service_providers").grants[0]->transform = static_cast<fb::Transform>(42);
  tree->rights[0]->id.clear();
  tree->security_measures[1]->kind = static_cast<fb::SecurityMeasureKind>(77);
  const auto problems = Problems(*tree);
  EXPECT_THAT(problems, Contains("category 'voice' has unknown sensitivity 9"));
  EXPECT_THAT(problems, Contains("purpose 'analytics' has unknown legal basis -3"));
  EXPECT_THAT(problems, Contains("recipient 'service_providers': grant of category 'name' has "
                                 "unknown transform 42"));
  EXPECT_THAT(problems, Contains("right #0 has no id"));
  EXPECT_THAT(problems, Contains("security measure 'pseudonymisation' has unknown kind 77"));
}

TEST(ValidatePolicy, ReportsEveryProblemNotJustTheFirst) {
  auto tree = testing::ShippedPolicyT();
  for (auto& category : tree->categories) category->retention_days = 0;
  EXPECT_THAT(Problems(*tree), SizeIs(tree->categories.size()));
}

TEST(ValidatePolicy, OversizedListsAreRefusedAlone) {
  auto tree = testing::ShippedPolicyT();
  for (size_t i = 0; i <= kMaxEntriesPerList; ++i) {
    auto channel = std::make_unique<fb::ChannelT>();
    channel->id = "c" + std::to_string(i);
    tree->channels.push_back(std::move(channel));
  }
  EXPECT_THAT(Problems(*tree), ElementsAre("policy has 132 channels, more than the limit of 128"));
}

TEST(ValidatePolicy, HostileTextIsEscapedAndShortened) {
  auto tree = testing::ShippedPolicyT();
  PurposeIn(*tree, "analytics").categories.push_back(std::string("a\n\x01") + std::string(100, 'x'));
  const auto problems = Problems(*tree);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_THAT(problems[0], HasSubstr("'a\\x0a\\x01xxx"));
  EXPECT_THAT(problems[0], HasSubstr("x...'"));
  EXPECT_LT(problems[0].size(), 200u);
}

}  // namespace
}  // namespace tacet::policy
