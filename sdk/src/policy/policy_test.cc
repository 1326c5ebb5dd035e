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
std::vector<std::string> Ids(const List& list) {
  std::vector<std::string> ids;
  for (const auto& entry : list) ids.emplace_back(entry.id);
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
  EXPECT_EQ(policy->model().controller.name, "Spotify USA Inc.");
  EXPECT_EQ(policy->model().privacy_contact.email, "privacy@spotify.com");
  EXPECT_EQ(policy->model().privacy_contact.postal_address.postal_code, "10007");
}

TEST(EmbeddedPolicy, LoadFileOfTheBinaryGivesTheSamePolicy) {
  ASSERT_OK_AND_ASSIGN(auto policy, Policy::LoadFile(TACET_POLICY_BIN));
  EXPECT_EQ(policy->bytes().ToBytes(), EmbeddedPolicyBytes().ToBytes());
}

// Issue 3 names these; the shipped policy must model each.
TEST(EmbeddedPolicy, ModelsEveryCategoryPurposeRecipientAndChannelOfTheSeed) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  const PolicyModel& root = policy->model();
  EXPECT_THAT(Ids(root.categories),
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
  EXPECT_THAT(Ids(root.channels), UnorderedElementsAreArray({"email", "push", "in_app_other"}));
  EXPECT_THAT(Ids(root.rights),
              UnorderedElementsAreArray({"edit_personal_information", "change_history",
                                         "correct_changed_information", "request_copy",
                                         "request_correction"}));
  EXPECT_THAT(Ids(root.security_measures),
              UnorderedElementsAreArray({"organisational_measures", "pseudonymisation",
                                         "encryption", "access_control", "retention"}));
}

TEST(EmbeddedPolicy, PublicProfileHasTheFivePublicFields) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  const Category* profile = policy->FindCategory("public_profile");
  ASSERT_NE(profile, nullptr);
  EXPECT_TRUE(profile->is_public);
  std::vector<std::string> fields;
  for (const Field& field : profile->fields) {
    EXPECT_TRUE(field.is_public) << field.id;
    fields.emplace_back(field.id);
  }
  EXPECT_THAT(fields, UnorderedElementsAreArray({"name_or_username", "profile_picture",
                                                 "follow_graph", "recently_played_artists",
                                                 "public_playlists"}));
  // No other category is public.
  for (const Category& category : policy->model().categories) {
    if (&category != profile) {
      EXPECT_FALSE(category.is_public) << category.id;
    }
  }
}

TEST(EmbeddedPolicy, OptionalCategoriesSayWhatIsLostWithoutThem) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  const Category* voice = policy->FindCategory("voice");
  ASSERT_NE(voice, nullptr);
  EXPECT_TRUE(voice->optional);
  ASSERT_FALSE(voice->features_unavailable_without.empty());
  EXPECT_EQ(voice->features_unavailable_without[0], "voice_features");
  for (const char* id : {"payment", "billing", "contest_answers"}) {
    EXPECT_TRUE(policy->FindCategory(id)->optional) << id;
  }
  for (const char* id : {"name", "contact", "usage"}) {
    EXPECT_FALSE(policy->FindCategory(id)->optional) << id;
  }
}

TEST(EmbeddedPolicy, ConsentPurposesAreDeniedByDefaultAndMarketingHasEveryChannel) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  for (const char* id : {"marketing_communications", "voice_features", "location_features",
                         "advertising", "location_advertising"}) {
    const Purpose* purpose = policy->FindPurpose(id);
    ASSERT_NE(purpose, nullptr) << id;
    EXPECT_EQ(purpose->legal_basis, LegalBasis::kConsent) << id;
    EXPECT_EQ(purpose->default_state, DefaultState::kDenied) << id;
    EXPECT_TRUE(purpose->refusable) << id;
  }
  const Purpose* marketing = policy->FindPurpose("marketing_communications");
  std::vector<std::string> channels(marketing->channels.begin(), marketing->channels.end());
  EXPECT_THAT(channels, UnorderedElementsAreArray({"email", "push", "in_app_other"}));
  const Purpose* location_ads = policy->FindPurpose("location_advertising");
  std::vector<std::string> required(location_ads->required_purposes.begin(),
                                    location_ads->required_purposes.end());
  EXPECT_THAT(required, UnorderedElementsAreArray({"location_features", "advertising"}));
}

