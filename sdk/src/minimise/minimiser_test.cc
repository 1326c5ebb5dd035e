#include "minimise/minimiser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "consent/consent_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::minimise {
namespace {

using consent::ConsentState;
using consent::DecisionSource;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

Bytes Secret() {
  Bytes s(32);
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(i);
  return s;
}

outbox::Event MakeEvent(std::string purpose, std::vector<outbox::EventField> fields) {
  outbox::Event e;
  e.purpose = std::move(purpose);
  e.fields = std::move(fields);
  e.occurred_unix_ms = kNow + 1234;  // 22:13:21.234
  return e;
}

class MinimiserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(m_, Minimiser::Create(h_.policy(), Secret()));
  }
  MinimisedEvent For(std::string_view recipient, const outbox::Event& e, bool notice = false) {
    auto out = m_->ForRecipient(h_.snapshot(), recipient, e, kNow, notice);
    EXPECT_OK(out.status());
    return out.ok() ? *out : MinimisedEvent{};
  }
  consent::testing::LedgerHarness h_;
  std::unique_ptr<Minimiser> m_;
};

TEST_F(MinimiserTest, TheServiceProviderGetsTheContactItNeedsAsIsAndTheTimeIsBucketed) {
  const auto e = MakeEvent("provide_service", {{"contact.email_address", "ada@example.org"}});
  const MinimisedEvent out = For("service_providers", e);
  ASSERT_THAT(out.fields, SizeIs(1));
  EXPECT_EQ(out.fields[0].value, "ada@example.org");
  EXPECT_EQ(out.fields[0].form, policy::Transform::kNone);
  EXPECT_EQ(out.time_s, 1'699'999'200);  // 22:00:00, the hour the event happened in
}

TEST_F(MinimiserTest, MusicIndustryPartnersGetOnlyUsageForContentReportingUnderAPseudonym) {
  const auto e = MakeEvent("content_performance_reporting",
                           {{"usage.listening_history", "track 42"},
                            {"contact.email_address", "ada@example.org"}});
  const MinimisedEvent out = For("music_industry_partners", e);
  ASSERT_THAT(out.fields, SizeIs(1));
  EXPECT_EQ(out.fields[0].key, "usage.listening_history");
  EXPECT_EQ(out.fields[0].value, "track 42");  // content, not an identifier
  EXPECT_EQ(out.dropped, 1);                   // the e-mail address never goes there
  // For another purpose, nothing.
  EXPECT_THAT(For("music_industry_partners",
                  MakeEvent("analytics", {{"usage.listening_history", "track 42"}}))
                  .fields,
              IsEmpty());
}

TEST_F(MinimiserTest, IdentifiersArePseudonymisedPerRecipientUnderAPseudonymiseGrant) {
  // service_providers get usage for marketing pseudonymised; a user id in an identifying field is
  // replaced, and two recipients' pseudonyms differ.
  ASSERT_OK(h_.ledger().SetPurpose("marketing_communications", ConsentState::kGranted,
                                   DecisionSource::kUser));
  EXPECT_TRUE(IsIdentifyingField("contact.email_address"));
  EXPECT_FALSE(IsIdentifyingField("usage.listening_history"));
  ASSERT_OK_AND_ASSIGN(Bytes a, m_->Subject("service_providers", kNow));
  ASSERT_OK_AND_ASSIGN(Bytes b, m_->Subject("advertising_partners", kNow));
  ASSERT_OK_AND_ASSIGN(Bytes a_next_period, m_->Subject("service_providers", kNow + 31LL * 86400000));
  ASSERT_OK_AND_ASSIGN(Bytes a_same_period, m_->Subject("service_providers", kNow + 60000));
  EXPECT_THAT(a, SizeIs(kPseudonymSize));
  EXPECT_NE(a, b);
  EXPECT_NE(a, a_next_period);
  EXPECT_EQ(a, a_same_period);
}

// Independent known answer (Python's hmac/hashlib, RFC 5869 HKDF): secret 00 01 .. 1f,
// recipient music_industry_partners, period floor(1700000000 / 2592000) = 655.
TEST_F(MinimiserTest, PeriodKeyAndSubjectMatchAnIndependentComputation) {
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes key, m_->PeriodKey("music_industry_partners", kNow));
  EXPECT_EQ(HexEncode(key.view()),
            "627fd9502b1578814c15f04b5c01cda9a3a5e9f901c070fba5f4a1a3baf13247");
  ASSERT_OK_AND_ASSIGN(Bytes subject, m_->Subject("music_industry_partners", kNow));
  EXPECT_EQ(HexEncode(subject), "a136d7281ebfa387f3466ed07e0128bd");
  ASSERT_OK_AND_ASSIGN(Bytes other, m_->Subject("music_industry_partner", kNow));
  EXPECT_NE(HexEncode(other), "a136d7281ebfa387f3466ed07e0128bd");
}

