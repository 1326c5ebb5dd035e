#include "vault/field_rules.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "testing/status_matchers.h"

namespace tacet::vault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Status Check(FieldKind kind, std::string_view value) {
  return ValidateValue("cat", "fld", kind, value);
}

TEST(FieldRulesTest, KindsComeFromPolicyFieldIds) {
  EXPECT_EQ(KindOfField("email_address"), FieldKind::kEmail);
  EXPECT_EQ(KindOfField("phone_number"), FieldKind::kPhoneE164);
  EXPECT_EQ(KindOfField("payment_token"), FieldKind::kPaymentToken);
  EXPECT_EQ(KindOfField("voice_recordings"), FieldKind::kAudio);
  EXPECT_EQ(KindOfField("a_field_added_later"), FieldKind::kText);
}

TEST(FieldRulesTest, Email) {
  EXPECT_OK(Check(FieldKind::kEmail, "ada.lovelace+tacet@example.co.uk"));
  for (const char* bad : {"", "no-at-sign", "@example.com", "a@", "a@localhost", "a..b@example.com",
                          ".a@example.com", "a@-example.com", "a@exa_mple.com", "a b@example.com",
                          "a@example..com"}) {
    EXPECT_THAT(Check(FieldKind::kEmail, bad),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("cat.fld: ")))
        << bad;
  }
  EXPECT_THAT(Check(FieldKind::kEmail, std::string(65, 'a') + "@example.com"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("local part")));
}

TEST(FieldRulesTest, PhoneIsE164) {
  EXPECT_OK(Check(FieldKind::kPhoneE164, "+14155550123"));
  EXPECT_OK(Check(FieldKind::kPhoneE164, "+442071838750"));
  for (const char* bad : {"14155550123", "+0415555012", "+1 415 555 0123", "+123456",
                          "+1234567890123456", "+1415555O123"}) {
    EXPECT_THAT(Check(FieldKind::kPhoneE164, bad),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("E.164")))
        << bad;
  }
}

