#include "policy/diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "policy/policy_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::policy {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::PurposeIn;
using testing::RecipientIn;

std::shared_ptr<const Policy> LoadTree(const fb::PolicyT& tree) {
  auto policy = Policy::Load(testing::Pack(tree));
  EXPECT_OK(policy);
  return policy.ok() ? *policy : nullptr;
}

class PolicyDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    before_tree_ = testing::ShippedPolicyT();
    after_tree_ = testing::ShippedPolicyT();
    after_tree_->version = before_tree_->version + 1;
  }
  PolicyDiff Diff() {
    auto before = LoadTree(*before_tree_);
    auto after = LoadTree(*after_tree_);
    if (before == nullptr || after == nullptr) return {};
    return DiffPolicies(*before, *after);
  }
  std::vector<std::string> ReasonsFor(const PolicyDiff& diff, std::string_view purpose) {
    for (const auto& w : diff.widened_purposes) {
      if (w.purpose == purpose) return w.reasons;
    }
    return {};
  }

  std::unique_ptr<fb::PolicyT> before_tree_, after_tree_;
};

TEST_F(PolicyDiffTest, SameScopeKeepsEveryChoice) {
  PurposeIn(*after_tree_, "analytics").description = "Reworded, same scope.";
  const PolicyDiff diff = Diff();
  EXPECT_EQ(diff.old_version, 1u);
  EXPECT_EQ(diff.new_version, 2u);
  EXPECT_THAT(diff.widened_purposes, IsEmpty());
  EXPECT_THAT(diff.added_purposes, IsEmpty());
  EXPECT_THAT(diff.removed_purposes, IsEmpty());
  EXPECT_EQ(diff.unchanged_purposes.size(), before_tree_->purposes.size());
  EXPECT_FALSE(diff.controller_changed);
  EXPECT_THAT(diff.PurposesNeedingConsent(), IsEmpty());
}

TEST_F(PolicyDiffTest, NewCategoryWidensOnlyThatPurpose) {
  PurposeIn(*after_tree_, "advertising").categories.push_back("location");
  const PolicyDiff diff = Diff();
  ASSERT_EQ(diff.widened_purposes.size(), 1u);
  EXPECT_EQ(diff.widened_purposes[0].purpose, "advertising");
  EXPECT_THAT(diff.widened_purposes[0].reasons, ElementsAre("now uses category 'location'"));
  EXPECT_TRUE(diff.IsWidened("advertising"));
  EXPECT_THAT(diff.unchanged_purposes, Contains("marketing_communications"));
  EXPECT_THAT(diff.unchanged_purposes, Not(Contains("advertising")));
  EXPECT_THAT(diff.PurposesNeedingConsent(), ElementsAre("advertising"));
}

TEST_F(PolicyDiffTest, NewRecipientForAPurposeWidensIt) {
  auto grant = std::make_unique<fb::GrantT>();
  grant->category = "contact";
  grant->purposes = {"marketing_communications"};
  RecipientIn(*after_tree_, "advertising_partners").grants.push_back(std::move(grant));
  const PolicyDiff diff = Diff();
  EXPECT_THAT(ReasonsFor(diff, "marketing_communications"),
              ElementsAre("now goes to recipient 'advertising_partners' (category 'contact', as none)"));
  EXPECT_EQ(diff.widened_purposes.size(), 1u);
}

TEST_F(PolicyDiffTest, WeakerTransformWidensStrongerDoesNot) {
  // usage for advertising: pseudonymise -> coarsen is weaker.
  RecipientIn(*after_tree_, "advertising_partners").grants[0]->transform = fb::Transform::Coarsen;
  // location for location_advertising: coarsen -> aggregate is stronger.
  RecipientIn(*after_tree_, "advertising_partners").grants[1]->transform = fb::Transform::Aggregate;
  const PolicyDiff diff = Diff();
  EXPECT_THAT(ReasonsFor(diff, "advertising"),
              ElementsAre("recipient 'advertising_partners' now gets category 'usage' as coarsen "
                          "instead of pseudonymise"));
  EXPECT_THAT(ReasonsFor(diff, "location_advertising"),
              ElementsAre("recipient 'advertising_partners' now gets category 'usage' as coarsen "
                          "instead of pseudonymise"));
  EXPECT_EQ(diff.widened_purposes.size(), 2u);
}

TEST_F(PolicyDiffTest, NarrowingKeepsTheChoice) {
  auto& marketing = PurposeIn(*after_tree_, "marketing_communications");
  marketing.channels = {"email"};
  marketing.categories = {"name", "contact"};
  for (auto& recipient : after_tree_->recipients) {
    for (auto& grant : recipient->grants) {
      if (grant->category == "usage" || grant->category == "contest_answers") {
        auto& ps = grant->purposes;
        ps.erase(std::remove(ps.begin(), ps.end(), "marketing_communications"), ps.end());
      }
    }
  }
  // Grants left without purposes would be invalid; drop them.
  for (auto& recipient : after_tree_->recipients) {
    auto& gs = recipient->grants;
    gs.erase(std::remove_if(gs.begin(), gs.end(), [](const auto& g) { return g->purposes.empty(); }),
             gs.end());
  }
  const PolicyDiff diff = Diff();
  EXPECT_THAT(diff.widened_purposes, IsEmpty());
  EXPECT_THAT(diff.unchanged_purposes, Contains("marketing_communications"));
}

