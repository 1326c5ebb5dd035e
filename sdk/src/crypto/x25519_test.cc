#include "crypto/x25519.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "crypto/crypto_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

using ::testing::HasSubstr;
using testing::Hex;
using testing::TestDrbg;

Bytes B(const std::array<uint8_t, 32>& a) { return Bytes(a.begin(), a.end()); }

// RFC 7748 §5.2, the two single-call test vectors. The second has the top bit of u set, which
// X25519 must mask.
TEST(X25519Test, Rfc7748Section52Vectors) {
  ASSERT_OK_AND_ASSIGN(
      SecretBytes out1,
      X25519(Hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
             Hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")));
  EXPECT_EQ(HexEncode(out1.view()),
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  ASSERT_OK_AND_ASSIGN(
      SecretBytes out2,
      X25519(Hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
             Hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")));
  EXPECT_EQ(HexEncode(out2.view()),
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
}

// RFC 7748 §5.2, the iterated test: k = u = 9, then k, u = X25519(k, u), k. 1 and 1000 rounds.
TEST(X25519Test, Rfc7748Section52Iterated) {
  Bytes k = Hex("0900000000000000000000000000000000000000000000000000000000000000");
  Bytes u = k;
  for (int i = 1; i <= 1000; ++i) {
    ASSERT_OK_AND_ASSIGN(SecretBytes r, X25519(k, u));
    u = k;
    k = r.view().ToBytes();
    if (i == 1) {
      EXPECT_EQ(HexEncode(k), "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
    }
  }
  EXPECT_EQ(HexEncode(k), "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

// RFC 7748 §6.1: Alice and Bob.
TEST(X25519Test, Rfc7748Section61DiffieHellman) {
  const Bytes alice_sk = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  const Bytes bob_sk = Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
  ASSERT_OK_AND_ASSIGN(auto alice_pk, X25519PublicFromPrivate(alice_sk));
  ASSERT_OK_AND_ASSIGN(auto bob_pk, X25519PublicFromPrivate(bob_sk));
  EXPECT_EQ(B(alice_pk), Hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
  EXPECT_EQ(B(bob_pk), Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
  ASSERT_OK_AND_ASSIGN(SecretBytes k_alice, X25519(alice_sk, bob_pk));
  ASSERT_OK_AND_ASSIGN(SecretBytes k_bob, X25519(bob_sk, alice_pk));
  EXPECT_EQ(HexEncode(k_alice.view()),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  EXPECT_EQ(k_alice.view().ToBytes(), k_bob.view().ToBytes());
}

TEST(X25519Test, GeneratedPairsAgree) {
  ASSERT_OK_AND_ASSIGN(X25519KeyPair a, X25519Generate(TestDrbg()));
  ASSERT_OK_AND_ASSIGN(X25519KeyPair b, X25519Generate(TestDrbg()));
  EXPECT_NE(B(a.public_key), B(b.public_key));
  ASSERT_OK_AND_ASSIGN(auto a_pk, X25519PublicFromPrivate(a.private_key.view()));
  EXPECT_EQ(a_pk, a.public_key);
  ASSERT_OK_AND_ASSIGN(SecretBytes ab, X25519(a.private_key.view(), b.public_key));
  ASSERT_OK_AND_ASSIGN(SecretBytes ba, X25519(b.private_key.view(), a.public_key));
  EXPECT_EQ(ab.view().ToBytes(), ba.view().ToBytes());
}

// Low-order u-coordinates give an all-zero output, which must be refused (RFC 7748 §6.1,
// RFC 9180 §7.1.1): 0, 1, p-1, the two points of order 8, and p itself (non-canonical 0).
TEST(X25519Test, LowOrderPointsAreRefused) {
  const Bytes sk = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  for (const char* u : {
           "0000000000000000000000000000000000000000000000000000000000000000",
           "0100000000000000000000000000000000000000000000000000000000000000",
           "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
           "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
           "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
           "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
       }) {
    EXPECT_THAT(X25519(sk, Hex(u)),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr("low-order")))
        << u;
  }
}

TEST(X25519Test, LengthsAreChecked) {
  EXPECT_THAT(X25519(Bytes(31, 1), Bytes(32, 9)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("private key must be 32 bytes")));
  EXPECT_THAT(X25519(Bytes(32, 1), Bytes(33, 9)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("peer public key must be 32 bytes")));
  EXPECT_THAT(X25519PublicFromPrivate(ByteView()), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace tacet::crypto
