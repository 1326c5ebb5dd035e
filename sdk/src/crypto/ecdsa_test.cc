#include "crypto/ecdsa.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

#include <string>

#include "crypto/crypto_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

using ::testing::HasSubstr;
using testing::Hex;
using testing::TestDrbg;

// RFC 6979 Appendix A.2.5: ECDSA, 256 bits (prime field), key pair and the SHA-256 signature of
// "sample". mbedTLS signs deterministically (MBEDTLS_ECDSA_DETERMINISTIC), so our signature must
// be exactly this (r, s), DER-encoded (both have the top bit set, hence the 0x00 pads).
const char kRfc6979PrivateKey[] = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
const char kRfc6979PublicKey[] =
    "04"
    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
const char kRfc6979SampleSignatureDer[] =
    "3046"
    "022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716"
    "022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";

const ByteView kSample = ByteView::FromString("sample");

TEST(EcdsaTest, Rfc6979VectorSignsAndVerifies) {
  ASSERT_OK_AND_ASSIGN(Bytes sig, EcdsaP256Sign(Hex(kRfc6979PrivateKey), kSample, TestDrbg()));
  EXPECT_EQ(HexEncode(sig), kRfc6979SampleSignatureDer);
  EXPECT_OK(EcdsaP256Verify(Hex(kRfc6979PublicKey), kSample, Hex(kRfc6979SampleSignatureDer)));
}

TEST(EcdsaTest, GenerateSignVerifyRoundTrip) {
  ASSERT_OK_AND_ASSIGN(EcdsaP256KeyPair kp, EcdsaP256Generate(TestDrbg()));
  EXPECT_EQ(kp.private_key.size(), kEcdsaP256PrivateKeySize);
  ASSERT_EQ(kp.public_key.size(), kEcdsaP256PublicKeySize);
  EXPECT_EQ(kp.public_key[0], 0x04);
  const ByteView message = ByteView::FromString("consent receipt #1");
  ASSERT_OK_AND_ASSIGN(Bytes sig, EcdsaP256Sign(kp.private_key.view(), message, TestDrbg()));
  EXPECT_LE(sig.size(), kEcdsaP256MaxSignatureSize);
  EXPECT_OK(EcdsaP256Verify(kp.public_key, message, sig));

  ASSERT_OK_AND_ASSIGN(EcdsaP256KeyPair other, EcdsaP256Generate(TestDrbg()));
  EXPECT_NE(other.public_key, kp.public_key);
}

TEST(EcdsaTest, TamperedMessageDoesNotVerify) {
  const Bytes sig = Hex(kRfc6979SampleSignatureDer);
  EXPECT_THAT(EcdsaP256Verify(Hex(kRfc6979PublicKey), ByteView::FromString("samplf"), sig),
              StatusIs(StatusCode::kDataLoss, HasSubstr("ECDSA signature does not verify")));
  EXPECT_THAT(EcdsaP256Verify(Hex(kRfc6979PublicKey), ByteView(), sig),
              StatusIs(StatusCode::kDataLoss, HasSubstr("ECDSA signature does not verify")));
}