// The model other modules read is the flatbuffer, value for value: every entry of every list, in
// the same order, with every field the schema has.
TEST(PolicyModelTest, MirrorsTheFlatbufferEntryForEntry) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  const fb::Policy& fbp = *fb::GetPolicy(policy->bytes().data());
  const PolicyModel& m = policy->model();
  auto text = [](const flatbuffers::String* s) { return s == nullptr ? std::string() : s->str(); };
  auto texts = [&](const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list) {
    std::vector<std::string> out;
    if (list != nullptr) {
      for (const flatbuffers::String* s : *list) out.push_back(s->str());
    }
    return out;
  };
  auto views = [](const std::vector<std::string_view>& list) {
    return std::vector<std::string>(list.begin(), list.end());
  };
  auto address = [&](const PostalAddress& a, const fb::PostalAddress* b) {
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(a.organisation, text(b->organisation()));
    EXPECT_EQ(a.street, text(b->street()));
    EXPECT_EQ(a.floor, text(b->floor()));
    EXPECT_EQ(a.city, text(b->city()));
    EXPECT_EQ(a.region, text(b->region()));
    EXPECT_EQ(a.postal_code, text(b->postal_code()));
    EXPECT_EQ(a.country, text(b->country()));
    EXPECT_FALSE(a.empty());
  };
  EXPECT_EQ(m.id, text(fbp.id()));
  EXPECT_EQ(m.version, fbp.version());
  EXPECT_EQ(m.effective_date, text(fbp.effective_date()));
  EXPECT_EQ(m.title, text(fbp.title()));
  EXPECT_EQ(m.controller.name, text(fbp.controller()->name()));
  address(m.controller.address, fbp.controller()->address());
  EXPECT_EQ(m.privacy_contact.email, text(fbp.privacy_contact()->email()));
  address(m.privacy_contact.postal_address, fbp.privacy_contact()->postal_address());
  EXPECT_EQ(views(m.statements), texts(fbp.statements()));

  ASSERT_EQ(m.categories.size(), fbp.categories()->size());
  for (size_t i = 0; i < m.categories.size(); ++i) {
    const Category& a = m.categories[i];
    const fb::Category& b = *fbp.categories()->Get(static_cast<flatbuffers::uoffset_t>(i));
    EXPECT_EQ(a.id, text(b.id()));
    EXPECT_EQ(a.display_name, text(b.display_name()));
    EXPECT_EQ(a.description, text(b.description()));
    EXPECT_EQ(static_cast<int>(a.sensitivity), static_cast<int>(b.sensitivity())) << a.id;
    EXPECT_EQ(a.optional, b.optional()) << a.id;
    EXPECT_EQ(a.is_public, b.is_public()) << a.id;
    EXPECT_EQ(a.retention_days, b.retention_days()) << a.id;
    EXPECT_EQ(a.source, text(b.source()));
    EXPECT_EQ(views(a.features_unavailable_without), texts(b.features_unavailable_without()));
    ASSERT_EQ(a.fields.size(), b.fields()->size()) << a.id;
    for (size_t f = 0; f < a.fields.size(); ++f) {
      const fb::Field& bf = *b.fields()->Get(static_cast<flatbuffers::uoffset_t>(f));
      EXPECT_EQ(a.fields[f].id, text(bf.id()));
      EXPECT_EQ(a.fields[f].display_name, text(bf.display_name()));
      EXPECT_EQ(a.fields[f].is_public, bf.is_public());
      EXPECT_EQ(a.fields[f].source, text(bf.source()));
    }
  }
  ASSERT_EQ(m.purposes.size(), fbp.purposes()->size());
  for (size_t i = 0; i < m.purposes.size(); ++i) {
    const Purpose& a = m.purposes[i];
    const fb::Purpose& b = *fbp.purposes()->Get(static_cast<flatbuffers::uoffset_t>(i));
    EXPECT_EQ(a.id, text(b.id()));
    EXPECT_EQ(a.display_name, text(b.display_name()));
    EXPECT_EQ(a.description, text(b.description()));
    EXPECT_EQ(static_cast<int>(a.legal_basis), static_cast<int>(b.legal_basis())) << a.id;
    EXPECT_EQ(a.refusable, b.refusable()) << a.id;
    EXPECT_EQ(static_cast<int>(a.default_state), static_cast<int>(b.default_state())) << a.id;
    EXPECT_EQ(views(a.categories), texts(b.categories()));
    EXPECT_EQ(views(a.channels), texts(b.channels()));
    EXPECT_EQ(views(a.required_purposes), texts(b.required_purposes()));
    EXPECT_EQ(a.source, text(b.source()));
  }
  ASSERT_EQ(m.recipients.size(), fbp.recipients()->size());
  for (size_t i = 0; i < m.recipients.size(); ++i) {
    const Recipient& a = m.recipients[i];
    const fb::Recipient& b = *fbp.recipients()->Get(static_cast<flatbuffers::uoffset_t>(i));
    EXPECT_EQ(a.id, text(b.id()));
    EXPECT_EQ(a.display_name, text(b.display_name()));
    EXPECT_EQ(a.description, text(b.description()));
    EXPECT_EQ(views(a.conditions), texts(b.conditions()));
    EXPECT_EQ(a.pseudonymised_only, b.pseudonymised_only()) << a.id;
    EXPECT_EQ(a.requires_notice, b.requires_notice()) << a.id;
    EXPECT_EQ(a.legal_process_only, b.legal_process_only()) << a.id;
    EXPECT_EQ(a.source, text(b.source()));
    ASSERT_EQ(a.grants.size(), b.grants()->size()) << a.id;
    for (size_t g = 0; g < a.grants.size(); ++g) {
      const fb::Grant& bg = *b.grants()->Get(static_cast<flatbuffers::uoffset_t>(g));
      EXPECT_EQ(a.grants[g].category, text(bg.category()));
      EXPECT_EQ(views(a.grants[g].purposes), texts(bg.purposes()));
      EXPECT_EQ(static_cast<int>(a.grants[g].transform), static_cast<int>(bg.transform()));
    }
  }
  ASSERT_EQ(m.channels.size(), fbp.channels()->size());
  for (size_t i = 0; i < m.channels.size(); ++i) {
    const fb::Channel& b = *fbp.channels()->Get(static_cast<flatbuffers::uoffset_t>(i));
    EXPECT_EQ(m.channels[i].id, text(b.id()));
    EXPECT_EQ(m.channels[i].display_name, text(b.display_name()));
    EXPECT_EQ(m.channels[i].description, text(b.description()));
    EXPECT_EQ(m.channels[i].source, text(b.source()));
  }
  ASSERT_EQ(m.rights.size(), fbp.rights()->size());
  for (size_t i = 0; i < m.rights.size(); ++i) {
    const fb::Right& b = *fbp.rights()->Get(static_cast<flatbuffers::uoffset_t>(i));
    EXPECT_EQ(m.rights[i].id, text(b.id()));
    EXPECT_EQ(static_cast<int>(m.rights[i].kind), static_cast<int>(b.kind()));
    EXPECT_EQ(m.rights[i].description, text(b.description()));
    EXPECT_EQ(m.rights[i].self_service, b.self_service());
    EXPECT_EQ(m.rights[i].via_privacy_contact, b.via_privacy_contact());
    EXPECT_EQ(m.rights[i].source, text(b.source()));
  }
  ASSERT_EQ(m.security_measures.size(), fbp.security_measures()->size());
  for (size_t i = 0; i < m.security_measures.size(); ++i) {
    const fb::SecurityMeasure& b = *fbp.security_measures()->Get(static_cast<flatbuffers::uoffset_t>(i));
    EXPECT_EQ(m.security_measures[i].id, text(b.id()));
    EXPECT_EQ(static_cast<int>(m.security_measures[i].kind), static_cast<int>(b.kind()));
    EXPECT_EQ(m.security_measures[i].description, text(b.description()));
    EXPECT_EQ(m.security_measures[i].source, text(b.source()));
  }
  // The views point into the policy's own copy of the bytes, not into a caller's buffer.
  const ByteView bytes = policy->bytes();
  const auto inside = [&](std::string_view v) {
    return v.data() >= reinterpret_cast<const char*>(bytes.data()) &&
           v.data() + v.size() <= reinterpret_cast<const char*>(bytes.data() + bytes.size());
  };
  EXPECT_TRUE(inside(m.id));
  EXPECT_TRUE(inside(m.categories.back().fields.back().id));
}

