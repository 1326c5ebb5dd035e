#include "base/bytes.h"

#include "testing/status_matchers.h"

namespace tacet {
namespace {

TEST(HexTest, RoundTrip) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(HexEncode(b), "0001abff");
  ASSERT_OK_AND_ASSIGN(Bytes d, HexDecode("0001ABff"));
  EXPECT_EQ(d, b);
}

TEST(HexTest, RejectsOddLengthAndBadDigits) {
  EXPECT_THAT(HexDecode("abc"), StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("odd")));
  EXPECT_THAT(HexDecode("zz"), StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("offset 0")));
  EXPECT_THAT(HexDecode("0g"), StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("offset 1")));
}

TEST(BytesTest, BigEndianAppends) {
  Bytes b;
  AppendU16Be(b, 0x0102);
  AppendU32Be(b, 0x03040506);
  AppendU64Be(b, 0x0708090a0b0c0d0eULL);
  EXPECT_EQ(HexEncode(b), "0102030405060708090a0b0c0d0e");
}

TEST(ByteViewTest, SubviewClamps) {
  Bytes b = {1, 2, 3, 4};
  ByteView v(b);
  EXPECT_EQ(v.subview(1, 2).ToBytes(), (Bytes{2, 3}));
  EXPECT_EQ(v.subview(3, 10).ToBytes(), (Bytes{4}));
  EXPECT_TRUE(v.subview(9).empty());
}

}  // namespace
}  // namespace tacet
