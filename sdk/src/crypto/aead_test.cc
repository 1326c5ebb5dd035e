#include "crypto/aead.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "crypto/crypto_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

using ::testing::HasSubstr;
using testing::Hex;

struct AeadVector {
  const char* name;
  AeadAlgorithm algorithm;
  const char* key;
  const char* nonce;
  const char* aad;
  const char* plaintext;
  const char* ciphertext_and_tag;
};

const char kGcmPlaintext60[] =
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b5"
    "25b16aedf5aa0de657ba637b39";

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 3, 4 (AES-128) and 16
// (AES-256); RFC 8439 §2.8.2 for ChaCha20-Poly1305.
std::vector<AeadVector> Vectors() {
  return {
      {"GCM test case 3", AeadAlgorithm::kAes128Gcm, "feffe9928665731c6d6a8f9467308308",
       "cafebabefacedbaddecaf888", "",
       "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6"
       "b525b16aedf5aa0de657ba637b391aafd255",
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84"
       "aa051ba30b396a0aac973d58e091473f5985"
       "4d5c2af327cd64a62cf35abd2ba6fab4"},
      {"GCM test case 4", AeadAlgorithm::kAes128Gcm, "feffe9928665731c6d6a8f9467308308",
       "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2", kGcmPlaintext60,
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84"
       "aa051ba30b396a0aac973d58e091"
       "5bc94fbc3221a5db94fae95ae7121a47"},
      {"GCM test case 16", AeadAlgorithm::kAes256Gcm,
       "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
       "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2", kGcmPlaintext60,
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b105682"
       "8838c5f61e6393ba7a0abcc9f662"
       "76fc6ece0f4e1768cddf8853bb2d551b"},
      {"RFC 8439 2.8.2", AeadAlgorithm::kChaCha20Poly1305,
       "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
       "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
       // "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the
       // future, sunscreen would be it."
       "4c616469657320616e642047656e746c656d656e206f662074686520636c617373206f66202739393a2049662049"
       "20636f756c64206f6666657220796f75206f6e6c79206f6e652074697020666f7220746865206675747572652c20"
       "73756e73637265656e20776f756c642062652069742e",
       "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92"
       "728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b"
       "4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
       "1ae10b594f09e26a7e902ecbd0600691"},
  };
}

TEST(AeadTest, KnownAnswers) {
  for (const AeadVector& v : Vectors()) {
    SCOPED_TRACE(v.name);
    ASSERT_OK_AND_ASSIGN(Aead aead, Aead::Create(v.algorithm, Hex(v.key)));
    Bytes sealed;
    ASSERT_OK(aead.Seal(Hex(v.nonce), Hex(v.aad), Hex(v.plaintext), &sealed));
    EXPECT_EQ(HexEncode(sealed), v.ciphertext_and_tag);
    Bytes opened;
    ASSERT_OK(aead.Open(Hex(v.nonce), Hex(v.aad), Hex(v.ciphertext_and_tag), &opened));
    EXPECT_EQ(opened, Hex(v.plaintext));
    // The single-shot helpers agree.
    ASSERT_OK_AND_ASSIGN(Bytes s2, AeadSeal(v.algorithm, Hex(v.key), Hex(v.nonce), Hex(v.aad),
                                            Hex(v.plaintext)));
    EXPECT_EQ(s2, sealed);
    ASSERT_OK_AND_ASSIGN(Bytes o2, AeadOpen(v.algorithm, Hex(v.key), Hex(v.nonce), Hex(v.aad),
                                            sealed));
    EXPECT_EQ(o2, Hex(v.plaintext));
  }
}

TEST(AeadTest, SealAndOpenAppendToOutput) {
  ASSERT_OK_AND_ASSIGN(Aead aead, Aead::Create(AeadAlgorithm::kAes128Gcm, Bytes(16, 7)));
  const Bytes nonce(12, 1);
  Bytes out = {0xaa, 0xbb};
  ASSERT_OK(aead.Seal(nonce, ByteView(), ByteView::FromString("hello"), &out));
  ASSERT_EQ(out.size(), 2u + 5u + kAeadTagSize);
  EXPECT_EQ(out[0], 0xaa);
  Bytes pt = {0x01};
  ASSERT_OK(aead.Open(nonce, ByteView(), ByteView(out).subview(2), &pt));
  EXPECT_EQ(pt, (Bytes{0x01, 'h', 'e', 'l', 'l', 'o'}));
}

TEST(AeadTest, EmptyPlaintextAndAadWork) {
  for (AeadAlgorithm alg : {AeadAlgorithm::kAes128Gcm, AeadAlgorithm::kAes256Gcm,
                            AeadAlgorithm::kChaCha20Poly1305}) {
    const Bytes key(AeadKeySize(alg), 3);
    ASSERT_OK_AND_ASSIGN(Bytes sealed, AeadSeal(alg, key, Bytes(12, 0), ByteView(), ByteView()));
    EXPECT_EQ(sealed.size(), kAeadTagSize);
    ASSERT_OK_AND_ASSIGN(Bytes opened, AeadOpen(alg, key, Bytes(12, 0), ByteView(), sealed));
    EXPECT_TRUE(opened.empty());
  }
}