// Absent optional strings, tables and lists read as empty values, never as dangling views.
TEST(PolicyModelTest, AbsentEntriesReadAsEmpty) {
  auto tree = testing::ShippedPolicyT();
  tree->statements.clear();
  tree->privacy_contact->postal_address.reset();
  tree->categories.front()->description.clear();
  ASSERT_OK_AND_ASSIGN(auto policy, Policy::Load(testing::Pack(*tree)));
  EXPECT_TRUE(policy->model().statements.empty());
  EXPECT_TRUE(policy->model().privacy_contact.postal_address.empty());
  EXPECT_TRUE(policy->model().categories.front().description.empty());
  EXPECT_FALSE(policy->model().controller.address.empty());
}

TEST(EmbeddedPolicy, RecipientRestrictionsFromTheSeed) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  EXPECT_TRUE(policy->FindRecipient("music_industry_partners")->pseudonymised_only);
  EXPECT_TRUE(policy->FindRecipient("academic_researchers")->pseudonymised_only);
  EXPECT_TRUE(policy->FindRecipient("law_enforcement_and_authorities")->legal_process_only);
  EXPECT_TRUE(policy->FindRecipient("business_purchasers")->requires_notice);
  EXPECT_FALSE(policy->FindRecipient("payment_processors")->pseudonymised_only);
}

