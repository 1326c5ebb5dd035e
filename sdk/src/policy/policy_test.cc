#include "policy/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "policy/embedded_policy.h"
#include "policy/policy_test_util.h"
#include "testing/test_util.h"

namespace tacet::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

std::shared_ptr<const Policy> Shipped() {
  auto policy = Policy::LoadEmbedded();
  EXPECT_OK(policy);
  return policy.ok() ? *policy : nullptr;
}

template <typename List>
std::vector<std::string> Ids(const List* list) {
  std::vector<std::string> ids;
  for (const auto* entry : *list) ids.push_back(entry->id()->str());
  return ids;
}

TEST(EmbeddedPolicy, IsTheCompiledShippedFile) {
  const Bytes file = tacet::testing::ReadFileOrDie(TACET_POLICY_BIN);
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(EmbeddedPolicyBytes().ToBytes(), file);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(EmbeddedPolicyBytes().data()) % 8, 0u);
}

TEST(EmbeddedPolicy, LoadsAndValidates) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->id(), "streaming_service");
  EXPECT_GE(policy->version(), 1u);
  EXPECT_EQ(policy->root().controller()->name()->str(), "Spotify USA Inc.");
  EXPECT_EQ(policy->root().privacy_contact()->email()->str(), "privacy@spotify.com");
  EXPECT_EQ(policy->root().privacy_contact()->postal_address()->postal_code()->str(), "10007");
}

TEST(EmbeddedPolicy, LoadFileOfTheBinaryGivesTheSamePolicy) {
  ASSERT_OK_AND_ASSIGN(auto policy, Policy::LoadFile(TACET_POLICY_BIN));
  EXPECT_EQ(policy->bytes().ToBytes(), EmbeddedPolicyBytes().ToBytes());
}

// Issue 3 names these; the shipped policy must model each.
TEST(EmbeddedPolicy, ModelsEveryCategoryPurposeRecipientAndChannelOfTheSeed) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  const fb::Policy& root = policy->root();
  EXPECT_THAT(Ids(root.categories()),
              UnorderedElementsAreArray({"name", "contact", "usage", "billing", "payment", "voice",
                                         "location", "contest_answers", "public_profile"}));
  for (const char* purpose :
       {"provide_service", "analytics", "service_communications", "payments_and_fraud_prevention",
        "marketing_communications", "location_features", "location_advertising",
        "other_legitimate_business", "advertising", "voice_features", "academic_research",
        "legal_obligation", "business_transfer"}) {
    EXPECT_NE(policy->FindPurpose(purpose), nullptr) << purpose;
  }
  for (const char* recipient :
       {"service_providers", "payment_processors", "advertising_partners", "signup_partners",
        "music_industry_partners", "academic_researchers", "group_companies",
        "law_enforcement_and_authorities", "business_purchasers"}) {
    EXPECT_NE(policy->FindRecipient(recipient), nullptr) << recipient;
  }
  EXPECT_THAT(Ids(root.channels()), UnorderedElementsAreArray({"email", "push", "in_app_other"}));
  EXPECT_THAT(Ids(root.rights()),
              UnorderedElementsAreArray({"edit_personal_information", "change_history",
                                         "correct_changed_information", "request_copy",
                                         "request_correction"}));
  EXPECT_THAT(Ids(root.security_measures()),
              UnorderedElementsAreArray({"organisational_measures", "pseudonymisation",
                                         "encryption", "access_control", "retention"}));
}

TEST(EmbeddedPolicy, PublicProfileHasTheFivePublicFields) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  const fb::Category* profile = policy->FindCategory("public_profile");
  ASSERT_NE(profile, nullptr);
  EXPECT_TRUE(profile->is_public());
  std::vector<std::string> fields;
  for (const fb::Field* field : *profile->fields()) {
    EXPECT_TRUE(field->is_public()) << field->id()->str();
    fields.push_back(field->id()->str());
  }
  EXPECT_THAT(fields, UnorderedElementsAreArray({"name_or_username", "profile_picture",
                                                 "follow_graph", "recently_played_artists",
                                                 "public_playlists"}));
  // No other category is public.
  for (const fb::Category* category : *policy->root().categories()) {
    if (category != profile) {
      EXPECT_FALSE(category->is_public()) << category->id()->str();
    }
  }
}

