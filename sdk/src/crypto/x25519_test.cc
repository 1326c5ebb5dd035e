#include "crypto/x25519.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "crypto/crypto_test_util.h"
#include "crypto/x25519_internal.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

using ::testing::HasSubstr;
using testing::Hex;
using testing::TestDrbg;

Bytes B(const std::array<uint8_t, 32>& a) { return Bytes(a.begin(), a.end()); }

// The two arithmetic back ends of internal/x25519, called directly (no all-zero check).
using RawFn = void (*)(uint8_t*, const uint8_t*, const uint8_t*);
struct Backend {
  const char* name;
  RawFn fn;
};
const Backend kBackends[] = {{"default", internal::X25519Raw},
                             {"portable", internal::X25519RawPortable}};

std::string RawHex(RawFn fn, const Bytes& k, const Bytes& u) {
  uint8_t out[32];
  fn(out, k.data(), u.data());
  return HexEncode(ByteView(out, sizeof(out)));
}

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

// The same two vectors on each back end, so that the portable arithmetic (what targets without
// unsigned __int128 run) is checked on every build.
TEST(X25519Test, Rfc7748Section52VectorsEachBackend) {
  for (const Backend& b : kBackends) {
    EXPECT_EQ(RawHex(b.fn, Hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
                     Hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")),
              "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
        << b.name;
    EXPECT_EQ(RawHex(b.fn, Hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
                     Hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493")),
              "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")
        << b.name;
  }
}

// RFC 7748 §5.2 iterated, on the raw back end: k = u = 9; then k, u = X25519(k, u), k.
std::string Iterate(RawFn fn, int rounds) {
  uint8_t k[32] = {9}, u[32] = {9}, r[32];
  for (int i = 0; i < rounds; ++i) {
    fn(r, k, u);
    std::memcpy(u, k, 32);
    std::memcpy(k, r, 32);
  }
  return HexEncode(ByteView(k, sizeof(k)));
}

TEST(X25519Test, Rfc7748Section52IteratedPortable) {
  EXPECT_EQ(Iterate(internal::X25519RawPortable, 1),
            "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
  EXPECT_EQ(Iterate(internal::X25519RawPortable, 1000),
            "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

// RFC 7748 §5.2, 1,000,000 iterations: minutes under sanitizers or qemu, so run on demand
// (--gtest_also_run_disabled_tests --gtest_filter='*Million*').
TEST(X25519Test, DISABLED_Rfc7748Section52IteratedMillion) {
  EXPECT_EQ(Iterate(internal::X25519Raw, 1000000),
            "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424");
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

// Tacet's arithmetic against mbedTLS's ladder on random scalars and random u-coordinates (whose
// top bit is set half of the time, and which may be >= p), on both back ends.
TEST(X25519Test, AgreesWithMbedtlsOnRandomInputs) {
  for (int i = 0; i < 200; ++i) {
    ASSERT_OK_AND_ASSIGN(Bytes k, TestDrbg().RandomBytes(32));
    ASSERT_OK_AND_ASSIGN(Bytes u, TestDrbg().RandomBytes(32));
    if (i % 20 == 0) {
      // Every twentieth u is non-canonical: 2^255 - 19 + (0..18), with or without bit 255.
      u.assign(32, 0xff);
      u[0] = static_cast<uint8_t>(0xed + (i / 20) % 19);
      if (i % 40 == 0) u[31] = 0x7f;
    }
    ASSERT_OK_AND_ASSIGN(SecretBytes want, internal::X25519Mbedtls(k, u));
    for (const Backend& b : kBackends) {
      ASSERT_EQ(RawHex(b.fn, k, u), HexEncode(want.view()))
          << b.name << " k=" << HexEncode(k) << " u=" << HexEncode(u);
    }
  }
}

// RFC 7748 §5: the top bit of u is masked, and u >= p is accepted and reduced mod p.
TEST(X25519Test, NonCanonicalUIsMaskedAndReduced) {
  const Bytes k = Hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4");
  auto shared = [&](const Bytes& u) -> std::string {
    StatusOr<SecretBytes> r = X25519(k, u);
    return r.ok() ? HexEncode(r->view()) : r.status().ToString();
  };
  Bytes nine(32, 0);
  nine[0] = 9;
  // p + 9 = 2^255 - 10 and p + 9 with bit 255 set both mean u = 9.
  Bytes p_plus_9(32, 0xff);
  p_plus_9[0] = 0xf6;
  p_plus_9[31] = 0x7f;
  Bytes p_plus_9_top = p_plus_9;
  p_plus_9_top[31] = 0xff;
  Bytes nine_top = nine;
  nine_top[31] = 0x80;
  ASSERT_OK_AND_ASSIGN(auto pk, X25519PublicFromPrivate(k));
  EXPECT_EQ(shared(nine), HexEncode(B(pk)));
  EXPECT_EQ(shared(p_plus_9), HexEncode(B(pk)));
  EXPECT_EQ(shared(p_plus_9_top), HexEncode(B(pk)));
  EXPECT_EQ(shared(nine_top), HexEncode(B(pk)));
  // 2^255 - 1 = p + 18 means u = 18.
  Bytes eighteen(32, 0);
  eighteen[0] = 18;
  Bytes all_ones(32, 0xff);
  EXPECT_EQ(shared(all_ones), shared(eighteen));
  EXPECT_NE(shared(eighteen), shared(nine));
}

// Low-order points with bit 255 set are still low-order (the bit is masked first), and the raw
// function returns the all-zero value that X25519() then refuses.
TEST(X25519Test, LowOrderPointsWithTopBitSetAreRefused) {
  const Bytes sk = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  for (const char* u : {
           "0000000000000000000000000000000000000000000000000000000000000080",
           "0100000000000000000000000000000000000000000000000000000000000080",
           "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
           "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // p + 1
           "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
       }) {
    EXPECT_THAT(X25519(sk, Hex(u)), StatusIs(StatusCode::kInvalidArgument, HasSubstr("low-order")))
        << u;
    for (const Backend& b : kBackends) {
      EXPECT_EQ(RawHex(b.fn, sk, Hex(u)), std::string(64, '0')) << b.name << " " << u;
    }
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