// Every single-bit change to what is authenticated must fail, leaving the output untouched.
TEST(AeadTest, TamperingIsDetectedAndReleasesNothing) {
  for (AeadAlgorithm alg : {AeadAlgorithm::kAes128Gcm, AeadAlgorithm::kAes256Gcm,
                            AeadAlgorithm::kChaCha20Poly1305}) {
    SCOPED_TRACE(AeadName(alg));
    ASSERT_OK_AND_ASSIGN(Aead aead, Aead::Create(alg, Bytes(AeadKeySize(alg), 0x42)));
    const Bytes nonce = Hex("000102030405060708090a0b");
    const Bytes aad = ByteView::FromString("header").ToBytes();
    const Bytes pt = ByteView::FromString("the user's location history").ToBytes();
    Bytes sealed;
    ASSERT_OK(aead.Seal(nonce, aad, pt, &sealed));

    const Bytes prefix = {9, 9, 9};
    auto expect_rejected = [&](ByteView n, ByteView a, ByteView c, const char* what) {
      Bytes out = prefix;
      EXPECT_THAT(aead.Open(n, a, c, &out),
                  StatusIs(StatusCode::kDataLoss, HasSubstr("AEAD authentication failed")))
          << what;
      EXPECT_EQ(out, prefix) << what << ": output changed";
    };
    Bytes bad_ct = sealed;
    bad_ct[0] ^= 0x01;
    expect_rejected(nonce, aad, bad_ct, "ciphertext");
    Bytes bad_tag = sealed;
    bad_tag.back() ^= 0x80;
    expect_rejected(nonce, aad, bad_tag, "tag");
    Bytes bad_aad = aad;
    bad_aad[2] ^= 0x01;
    expect_rejected(nonce, bad_aad, sealed, "aad");
    expect_rejected(nonce, ByteView(), sealed, "missing aad");
    Bytes bad_nonce = nonce;
    bad_nonce[11] ^= 0x01;
    expect_rejected(bad_nonce, aad, sealed, "nonce");
    expect_rejected(nonce, aad, ByteView(sealed).subview(0, sealed.size() - 1), "truncated");
    expect_rejected(nonce, aad, ByteView(sealed).subview(0, 15), "shorter than the tag");

    // And the untampered message still opens with the same Aead.
    Bytes out;
    ASSERT_OK(aead.Open(nonce, aad, sealed, &out));
    EXPECT_EQ(out, pt);
  }
}

TEST(AeadTest, WrongKeyFails) {
  ASSERT_OK_AND_ASSIGN(Bytes sealed, AeadSeal(AeadAlgorithm::kChaCha20Poly1305, Bytes(32, 1),
                                              Bytes(12, 0), ByteView(), Bytes(10, 5)));
  EXPECT_THAT(AeadOpen(AeadAlgorithm::kChaCha20Poly1305, Bytes(32, 2), Bytes(12, 0), ByteView(),
                       sealed),
              StatusIs(StatusCode::kDataLoss));
}

TEST(AeadTest, LengthsAreChecked) {
  EXPECT_EQ(AeadKeySize(AeadAlgorithm::kAes128Gcm), 16u);
  EXPECT_EQ(AeadKeySize(AeadAlgorithm::kAes256Gcm), 32u);
  EXPECT_EQ(AeadKeySize(AeadAlgorithm::kChaCha20Poly1305), 32u);
  EXPECT_THAT(Aead::Create(AeadAlgorithm::kAes128Gcm, Bytes(32, 0)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("AES-128-GCM key must be 16 bytes")));
  EXPECT_THAT(Aead::Create(AeadAlgorithm::kChaCha20Poly1305, Bytes(16, 0)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("32 bytes, got 16")));
  EXPECT_THAT(Aead::Create(AeadAlgorithm::kAes256Gcm, ByteView()),
              StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Aead aead, Aead::Create(AeadAlgorithm::kAes128Gcm, Bytes(16, 0)));
  Bytes out = {1};
  EXPECT_THAT(aead.Seal(Bytes(8, 0), ByteView(), Bytes(4, 0), &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nonce must be 12 bytes")));
  EXPECT_EQ(out, Bytes{1});
  EXPECT_THAT(aead.Open(Bytes(16, 0), ByteView(), Bytes(32, 0), &out),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("nonce must be 12 bytes")));
}

TEST(AeadTest, MoveOnlyAndMovedFromIsRefused) {
  static_assert(!std::is_copy_constructible_v<Aead>);
  static_assert(std::is_nothrow_move_constructible_v<Aead>);
  ASSERT_OK_AND_ASSIGN(Aead a, Aead::Create(AeadAlgorithm::kAes128Gcm, Bytes(16, 0)));
  Aead b = std::move(a);
  Bytes out;
  EXPECT_OK(b.Seal(Bytes(12, 0), ByteView(), Bytes(3, 0), &out));
  EXPECT_THAT(a.Seal(Bytes(12, 0), ByteView(), Bytes(3, 0), &out),  // NOLINT(bugprone-use-after-move)
              StatusIs(StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace tacet::crypto
