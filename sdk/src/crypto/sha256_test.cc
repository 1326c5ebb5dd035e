#include "crypto/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/crypto_test_util.h"

namespace tacet::crypto {
namespace {

using testing::Hex;

Bytes ToBytes(const std::array<uint8_t, 32>& a) { return Bytes(a.begin(), a.end()); }

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf"): "abc", the empty string and the 448-bit message.
TEST(Sha256Test, NistVectors) {
  EXPECT_EQ(ToBytes(Sha256(ByteView::FromString("abc"))),
            Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_EQ(ToBytes(Sha256(ByteView())),
            Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_EQ(ToBytes(Sha256(ByteView::FromString(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            Hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
}

TEST(Sha256Test, IncrementalMatchesOneShotAndHasherIsReusable) {
  std::string message(1000, 'x');
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 26);
  const auto expected = Sha256(ByteView::FromString(message));

  Sha256Hasher hasher;
  // Uneven pieces across block boundaries.
  hasher.Update(ByteView::FromString(std::string_view(message).substr(0, 1)));
  hasher.Update(ByteView::FromString(std::string_view(message).substr(1, 63)));
  hasher.Update(ByteView::FromString(std::string_view(message).substr(64, 500)));
  hasher.Update(ByteView());
  hasher.Update(ByteView::FromString(std::string_view(message).substr(564)));
  EXPECT_EQ(hasher.Finish(), expected);

  hasher.Update(ByteView::FromString("abc"));
  EXPECT_EQ(ToBytes(hasher.Finish()),
            Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

}  // namespace
}  // namespace tacet::crypto