TEST(EcdsaTest, TamperedSignatureDoesNotVerify) {
  const Bytes good = Hex(kRfc6979SampleSignatureDer);
  // Flip a bit in r, in s, and in the DER framing; truncate; append a byte; empty.
  for (size_t pos : {size_t{10}, good.size() - 1, size_t{1}}) {
    Bytes bad = good;
    bad[pos] ^= 0x01;
    EXPECT_THAT(EcdsaP256Verify(Hex(kRfc6979PublicKey), kSample, bad),
                StatusIs(StatusCode::kDataLoss, HasSubstr("ECDSA signature does not verify")))
        << "flipped byte " << pos;
  }
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_THAT(EcdsaP256Verify(Hex(kRfc6979PublicKey), kSample, truncated),
              StatusIs(StatusCode::kDataLoss));
  Bytes extended = good;
  extended.push_back(0);
  EXPECT_THAT(EcdsaP256Verify(Hex(kRfc6979PublicKey), kSample, extended),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(EcdsaP256Verify(Hex(kRfc6979PublicKey), kSample, ByteView()),
              StatusIs(StatusCode::kDataLoss));
}

// DER (X.690 §10.1, §8.3.2) has one encoding per (r, s). BER variants of the RFC 6979 signature
// carry the same r and s, so a lenient decoder would accept them: a replayed signed update could
// then be re-encoded at will (e.g. padded past the size a stored signature may have).
TEST(EcdsaTest, NonCanonicalDerDoesNotVerify) {
  const std::string r = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
  const std::string s = "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
  const std::string padded_r = "022200" + std::string("00") + r;  // one 0x00 more than needed
  const std::string many_zeros = "0282014c" + std::string(2 * 300, '0') + r;
  const std::string variants[] = {
      "3047" + padded_r + "022100" + s,         // r with a redundant leading zero
      "308146" "022100" + r + "022100" + s,     // long-form SEQUENCE length
      "3047" "02812100" + r + "022100" + s,     // long-form INTEGER length
      "3045" "0220" + r + "022100" + s,         // r without its sign pad: a negative INTEGER
      "30820173" + many_zeros + "022100" + s,   // 300 zero bytes in front of r
      "3146" "022100" + r + "022100" + s,       // SET instead of SEQUENCE
      "3046" "032100" + r + "022100" + s,       // BIT STRING instead of INTEGER
  };
  // The canonical form verifies, so each refusal below is about the encoding alone.
  ASSERT_OK(EcdsaP256Verify(Hex(kRfc6979PublicKey), kSample, Hex("3046022100" + r + "022100" + s)));
  for (const std::string& der : variants) {
    EXPECT_THAT(EcdsaP256Verify(Hex(kRfc6979PublicKey), kSample, Hex(der)),
                StatusIs(StatusCode::kDataLoss, HasSubstr("ECDSA signature does not verify")))
        << der.substr(0, 16);
  }
}

// Canonical DER drops leading zero bytes, so about 1 in 256 signatures has a 31-byte (or
// shorter) r or s: a strict decoder must still take those.
TEST(EcdsaTest, ShortIntegersInSignaturesVerify) {
  // RFC 6979 nonces make these signatures, and so the number of short ones, deterministic.
  int short_seen = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string text = "message " + std::to_string(i);
    const ByteView message = ByteView::FromString(text);
    ASSERT_OK_AND_ASSIGN(Bytes sig, EcdsaP256Sign(Hex(kRfc6979PrivateKey), message, TestDrbg()));
    if (sig[3] < 0x20 || sig[4 + sig[3] + 1] < 0x20) ++short_seen;
    ASSERT_OK(EcdsaP256Verify(Hex(kRfc6979PublicKey), message, sig)) << HexEncode(sig);
  }
  EXPECT_GT(short_seen, 0) << "no signature with a short r or s was produced";
}

TEST(EcdsaTest, WrongKeyDoesNotVerify) {
  ASSERT_OK_AND_ASSIGN(EcdsaP256KeyPair other, EcdsaP256Generate(TestDrbg()));
  EXPECT_THAT(EcdsaP256Verify(other.public_key, kSample, Hex(kRfc6979SampleSignatureDer)),
              StatusIs(StatusCode::kDataLoss, HasSubstr("ECDSA signature does not verify")));
}

TEST(EcdsaTest, MalformedPublicKeyIsInvalidArgument) {
  const Bytes sig = Hex(kRfc6979SampleSignatureDer);
  Bytes pk = Hex(kRfc6979PublicKey);
  // Wrong length.
  EXPECT_THAT(EcdsaP256Verify(ByteView(pk).subview(0, 64), kSample, sig),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("65-byte")));
  EXPECT_THAT(EcdsaP256Verify(ByteView(), kSample, sig), StatusIs(StatusCode::kInvalidArgument));
  // Compressed-point prefix with an uncompressed length.
  Bytes compressed_prefix = pk;
  compressed_prefix[0] = 0x02;
  EXPECT_THAT(EcdsaP256Verify(compressed_prefix, kSample, sig),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("uncompressed")));
  // Not on the curve (y changed).
  Bytes off_curve = pk;
  off_curve[64] ^= 0x01;
  EXPECT_THAT(EcdsaP256Verify(off_curve, kSample, sig),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("not a point on the P-256")));
}