// Known answer (Python's hmac/hashlib): the first 16 bytes of HMAC-SHA256(k(service_providers,
// period 655), "usage.search_queries" || 0x00 || "jazz for ada"), in hex.
TEST_F(MinimiserTest, TypedTextIsReplacedByItsPseudonymUnderAPseudonymiseGrant) {
  ASSERT_OK(h_.ledger().SetPurpose("marketing_communications", ConsentState::kGranted,
                                   DecisionSource::kUser));
  const auto e = MakeEvent("marketing_communications",
                           {{"usage.search_queries", "jazz for ada"},
                            {"usage.listening_history", "track 42"}});
  const MinimisedEvent out = For("service_providers", e);
  ASSERT_THAT(out.fields, SizeIs(2));
  EXPECT_EQ(out.fields[0].value, "1b476527202d4ecc6c88c66b94792c1b");
  EXPECT_EQ(out.fields[0].form, policy::Transform::kPseudonymise);
  EXPECT_EQ(out.fields[1].value, "track 42");  // not identifying: as it is
  // Another recipient's pseudonym of the same text differs.
  ASSERT_OK(h_.ledger().SetPurpose("advertising", ConsentState::kGranted, DecisionSource::kUser));
  const auto ad = MakeEvent("advertising", {{"usage.search_queries", "jazz for ada"}});
  const MinimisedEvent other = For("advertising_partners", ad);
  ASSERT_THAT(other.fields, SizeIs(1));
  EXPECT_NE(other.fields[0].value, out.fields[0].value);
  EXPECT_EQ(other.fields[0].value.find("jazz"), std::string::npos);
}

// Found by review: the granted precision was ignored. A position leaves only while location is
// on, and no more precisely than granted, whatever the recipient's grant says.
TEST_F(MinimiserTest, ALocationLeavesNoMorePreciselyThanTheUserGranted) {
  ASSERT_OK(h_.ledger().SetCategoryProvided("location", true, DecisionSource::kUser));
  ASSERT_OK(h_.ledger().SetPurpose("location_features", ConsentState::kGranted, DecisionSource::kUser));
  const auto e = MakeEvent("location_features", {{"location.precise_location", "48.85837,2.29448"}});
  // The controller's grant is "none" (as collected); precise granted: as it is.
  ASSERT_OK(h_.ledger().SetLocationPrecision(platform::LocationPrecision::kPrecise, DecisionSource::kUser));
  EXPECT_EQ(For("controller", e).fields.at(0).value, "48.85837,2.29448");
  ASSERT_OK(h_.ledger().SetLocationPrecision(platform::LocationPrecision::kApproximate,
                                             DecisionSource::kUser));
  const MinimisedEvent approx = For("controller", e);
  ASSERT_THAT(approx.fields, SizeIs(1));
  EXPECT_EQ(approx.fields[0].form, policy::Transform::kCoarsen);
  EXPECT_NE(approx.fields[0].value, "48.85837,2.29448");
  ASSERT_OK(h_.ledger().SetLocationPrecision(platform::LocationPrecision::kNone, DecisionSource::kUser));
  EXPECT_THAT(For("controller", e).fields, IsEmpty());
}