TEST(PolicyQueries, MayUseAllowsOnlyWhatThePurposeLists) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  Decision d = policy->MayUse("voice", "voice_features");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kAllowed);
  EXPECT_EQ(d.transform, Transform::kNone);

  d = policy->MayUse("voice", "advertising");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kPurposeDoesNotUseCategory);
  EXPECT_EQ(d.transform, Transform::kDrop);

  EXPECT_EQ(policy->MayUse("gps", "analytics").reason, DecisionReason::kUnknownCategory);
  EXPECT_EQ(policy->MayUse("usage", "mining").reason, DecisionReason::kUnknownPurpose);
  EXPECT_FALSE(policy->MayUse("", "").allowed);
}

TEST(PolicyQueries, DisclosureSaysInWhichForm) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  Decision d = policy->Disclosure("usage", "academic_research", "academic_researchers");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.transform, Transform::kPseudonymise);

  d = policy->Disclosure("location", "location_advertising", "advertising_partners");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.transform, Transform::kCoarsen);

  d = policy->Disclosure("payment", "payments_and_fraud_prevention", "payment_processors");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.transform, Transform::kNone);
}

TEST(PolicyQueries, DisclosureDeniesByDefault) {
  auto policy = Shipped();
  ASSERT_NE(policy, nullptr);
  // The purpose uses the category, but the recipient has no grant for it.
  Decision d = policy->Disclosure("voice", "voice_features", "advertising_partners");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, DecisionReason::kRecipientNotGranted);
  EXPECT_EQ(d.transform, Transform::kDrop);
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
  EXPECT_EQ(d.transform, Transform::kNone);
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
  EXPECT_EQ(d.transform, Transform::kDrop);
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
  // Every value the schema has, as the model's enum (policy.cc asserts the numbers agree).
  std::vector<Transform> transforms;
  for (fb::Transform t : fb::EnumValuesTransform()) transforms.push_back(static_cast<Transform>(t));
  std::vector<LegalBasis> bases;
  for (fb::LegalBasis b : fb::EnumValuesLegalBasis()) bases.push_back(static_cast<LegalBasis>(b));
  ExpectRoundTrip<Transform>(kTransformNames, transforms, TransformName);
  ExpectRoundTrip<LegalBasis>(kLegalBasisNames, bases, LegalBasisName);
  EXPECT_STREQ(DecisionReasonName(static_cast<DecisionReason>(8)), "unknown");
  EXPECT_STREQ(TransformName(static_cast<Transform>(5)), "unknown");
  EXPECT_STREQ(LegalBasisName(static_cast<LegalBasis>(4)), "unknown");
}

}  // namespace
}  // namespace tacet::policy