TEST(EcdsaTest, InvalidPrivateKeyIsRefused) {
  EXPECT_THAT(EcdsaP256Sign(Bytes(31, 1), kSample, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("32-byte")));
  EXPECT_THAT(EcdsaP256Sign(Bytes(32, 0), kSample, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("[1, n-1]")));
  EXPECT_THAT(EcdsaP256Sign(Bytes(32, 0xff), kSample, TestDrbg()),  // >= n
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("[1, n-1]")));
}

TEST(EcdsaTest, PublicKeyPemRoundTrip) {
  ASSERT_OK_AND_ASSIGN(std::string pem, EcdsaP256PublicKeyToPem(Hex(kRfc6979PublicKey)));
  EXPECT_THAT(pem, HasSubstr("-----BEGIN PUBLIC KEY-----"));
  ASSERT_OK_AND_ASSIGN(Bytes pk, EcdsaP256PublicKeyFromPem(pem));
  EXPECT_EQ(pk, Hex(kRfc6979PublicKey));
}

TEST(EcdsaTest, PrivateKeyPemRoundTripSignsTheSame) {
  ASSERT_OK_AND_ASSIGN(EcdsaP256KeyPair kp, EcdsaP256Generate(TestDrbg()));
  ASSERT_OK_AND_ASSIGN(std::string pem, EcdsaP256PrivateKeyToPem(kp));
  EXPECT_THAT(pem, HasSubstr("-----BEGIN EC PRIVATE KEY-----"));
  ASSERT_OK_AND_ASSIGN(EcdsaP256KeyPair back, EcdsaP256KeyPairFromPem(pem));
  EXPECT_EQ(back.public_key, kp.public_key);
  EXPECT_EQ(back.private_key.view().ToBytes(), kp.private_key.view().ToBytes());
  ASSERT_OK_AND_ASSIGN(Bytes sig, EcdsaP256Sign(back.private_key.view(), kSample, TestDrbg()));
  EXPECT_OK(EcdsaP256Verify(kp.public_key, kSample, sig));
  // The public half of a private PEM is not a public-key PEM.
  EXPECT_THAT(EcdsaP256PublicKeyFromPem(pem), StatusIs(StatusCode::kInvalidArgument));
}

TEST(EcdsaTest, PrivateKeyPemRefusesMismatchedPair) {
  ASSERT_OK_AND_ASSIGN(EcdsaP256KeyPair a, EcdsaP256Generate(TestDrbg()));
  ASSERT_OK_AND_ASSIGN(EcdsaP256KeyPair b, EcdsaP256Generate(TestDrbg()));
  EcdsaP256KeyPair mixed{SecretBytes(a.private_key.view()), b.public_key};
  EXPECT_THAT(EcdsaP256PrivateKeyToPem(mixed),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("does not belong")));
}

TEST(EcdsaTest, GarbagePemIsInvalidArgument) {
  EXPECT_THAT(EcdsaP256PublicKeyFromPem("not a key"), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(EcdsaP256KeyPairFromPem(""), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(EcdsaP256PublicKeyFromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
              StatusIs(StatusCode::kInvalidArgument));
}

// Writes a P-384 key with mbedTLS directly, as another tool would hand one to us.
std::string P384Pem(bool private_key) {
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  std::string out;
  unsigned char buf[1024];
  if (mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) == 0 &&
      mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, mbedtls_pk_ec(pk), &Drbg::MbedtlsRandom,
                          &TestDrbg()) == 0) {
    const int ret = private_key ? mbedtls_pk_write_key_pem(&pk, buf, sizeof(buf))
                                : mbedtls_pk_write_pubkey_pem(&pk, buf, sizeof(buf));
    if (ret == 0) out = reinterpret_cast<const char*>(buf);
  }
  mbedtls_pk_free(&pk);
  return out;
}

TEST(EcdsaTest, OtherCurveIsRefusedByName) {
  const std::string pub = P384Pem(false);
  const std::string priv = P384Pem(true);
  ASSERT_FALSE(pub.empty());
  ASSERT_FALSE(priv.empty());
  EXPECT_THAT(EcdsaP256PublicKeyFromPem(pub),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("secp384r1, expected P-256")));
  EXPECT_THAT(EcdsaP256KeyPairFromPem(priv),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("secp384r1, expected P-256")));
}

}  // namespace
}  // namespace tacet::crypto