TEST(EmbeddedPolicy, OptionalCategoriesSayWhatIsLostWithoutThem) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  const fb::Category* voice = policy->FindCategory("voice");
  ASSERT_NE(voice, nullptr);
  EXPECT_TRUE(voice->optional());
  ASSERT_NE(voice->features_unavailable_without(), nullptr);
  EXPECT_EQ(voice->features_unavailable_without()->Get(0)->str(), "voice_features");
  for (const char* id : {"payment", "billing", "contest_answers"}) {
    EXPECT_TRUE(policy->FindCategory(id)->optional()) << id;
  }
  for (const char* id : {"name", "contact", "usage"}) {
    EXPECT_FALSE(policy->FindCategory(id)->optional()) << id;
  }
}

TEST(EmbeddedPolicy, ConsentPurposesAreDeniedByDefaultAndMarketingHasEveryChannel) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  for (const char* id : {"marketing_communications", "voice_features", "location_features",
                         "advertising", "location_advertising"}) {
    const fb::Purpose* purpose = policy->FindPurpose(id);
    ASSERT_NE(purpose, nullptr) << id;
    EXPECT_EQ(purpose->legal_basis(), fb::LegalBasis::Consent) << id;
    EXPECT_EQ(purpose->default_state(), fb::DefaultState::Denied) << id;
    EXPECT_TRUE(purpose->refusable()) << id;
  }
  const fb::Purpose* marketing = policy->FindPurpose("marketing_communications");
  std::vector<std::string> channels;
  for (const auto* channel : *marketing->channels()) channels.push_back(channel->str());
  EXPECT_THAT(channels, UnorderedElementsAreArray({"email", "push", "in_app_other"}));
  const fb::Purpose* location_ads = policy->FindPurpose("location_advertising");
  std::vector<std::string> required;
  for (const auto* id : *location_ads->required_purposes()) required.push_back(id->str());
  EXPECT_THAT(required, UnorderedElementsAreArray({"location_features", "advertising"}));
}

TEST(EmbeddedPolicy, RecipientRestrictionsFromTheSeed) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->FindRecipient("music_industry_partners")->pseudonymised_only());
  EXPECT_TRUE(policy->FindRecipient("academic_researchers")->pseudonymised_only());
  EXPECT_TRUE(policy->FindRecipient("law_enforcement_and_authorities")->legal_process_only());
  EXPECT_TRUE(policy->FindRecipient("business_purchasers")->requires_notice());
  EXPECT_FALSE(policy->FindRecipient("payment_processors")->pseudonymised_only());
}

TEST(PolicyQueries, MayUseAllowsOnlyWhatThePurposeLists) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  Decision d = policy->MayUse("voice", "voice_features");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kAllowed);
  EXPECT_EQ(d.transform, fb::Transform::None);

  d = policy->MayUse("voice", "advertising");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kPurposeDoesNotUseCategory);
  EXPECT_EQ(d.transform, fb::Transform::Drop);

  EXPECT_EQ(policy->MayUse("gps", "analytics").reason, DecisionReason::kUnknownCategory);
  EXPECT_EQ(policy->MayUse("usage", "mining").reason, DecisionReason::kUnknownPurpose);
  EXPECT_FALSE(policy->MayUse("", "").allowed);
}

TEST(PolicyQueries, DisclosureSaysInWhichForm) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  Decision d = policy->Disclosure("usage", "academic_research", "academic_researchers");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.transform, fb::Transform::Pseudonymise);

  d = policy->Disclosure("location", "location_advertising", "advertising_partners");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.transform, fb::Transform::Coarsen);

  d = policy->Disclosure("payment", "payments_and_fraud_prevention", "payment_processors");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.transform, fb::Transform::None);
}

