#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/crypto_test_util.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

using ::testing::HasSubstr;
using testing::Hex;

template <size_t N>
Bytes B(const std::array<uint8_t, N>& a) {
  return Bytes(a.begin(), a.end());
}

Bytes Range(int from, int to_inclusive) {
  Bytes b;
  for (int i = from; i <= to_inclusive; ++i) b.push_back(static_cast<uint8_t>(i));
  return b;
}

// RFC 4231 §4.2 (test case 1) and §4.3 (test case 2), HMAC-SHA-256.
TEST(HmacTest, Rfc4231Cases1And2) {
  EXPECT_EQ(B(HmacSha256(Bytes(20, 0x0b), ByteView::FromString("Hi There"))),
            Hex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
  EXPECT_EQ(B(HmacSha256(ByteView::FromString("Jefe"),
                         ByteView::FromString("what do ya want for nothing?"))),
            Hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

struct HkdfCase {
  const char* name;
  Bytes ikm, salt, info;
  size_t length;
  const char* prk;
  const char* okm;
};

// RFC 5869 Appendix A, test cases 1-3 (SHA-256).
std::vector<HkdfCase> Rfc5869Cases() {
  return {
      {"A.1", Bytes(22, 0x0b), Range(0x00, 0x0c), Range(0xf0, 0xf9), 42,
       "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
       "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
      {"A.2", Range(0x00, 0x4f), Range(0x60, 0xaf), Range(0xb0, 0xff), 82,
       "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
       "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e"
       "590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"},
      {"A.3", Bytes(22, 0x0b), Bytes(), Bytes(), 42,
       "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
       "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
  };
}

TEST(HkdfTest, Rfc5869AppendixA) {
  for (const HkdfCase& c : Rfc5869Cases()) {
    SCOPED_TRACE(c.name);
    const auto prk = HkdfExtract(c.salt, c.ikm);
    EXPECT_EQ(B(prk), Hex(c.prk));
    ASSERT_OK_AND_ASSIGN(Bytes okm, HkdfExpand(prk, c.info, c.length));
    EXPECT_EQ(okm, Hex(c.okm));
    ASSERT_OK_AND_ASSIGN(Bytes one_call, Hkdf(c.salt, c.ikm, c.info, c.length));
    EXPECT_EQ(one_call, Hex(c.okm));
    Bytes into(c.length, 0xee);
    ASSERT_OK(HkdfExpandInto(prk, c.info, into.data(), into.size()));
    EXPECT_EQ(into, Hex(c.okm));
  }
}

TEST(HkdfTest, LengthLimitIs255HashLen) {
  const auto prk = HkdfExtract(ByteView(), Bytes(32, 1));
  ASSERT_OK_AND_ASSIGN(Bytes max, HkdfExpand(prk, ByteView(), 255 * 32));
  EXPECT_EQ(max.size(), 255u * 32u);
  EXPECT_THAT(HkdfExpand(prk, ByteView(), 255 * 32 + 1),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("exceeds 255 * HashLen")));
  ASSERT_OK_AND_ASSIGN(Bytes empty, HkdfExpand(prk, ByteView(), 0));
  EXPECT_TRUE(empty.empty());
}

TEST(HkdfTest, ShortPrkIsRefused) {
  EXPECT_THAT(HkdfExpand(Bytes(31, 1), ByteView(), 32),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("shorter than HashLen")));
}

}  // namespace
}  // namespace tacet::crypto