TEST_F(MinimiserTest, AdvertisingGetsApproximateLocationOnlyWithConsent) {
  const auto e = MakeEvent("location_advertising", {{"location.precise_location", "48.85661,2.35222"}});
  EXPECT_THAT(For("advertising_partners", e).fields, IsEmpty());  // nothing granted yet
  ASSERT_OK(h_.ledger().SetCategoryProvided("location", true, DecisionSource::kUser));
  for (const char* p : {"location_features", "advertising", "location_advertising"}) {
    ASSERT_OK(h_.ledger().SetPurpose(p, ConsentState::kGranted, DecisionSource::kUser));
  }
  // Location is still off: nothing.
  EXPECT_THAT(For("advertising_partners", e).fields, IsEmpty());
  ASSERT_OK(h_.ledger().SetLocationPrecision(platform::LocationPrecision::kPrecise,
                                             DecisionSource::kUser));
  const MinimisedEvent out = For("advertising_partners", e);
  ASSERT_THAT(out.fields, SizeIs(1));
  EXPECT_EQ(out.fields[0].form, policy::Transform::kCoarsen);
  EXPECT_NE(out.fields[0].value, "48.85661,2.35222");
  EXPECT_EQ(out.fields[0].value.find("48.85661"), std::string::npos);
  // Two positions in the same ~2 km cell give the same answer.
  const auto near = MakeEvent("location_advertising", {{"location.precise_location", "48.8567,2.3523"}});
  EXPECT_EQ(For("advertising_partners", near).fields.at(0).value, out.fields[0].value);
  // Garbage in a position is not passed on.
  const auto junk = MakeEvent("location_advertising", {{"location.precise_location", "near the Louvre"}});
  EXPECT_EQ(For("advertising_partners", junk).fields.at(0).value, "");
}

TEST_F(MinimiserTest, ARevocationAfterRecordingIsHonouredAtSendTime) {
  ASSERT_OK(h_.ledger().SetPurpose("marketing_communications", ConsentState::kGranted,
                                   DecisionSource::kUser));
  const auto e = MakeEvent("marketing_communications", {{"contact.email_address", "ada@example.org"}});
  EXPECT_THAT(For("service_providers", e).fields, SizeIs(1));
  ASSERT_OK(h_.ledger().SetPurpose("marketing_communications", ConsentState::kDenied,
                                   DecisionSource::kUser));
  const MinimisedEvent out = For("service_providers", e);
  EXPECT_THAT(out.fields, IsEmpty());
  EXPECT_EQ(out.dropped, 1);
}

TEST_F(MinimiserTest, AuthoritiesAndPurchasersAreNeverSentAnythingByTheDevice) {
  const auto e = MakeEvent("legal_obligation", {{"contact.email_address", "ada@example.org"},
                                                {"usage.listening_history", "track"}});
  EXPECT_THAT(For("law_enforcement_and_authorities", e).fields, IsEmpty());
  const auto sale = MakeEvent("business_transfer", {{"contact.email_address", "ada@example.org"}});
  EXPECT_THAT(For("business_purchasers", sale).fields, IsEmpty());
  // The controller itself may hold it for those purposes.
  EXPECT_THAT(For("controller", sale).fields, SizeIs(1));
}

TEST_F(MinimiserTest, NothingLeavesWhileAControllerChangeNoticeIsPending) {
  const auto e = MakeEvent("provide_service", {{"contact.email_address", "ada@example.org"}});
  EXPECT_THAT(For("service_providers", e, /*notice=*/true).fields, IsEmpty());
}

TEST_F(MinimiserTest, RawVoiceNeverLeavesOnlyIntents) {
  ASSERT_OK(h_.ledger().SetCategoryProvided("voice", true, DecisionSource::kUser));
  ASSERT_OK(h_.ledger().SetPurpose("voice_features", ConsentState::kGranted, DecisionSource::kUser));
  const auto e = MakeEvent("voice_features", {{"voice.voice_commands", "play jazz"},
                                              {"voice.voice_recordings", "RIFF....PCM"}});
  const MinimisedEvent out = For("controller", e);
  ASSERT_THAT(out.fields, SizeIs(1));
  EXPECT_EQ(out.fields[0].key, "voice.voice_commands");
  EXPECT_EQ(out.dropped, 1);
}

TEST_F(MinimiserTest, CoarseningANumberKeepsItsPowerOfTwoBucket) {
  // signup partners get usage for partner_offer_reporting coarsened.
  const auto e = MakeEvent("partner_offer_reporting", {{"usage.offer_usage", "37"},
                                                       {"usage.interaction_events", "opened app"}});
  const MinimisedEvent out = For("signup_partners", e);
  ASSERT_THAT(out.fields, SizeIs(2));
  EXPECT_EQ(out.fields[0].value, "32");
  EXPECT_EQ(out.fields[1].value, "");  // text: only that it happened
}

TEST_F(MinimiserTest, BadConstructionIsRefused) {
  EXPECT_THAT(Minimiser::Create(h_.policy(), Bytes(16, 1)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Minimiser::Create(nullptr, Secret()), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Minimiser::Create(h_.policy(), Secret(), MinimiserOptions{0, 1}),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace tacet::minimise