TEST(PolicyQueries, DisclosureDeniesByDefault) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  // The purpose uses the category, but the recipient has no grant for it.
  Decision d = policy->Disclosure("voice", "voice_features", "advertising_partners");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kRecipientNotGranted);
  EXPECT_EQ(d.transform, fb::Transform::Drop);
  // Payment data never goes to advertisers, whatever the purpose.
  EXPECT_FALSE(policy->Disclosure("payment", "advertising", "advertising_partners").allowed);
  EXPECT_EQ(policy->Disclosure("usage", "analytics", "data_broker").reason,
            DecisionReason::kUnknownRecipient);
  EXPECT_EQ(policy->Disclosure("usage", "resale", "advertising_partners").reason,
            DecisionReason::kUnknownPurpose);
  EXPECT_EQ(policy->Disclosure("dna", "analytics", "advertising_partners").reason,
            DecisionReason::kUnknownCategory);
}

TEST(PolicyQueries, NoticeAndLegalProcessRecipientsNeedTheCallerToVouch) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  Decision d = policy->Disclosure("usage", "business_transfer", "business_purchasers");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kNoticeRequired);
  EXPECT_STREQ(DecisionReasonName(d.reason), "notice_required");
  EXPECT_TRUE(policy->Disclosure("usage", "business_transfer", "business_purchasers",
                                 {/*user_notified=*/true, /*valid_legal_process=*/false})
                  .allowed);

  d = policy->Disclosure("location", "legal_obligation", "law_enforcement_and_authorities");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kLegalProcessRequired);
  EXPECT_FALSE(policy->Disclosure("location", "legal_obligation", "law_enforcement_and_authorities",
                                  {/*user_notified=*/true, /*valid_legal_process=*/false})
                   .allowed);
  d = policy->Disclosure("location", "legal_obligation", "law_enforcement_and_authorities",
                         {/*user_notified=*/false, /*valid_legal_process=*/true});
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.transform, fb::Transform::None);
}

TEST(PolicyQueries, HashIsSha256OfTheBytes) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->hash(), crypto::Sha256(EmbeddedPolicyBytes()));
  auto tree = testing::ShippedPolicyT();
  tree->version = 2;
  ASSERT_OK_AND_ASSIGN(auto other, Policy::Load(testing::Pack(*tree)));
  EXPECT_NE(other->hash(), policy->hash());
}

TEST(PolicyQueries, ADropGrantIsADenial) {
  auto tree = testing::ShippedPolicyT();
  testing::RecipientIn(*tree, "group_companies").grants.back()->transform = fb::Transform::Drop;
  ASSERT_OK_AND_ASSIGN(auto policy, Policy::Load(testing::Pack(*tree)));
  const Decision d = policy->Disclosure("billing", "provide_service", "group_companies");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.transform, fb::Transform::Drop);
}

TEST(PolicyLoad, RejectsTruncationAtAnyPoint) {
  const ByteView full = EmbeddedPolicyBytes();
  // flatc ends the buffer with the policy id string and then alignment padding; cutting only
  // padding loses nothing. Every cut into data must be refused.
  const flatbuffers::String* id = fb::GetPolicy(full.data())->id();
  const size_t data_end = static_cast<size_t>(id->c_str() - reinterpret_cast<const char*>(full.data())) +
                          id->size() + 1;
  ASSERT_LE(full.size() - data_end, 3u) << "the id string is the last item of the buffer";
  std::vector<size_t> lengths;
  for (size_t len = 0; len < data_end; len += 7) lengths.push_back(len);
  for (size_t len = data_end - 16; len < data_end; ++len) lengths.push_back(len);
  for (size_t len : lengths) {
    auto policy = Policy::Load(full.subview(0, len));
    EXPECT_THAT(policy, StatusIs(StatusCode::kInvalidArgument)) << "length " << len;
  }
}

TEST(PolicyLoad, RejectsRandomBytes) {
  std::mt19937 rng(1234);  // deterministic test data, not security-relevant
  for (int round = 0; round < 200; ++round) {
    Bytes bytes(static_cast<size_t>(rng() % 4096));
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    EXPECT_THAT(Policy::Load(bytes), StatusIs(StatusCode::kInvalidArgument));
  }
  // Random bytes behind the right identifier are still refused, by the Verifier.
  Bytes bytes(2048);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  bytes[0] = 8;
  bytes[1] = bytes[2] = bytes[3] = 0;
  bytes[4] = 'T', bytes[5] = 'P', bytes[6] = 'O', bytes[7] = 'L';
  EXPECT_THAT(Policy::Load(bytes), StatusIs(StatusCode::kInvalidArgument, HasSubstr("corrupt")));
}

