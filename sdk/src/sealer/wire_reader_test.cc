#include "sealer/wire_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/crypto_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::sealer {
namespace {

using crypto::testing::Hex;
using ::testing::HasSubstr;

// RFC 9000 Appendix A.1 sample encodings.
TEST(QuicVarintTest, DecodesTheRfc9000Samples) {
  const struct {
    const char* hex;
    uint64_t value;
  } kSamples[] = {{"c2197c5eff14e88c", 151288809941952652ull},
                  {"9d7f3e7d", 494878333},
                  {"7bbd", 15293},
                  {"25", 37},
                  {"4025", 37}};  // the non-minimal two-byte form of 37 (RFC 9000 §16 allows it)
  for (const auto& s : kSamples) {
    const Bytes bytes = Hex(s.hex);
    WireReader r(bytes, "test");
    uint64_t v = 0;
    ASSERT_OK(r.ReadVarint("value", &v)) << s.hex;
    EXPECT_EQ(v, s.value) << s.hex;
    EXPECT_TRUE(r.empty());
  }
}

TEST(QuicVarintTest, EncodesInTheShortestFormAndRoundTripsAtEveryBoundary) {
  Bytes out;
  ASSERT_OK(AppendQuicVarint(out, 15293));
  EXPECT_EQ(HexEncode(out), "7bbd");
  const uint64_t kValues[] = {0, 63, 64, 16383, 16384, (1ull << 30) - 1, 1ull << 30, kQuicVarintMax};
  const size_t kSizes[] = {1, 1, 2, 2, 4, 4, 8, 8};
  for (size_t i = 0; i < std::size(kValues); ++i) {
    Bytes b;
    ASSERT_OK(AppendQuicVarint(b, kValues[i]));
    EXPECT_EQ(b.size(), kSizes[i]) << kValues[i];
    EXPECT_EQ(QuicVarintSize(kValues[i]), kSizes[i]);
    WireReader r(b, "test");
    uint64_t v = 0;
    ASSERT_OK(r.ReadVarint("value", &v));
    EXPECT_EQ(v, kValues[i]);
  }
}

TEST(QuicVarintTest, RefusesValuesOver62Bits) {
  Bytes out = {0x01};
  EXPECT_THAT(AppendQuicVarint(out, kQuicVarintMax + 1), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(out, Bytes{0x01});
}

TEST(WireReaderTest, TruncatedReadsNameWhatAndWhereAndDoNotMove) {
  const Bytes bytes = Hex("00c2197c");  // one byte, then an 8-byte varint cut after 3 bytes
  WireReader r(bytes, "ctx", 100);
  uint8_t b = 0;
  ASSERT_OK(r.ReadU8("first", &b));
  uint64_t v = 0;
  EXPECT_THAT(r.ReadVarint("status code", &v),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("ctx: truncated: status code needs 8 bytes, 3 left at offset 101")));
  EXPECT_EQ(r.position(), 101u);
  ByteView out;
  EXPECT_THAT(r.ReadLengthPrefixed("content", &out), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(r.position(), 101u);
  uint16_t u = 0;
  ASSERT_OK(r.ReadU16("u16", &u));
  EXPECT_EQ(u, 0xc219);
}

TEST(WireReaderTest, LengthPrefixBeyondTheEndIsRefused) {
  const Bytes bytes = Hex("0561626364");  // claims 5 bytes, has 4
  WireReader r(bytes, "ctx");
  ByteView out;
  EXPECT_THAT(r.ReadLengthPrefixed("name", &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("name needs 5 bytes, 4 left")));
  const Bytes huge = Hex("ffffffffffffffff");  // 2^62 - 1
  WireReader h(huge, "ctx");
  EXPECT_THAT(h.ReadLengthPrefixed("content", &out), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace tacet::sealer