TEST(FieldRulesTest, TextLengthUtf8AndControls) {
  EXPECT_OK(Check(FieldKind::kName, "Zo\xC3\xAB O'Neil"));
  EXPECT_OK(Check(FieldKind::kName, std::string(200, 'x')));
  EXPECT_THAT(Check(FieldKind::kName, std::string(201, 'x')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("201 characters; at most 200")));
  // 200 two-byte characters are 200 characters, not 400.
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xC3\xBC";
  EXPECT_OK(Check(FieldKind::kName, umlauts));
  EXPECT_THAT(Check(FieldKind::kName, ""), StatusIs(StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(Check(FieldKind::kName, "bad \xC0\xAF"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not valid UTF-8")));
  EXPECT_THAT(Check(FieldKind::kName, "two\nlines"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("control character")));
  EXPECT_OK(Check(FieldKind::kPostalAddress, "1 Main St\nSpringfield"));
  EXPECT_THAT(Check(FieldKind::kText, std::string(4097, 'x')),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("at most 4096")));
}

TEST(FieldRulesTest, CardNumbersAreRecognisedWithLuhn) {
  EXPECT_TRUE(ContainsCardNumber("4242424242424242"));
  EXPECT_TRUE(ContainsCardNumber("4242 4242 4242 4242"));
  EXPECT_TRUE(ContainsCardNumber("4242-4242-4242-4242"));
  EXPECT_TRUE(ContainsCardNumber("card: 378282246310005 thanks"));  // 15-digit Amex test number
  EXPECT_TRUE(ContainsCardNumber("6011111111111117"));
  EXPECT_FALSE(ContainsCardNumber("4242424242424241"));  // fails Luhn
  EXPECT_FALSE(ContainsCardNumber("424242424242"));      // 12 digits
  EXPECT_FALSE(ContainsCardNumber("42424242424242424242"));  // 20 digits: not a PAN
  EXPECT_FALSE(ContainsCardNumber("Visa 4242"));
}

TEST(FieldRulesTest, CardNumbersWithAnySeparatorsAreRecognised) {
  for (const char* card : {"4111_1111_1111_1111", "4111--1111--1111--1111", "4111.1111.1111.1111",
                           "4111 / 1111 / 1111 / 1111", "4111\xE2\x80\x93" "1111\xE2\x80\x93"
                           "1111\xE2\x80\x93" "1111",  // en dashes
                           "4111\xC2\xA0" "1111\xC2\xA0" "1111\xC2\xA0" "1111",  // no-break spaces
                           "3782 822463 10005",  // Amex grouping
                           // Next to other numbers: every run of whole groups is a candidate.
                           "order 12, card 4111 1111 1111 1111, 12/25"}) {
    EXPECT_TRUE(ContainsCardNumber(card)) << card;
  }
  // A letter ends the chain; Luhn-invalid and too-short numbers are not cards.
  EXPECT_FALSE(ContainsCardNumber("4111 1111 x 1111 1111"));
  EXPECT_FALSE(ContainsCardNumber("4111 1111 1111 1112"));
  EXPECT_FALSE(ContainsCardNumber("1234 5678 9012"));
  EXPECT_FALSE(ContainsCardNumber("+44 20 7946 0958"));
}

TEST(FieldRulesTest, CardNumbersAreRefusedInEveryFieldButTheirOwn) {
  const struct {
    FieldKind kind;
    const char* value;
  } cases[] = {
      {FieldKind::kPaymentToken, "4111_1111_1111_1111"},
      {FieldKind::kPaymentToken, "4111--1111--1111--1111"},
      {FieldKind::kName, "Ada 4111 1111 1111 1111"},
      {FieldKind::kText, "my card is 4111-1111-1111-1111 thanks"},  // e.g. a search query
      {FieldKind::kPostalAddress, "1 Main St\n4111.1111.1111.1111"},
      {FieldKind::kEmail, "4111111111111111@example.org"},
      {FieldKind::kApproximateLocation, "Berlin 4111 1111 1111 1111"},
      {FieldKind::kPaymentLastFour, "Visa 4111_1111_1111_1111"},
  };
  for (const auto& c : cases) {
    const Status s = Check(c.kind, c.value);
    EXPECT_THAT(s, StatusIs(StatusCode::kInvalidArgument, HasSubstr("card number")))
        << FieldKindName(c.kind) << ": " << c.value;
    EXPECT_THAT(s.message(), HasSubstr("cat.fld: "));
    EXPECT_THAT(s.message(), Not(HasSubstr("1111"))) << "never echoes the number";
  }
  // Numbers that are not card numbers still pass.
  EXPECT_OK(Check(FieldKind::kText, "call +44 20 7946 0958"));           // a phone number
  EXPECT_OK(Check(FieldKind::kText, "ticket 123456789012"));             // 12 digits
  EXPECT_OK(Check(FieldKind::kText, "4111 1111 1111 1112"));             // fails Luhn
  EXPECT_OK(Check(FieldKind::kName, "Ada Lovelace"));
  EXPECT_OK(Check(FieldKind::kPostalAddress, "221B Baker Street\nLondon NW1 6XE"));
  EXPECT_OK(Check(FieldKind::kPaymentToken, "tok_1N3xYz2eZvKYlo2C"));
  // Exact shapes whose digits are not a card by construction, even when they pass Luhn: an
  // E.164 number (4930123456778) and a coordinate pair (525173391338846).
  EXPECT_OK(Check(FieldKind::kPhoneE164, "+4930123456778"));
  EXPECT_OK(Check(FieldKind::kPreciseLocation, "52.517339,13.388846"));
  EXPECT_OK(Check(FieldKind::kPreciseLocation, "-33.8688,151.2093"));
}

TEST(FieldRulesTest, PaymentHoldsTokensAndLastFourOnly) {
  EXPECT_OK(Check(FieldKind::kPaymentToken, "tok_1N3xYz2eZvKYlo2C"));
  EXPECT_THAT(Check(FieldKind::kPaymentToken, "4242424242424242"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("full card number")));
  EXPECT_THAT(Check(FieldKind::kPaymentToken, "tok with spaces"),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_OK(Check(FieldKind::kPaymentLastFour, "4242"));
  EXPECT_OK(Check(FieldKind::kPaymentLastFour, "Visa 4242"));
  EXPECT_OK(Check(FieldKind::kPaymentLastFour, "American Express 0005"));
  EXPECT_THAT(Check(FieldKind::kPaymentLastFour, "4242 4242 4242 4242"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("full card number")));
  EXPECT_THAT(Check(FieldKind::kPaymentLastFour, "Visa 42424"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("last four digits")));
  EXPECT_THAT(Check(FieldKind::kPaymentLastFour, "424"), StatusIs(StatusCode::kInvalidArgument));
}

TEST(FieldRulesTest, Locations) {
  EXPECT_OK(Check(FieldKind::kPreciseLocation, "52.520008,13.404954"));
  EXPECT_OK(Check(FieldKind::kPreciseLocation, "-33.8688, 151.2093"));
  EXPECT_THAT(Check(FieldKind::kPreciseLocation, "91.0,0"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(Check(FieldKind::kPreciseLocation, "Berlin"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_OK(Check(FieldKind::kApproximateLocation, "Berlin"));
  EXPECT_OK(Check(FieldKind::kApproximateLocation, "52.52,13.40"));
  EXPECT_THAT(Check(FieldKind::kApproximateLocation, "52.520008,13.404954"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("more precise")));
  // A precise coordinate written as free text is not an approximate location either.
  for (const char* precise : {"52.520008 13.404954", "52.520008;13.404954",
                              "N52.520008 E13.404954", "lat 52,520008 lon 13,404954",
                              "near 52.5200"}) {
    EXPECT_THAT(Check(FieldKind::kApproximateLocation, precise),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("more than 2 decimals")))
        << precise;
  }
  EXPECT_OK(Check(FieldKind::kApproximateLocation, "Berlin, 10115"));
  EXPECT_OK(Check(FieldKind::kApproximateLocation, "near 52.52 13.40"));
}

TEST(FieldRulesTest, MessagesNeverRepeatTheValue) {
  const std::string secret = "secret-value-xyz@@";
  Status s = Check(FieldKind::kEmail, secret);
  ASSERT_THAT(s, StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(s.message(), Not(HasSubstr(secret)));
}

}  // namespace
}  // namespace tacet::vault