TEST(PolicyLoad, RejectsAnotherFileType) {
  Bytes bytes = EmbeddedPolicyBytes().ToBytes();
  bytes[4] = 'X';
  EXPECT_THAT(Policy::Load(bytes),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("file identifier is not 'TPOL'")));
}

TEST(PolicyLoad, RejectsOversizedInputBeforeParsing) {
  Bytes bytes = EmbeddedPolicyBytes().ToBytes();
  bytes.resize(5 * kMaxPolicyBytes);
  EXPECT_THAT(Policy::Load(bytes),
              StatusIs(StatusCode::kResourceExhausted,
                       HasSubstr("policy is 5242880 bytes (5.0 MiB), larger than the 1 MiB limit")));

  tacet::testing::TempDir dir;
  tacet::testing::WriteFileOrDie(dir.File("big.bin"), bytes);
  EXPECT_THAT(Policy::LoadFile(dir.File("big.bin")),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("big.bin")));
}

TEST(PolicyLoad, MissingFileIsNotFound) {
  EXPECT_THAT(Policy::LoadFile("/nonexistent/policy.bin"), StatusIs(StatusCode::kNotFound));
}

TEST(PolicyLoad, InvalidPolicyMessageNamesThePolicyAndEveryProblem) {
  auto tree = testing::ShippedPolicyT();
  testing::CategoryIn(*tree, "voice").retention_days = 0;
  testing::PurposeIn(*tree, "advertising").default_state = fb::DefaultState::Granted;
  auto policy = Policy::Load(testing::Pack(*tree));
  EXPECT_THAT(policy, StatusIs(StatusCode::kInvalidArgument,
                               HasSubstr("policy 'streaming_service' version 1 has 2 problems")));
  EXPECT_THAT(policy, StatusIs(StatusCode::kInvalidArgument, HasSubstr("category 'voice'")));
  EXPECT_THAT(policy, StatusIs(StatusCode::kInvalidArgument, HasSubstr("purpose 'advertising'")));
}

// Every enumerator has a distinct name that parses back through the same table; the tables have
// no other rows. DecisionReason's enumerators are listed by hand; Transform's and LegalBasis's come
// from the flatbuffers schema (EnumValues...), so a value added to the schema without a name fails.
template <typename Enum, typename Table, typename List, typename NameFn>
void ExpectRoundTrip(const Table& table, const List& all, NameFn name_of) {
  std::set<std::string> names;
  for (Enum value : all) {
    const std::string name = name_of(value);
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(ParseName(table, name), value) << name;
  }
  EXPECT_EQ(std::size(table), std::size(all));
}

TEST(PolicyNamesTest, EveryEnumeratorRoundTrips) {
  const DecisionReason reasons[] = {
      DecisionReason::kAllowed,           DecisionReason::kUnknownCategory,
      DecisionReason::kUnknownPurpose,    DecisionReason::kUnknownRecipient,
      DecisionReason::kPurposeDoesNotUseCategory, DecisionReason::kRecipientNotGranted,
      DecisionReason::kNoticeRequired,    DecisionReason::kLegalProcessRequired};
  ExpectRoundTrip<DecisionReason>(kDecisionReasonNames, reasons, DecisionReasonName);
  ExpectRoundTrip<fb::Transform>(kTransformNames, fb::EnumValuesTransform(), TransformName);
  ExpectRoundTrip<fb::LegalBasis>(kLegalBasisNames, fb::EnumValuesLegalBasis(), LegalBasisName);
  EXPECT_STREQ(DecisionReasonName(static_cast<DecisionReason>(8)), "unknown");
  EXPECT_STREQ(TransformName(static_cast<fb::Transform>(5)), "unknown");
  EXPECT_STREQ(LegalBasisName(static_cast<fb::LegalBasis>(4)), "unknown");
}

}  // namespace
}  // namespace tacet::policy