TEST_F(PolicyDiffTest, ChannelBasisRefusabilityAndRequirementChangesWiden) {
  PurposeIn(*before_tree_, "marketing_communications").channels = {"email"};
  PurposeIn(*after_tree_, "location_advertising").required_purposes = {"advertising"};
  PurposeIn(*after_tree_, "academic_research").refusable = false;
  PurposeIn(*after_tree_, "analytics").legal_basis = fb::LegalBasis::Contract;
  const PolicyDiff diff = Diff();
  EXPECT_THAT(ReasonsFor(diff, "marketing_communications"),
              ElementsAre("now uses channel 'push'", "now uses channel 'in_app_other'"));
  EXPECT_THAT(ReasonsFor(diff, "location_advertising"),
              ElementsAre("no longer requires purpose 'location_features'"));
  EXPECT_THAT(ReasonsFor(diff, "academic_research"), ElementsAre("is no longer refusable"));
  EXPECT_THAT(ReasonsFor(diff, "analytics"),
              ElementsAre("legal basis changed from legitimate_interest to contract"));
}

// A purpose that was off until the user turned it on, and is now on unless the user turns it off,
// covers every user who never decided: its scope widened for them.
TEST_F(PolicyDiffTest, BecomingGrantedByDefaultWidens) {
  PurposeIn(*before_tree_, "analytics").default_state = fb::DefaultState::Denied;
  PurposeIn(*before_tree_, "service_communications").default_state = fb::DefaultState::Granted;
  PurposeIn(*after_tree_, "service_communications").default_state = fb::DefaultState::Denied;
  const PolicyDiff diff = Diff();
  EXPECT_THAT(ReasonsFor(diff, "analytics"), ElementsAre("is now granted by default"));
  EXPECT_FALSE(diff.IsWidened("service_communications")) << "denied by default narrows";
}

TEST_F(PolicyDiffTest, RecipientLosingItsSafeguardWidens) {
  RecipientIn(*after_tree_, "business_purchasers").requires_notice = false;
  const PolicyDiff diff = Diff();
  EXPECT_THAT(ReasonsFor(diff, "business_transfer"),
              ElementsAre("recipient 'business_purchasers' no longer requires notice to the user"));
}

TEST_F(PolicyDiffTest, AddedAndRemovedEntries) {
  auto purpose = std::make_unique<fb::PurposeT>(PurposeIn(*after_tree_, "analytics"));
  purpose->id = "podcast_recommendations";
  purpose->legal_basis = fb::LegalBasis::Consent;
  purpose->default_state = fb::DefaultState::Denied;
  after_tree_->purposes.push_back(std::move(purpose));
  // other_legitimate_business is removed; take it out of the controller's grant too.
  auto& ps = after_tree_->purposes;
  ps.erase(std::remove_if(ps.begin(), ps.end(),
                          [](const auto& p) { return p->id == "other_legitimate_business"; }),
           ps.end());
  for (auto& grant : RecipientIn(*after_tree_, "controller").grants) {
    auto& gp = grant->purposes;
    gp.erase(std::remove(gp.begin(), gp.end(), "other_legitimate_business"), gp.end());
  }
  auto channel = std::make_unique<fb::ChannelT>(*after_tree_->channels[0]);
  channel->id = "sms";
  after_tree_->channels.push_back(std::move(channel));
  const PolicyDiff diff = Diff();
  EXPECT_THAT(diff.added_purposes, ElementsAre("podcast_recommendations"));
  EXPECT_THAT(diff.removed_purposes, ElementsAre("other_legitimate_business"));
  EXPECT_THAT(diff.added_channels, ElementsAre("sms"));
  EXPECT_THAT(diff.removed_channels, IsEmpty());
  EXPECT_THAT(diff.PurposesNeedingConsent(), ElementsAre("podcast_recommendations"));
}

TEST_F(PolicyDiffTest, ControllerChange) {
  after_tree_->controller->name = "Buyer Holdings B.V.";
  const PolicyDiff diff = Diff();
  EXPECT_TRUE(diff.controller_changed);
  EXPECT_EQ(diff.old_controller, "Spotify USA Inc.");
  EXPECT_EQ(diff.new_controller, "Buyer Holdings B.V.");
  EXPECT_THAT(diff.widened_purposes, IsEmpty());
}

}  // namespace
}  // namespace tacet::policy
