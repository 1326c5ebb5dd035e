#include "crypto/hpke.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <type_traits>

#include "crypto/crypto_test_util.h"
#include "testing/status_matchers.h"

namespace tacet::crypto {
namespace {

using ::testing::HasSubstr;
using testing::TestDrbg;

const Bytes kPsk(32, 0x5a);
const Bytes kPskId = ByteView::FromString("tacet-device-42").ToBytes();
const ByteView kInfo = ByteView::FromString("tacet sync v1");
const ByteView kAad = ByteView::FromString("batch 7");
const ByteView kMessage = ByteView::FromString("{\"purpose\":\"analytics\",\"minimised\":true}");

bool IsPsk(HpkeMode m) { return m == HpkeMode::kPsk || m == HpkeMode::kAuthPsk; }
bool IsAuth(HpkeMode m) { return m == HpkeMode::kAuth || m == HpkeMode::kAuthPsk; }

struct Keys {
  X25519KeyPair recipient;
  X25519KeyPair sender;
};

Keys MakeKeys() {
  auto r = X25519Generate(TestDrbg());
  auto s = X25519Generate(TestDrbg());
  EXPECT_OK(r);
  EXPECT_OK(s);
  return Keys{std::move(r).value(), std::move(s).value()};
}

HpkeSenderOptions SenderOpts(HpkeMode mode, const Keys& k) {
  HpkeSenderOptions o;
  if (IsPsk(mode)) o = {kPsk, kPskId, ByteView()};
  if (IsAuth(mode)) o.sender_private_key = k.sender.private_key.view();
  return o;
}

HpkeRecipientOptions RecipientOpts(HpkeMode mode, const Keys& k) {
  HpkeRecipientOptions o;
  if (IsPsk(mode)) o = {kPsk, kPskId, ByteView()};
  if (IsAuth(mode)) o.sender_public_key = k.sender.public_key;
  return o;
}

const HpkeMode kModes[] = {HpkeMode::kBase, HpkeMode::kPsk, HpkeMode::kAuth, HpkeMode::kAuthPsk};
const HpkeAead kSealingAeads[] = {HpkeAead::kAes128Gcm, HpkeAead::kChaCha20Poly1305};

TEST(HpkeTest, SingleShotRoundTripInEveryModeAndAead) {
  const Keys k = MakeKeys();
  for (HpkeAead aead : kSealingAeads) {
    for (HpkeMode mode : kModes) {
      SCOPED_TRACE("mode " + std::to_string(static_cast<int>(mode)) + " aead " +
                   std::to_string(static_cast<int>(aead)));
      const HpkeSuite suite{aead};
      ASSERT_OK_AND_ASSIGN(Bytes sealed, HpkeSeal(suite, mode, k.recipient.public_key, kInfo, kAad,
                                                  kMessage, TestDrbg(), SenderOpts(mode, k)));
      EXPECT_EQ(sealed.size(), kHpkeNenc + kMessage.size() + kAeadTagSize);
      ASSERT_OK_AND_ASSIGN(Bytes opened, HpkeOpen(suite, mode, k.recipient.private_key.view(), kInfo,
                                                  kAad, sealed, RecipientOpts(mode, k)));
      EXPECT_EQ(opened, kMessage.ToBytes());
      // Fresh ephemeral key each time: sealing twice gives different output.
      ASSERT_OK_AND_ASSIGN(Bytes again, HpkeSeal(suite, mode, k.recipient.public_key, kInfo, kAad,
                                                 kMessage, TestDrbg(), SenderOpts(mode, k)));
      EXPECT_NE(again, sealed);
    }
  }
}

TEST(HpkeTest, ContextSequenceNumbersAdvanceAndExportsAgree) {
  const Keys k = MakeKeys();
  for (HpkeMode mode : kModes) {
    const HpkeSuite suite{HpkeAead::kChaCha20Poly1305};
    ASSERT_OK_AND_ASSIGN(HpkeSenderSetup s, HpkeSetupSender(suite, mode, k.recipient.public_key,
                                                            kInfo, TestDrbg(), SenderOpts(mode, k)));
    EXPECT_EQ(s.enc.size(), kHpkeNenc);
    ASSERT_OK_AND_ASSIGN(HpkeRecipientContext r,
                         HpkeSetupRecipient(suite, mode, s.enc, k.recipient.private_key.view(),
                                            kInfo, RecipientOpts(mode, k)));
    Bytes c0, c1;
    ASSERT_OK(s.ctx.Seal(kAad, kMessage, &c0));
    EXPECT_EQ(s.ctx.sequence_number(), 1u);
    ASSERT_OK(s.ctx.Seal(kAad, kMessage, &c1));
    EXPECT_EQ(s.ctx.sequence_number(), 2u);
    EXPECT_NE(c0, c1) << "same plaintext under a new nonce must differ";

    // Out of order: message 1 does not open as message 0, and a failure does not advance seq.
    Bytes pt;
    EXPECT_THAT(r.Open(kAad, c1, &pt), StatusIs(StatusCode::kDataLoss));
    EXPECT_EQ(r.sequence_number(), 0u);
    EXPECT_TRUE(pt.empty());
    ASSERT_OK(r.Open(kAad, c0, &pt));
    EXPECT_EQ(r.sequence_number(), 1u);
    pt.clear();
    ASSERT_OK(r.Open(kAad, c1, &pt));
    EXPECT_EQ(pt, kMessage.ToBytes());
    EXPECT_EQ(r.sequence_number(), 2u);

    ASSERT_OK_AND_ASSIGN(Bytes xs, s.ctx.Export(ByteView::FromString("vault key"), 32));
    ASSERT_OK_AND_ASSIGN(Bytes xr, r.Export(ByteView::FromString("vault key"), 32));
    EXPECT_EQ(xs, xr);
    ASSERT_OK_AND_ASSIGN(Bytes other, r.Export(ByteView::FromString("other"), 32));
    EXPECT_NE(other, xr);
  }
}

TEST(HpkeTest, WrongRecipientKeyIsRejected) {
  const Keys k = MakeKeys();
  const Keys other = MakeKeys();
  const HpkeSuite suite{HpkeAead::kAes128Gcm};
  ASSERT_OK_AND_ASSIGN(Bytes sealed, HpkeSeal(suite, HpkeMode::kBase, k.recipient.public_key, kInfo,
                                              kAad, kMessage, TestDrbg()));
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kBase, other.recipient.private_key.view(), kInfo, kAad, sealed),
              StatusIs(StatusCode::kDataLoss, HasSubstr("AEAD authentication failed")));
}

TEST(HpkeTest, WrongPskOrSenderKeyIsRejected) {
  const Keys k = MakeKeys();
  const Keys other = MakeKeys();
  const HpkeSuite suite{HpkeAead::kChaCha20Poly1305};
  ASSERT_OK_AND_ASSIGN(Bytes sealed,
                       HpkeSeal(suite, HpkeMode::kAuthPsk, k.recipient.public_key, kInfo, kAad,
                                kMessage, TestDrbg(), SenderOpts(HpkeMode::kAuthPsk, k)));
  HpkeRecipientOptions good = RecipientOpts(HpkeMode::kAuthPsk, k);
  ASSERT_OK(HpkeOpen(suite, HpkeMode::kAuthPsk, k.recipient.private_key.view(), kInfo, kAad, sealed, good));

  Bytes wrong_psk = kPsk;
  wrong_psk[0] ^= 1;
  HpkeRecipientOptions bad_psk = good;
  bad_psk.psk = wrong_psk;
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kAuthPsk, k.recipient.private_key.view(), kInfo, kAad, sealed, bad_psk),
              StatusIs(StatusCode::kDataLoss));
  HpkeRecipientOptions bad_id = good;
  const Bytes other_id = ByteView::FromString("someone else").ToBytes();
  bad_id.psk_id = other_id;
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kAuthPsk, k.recipient.private_key.view(), kInfo, kAad, sealed, bad_id),
              StatusIs(StatusCode::kDataLoss));
  HpkeRecipientOptions bad_sender = good;
  bad_sender.sender_public_key = other.sender.public_key;
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kAuthPsk, k.recipient.private_key.view(), kInfo, kAad, sealed, bad_sender),
              StatusIs(StatusCode::kDataLoss));
  // Wrong info or aad, too.
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kAuthPsk, k.recipient.private_key.view(),
                       ByteView::FromString("tacet sync v2"), kAad, sealed, good),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kAuthPsk, k.recipient.private_key.view(), kInfo, ByteView(), sealed, good),
              StatusIs(StatusCode::kDataLoss));
  // Opening in a different mode fails (the mode is bound in the key schedule).
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kPsk, k.recipient.private_key.view(), kInfo, kAad, sealed,
                       RecipientOpts(HpkeMode::kPsk, k)),
              StatusIs(StatusCode::kDataLoss));
}

TEST(HpkeTest, TamperedEncOrCiphertextIsRejected) {
  const Keys k = MakeKeys();
  const HpkeSuite suite{HpkeAead::kAes128Gcm};
  ASSERT_OK_AND_ASSIGN(Bytes sealed, HpkeSeal(suite, HpkeMode::kBase, k.recipient.public_key, kInfo,
                                              kAad, kMessage, TestDrbg()));
  for (size_t pos : {size_t{0}, size_t{17}, kHpkeNenc, sealed.size() - 1}) {
    Bytes bad = sealed;
    bad[pos] ^= 0x04;
    EXPECT_THAT(HpkeOpen(suite, HpkeMode::kBase, k.recipient.private_key.view(), kInfo, kAad, bad),
                StatusIs(StatusCode::kDataLoss))
        << "flipped byte " << pos;
  }
  // A low-order enc is refused before any decryption (RFC 9180 §7.1.1 via RFC 7748 §6.1).
  Bytes zero_enc = sealed;
  std::fill(zero_enc.begin(), zero_enc.begin() + kHpkeNenc, 0);
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kBase, k.recipient.private_key.view(), kInfo, kAad, zero_enc),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("low-order")));
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kBase, k.recipient.private_key.view(), kInfo, kAad,
                       ByteView(sealed).subview(0, 31)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("shorter than the 32-byte")));
  EXPECT_THAT(HpkeOpen(suite, HpkeMode::kBase, k.recipient.private_key.view(), kInfo, kAad,
                       ByteView(sealed).subview(0, kHpkeNenc + 15)),
              StatusIs(StatusCode::kDataLoss));
}

TEST(HpkeTest, PskInputsMustMatchTheMode) {
  const Keys k = MakeKeys();
  const HpkeSuite suite{HpkeAead::kAes128Gcm};
  const ByteView pkR = k.recipient.public_key;
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kPsk, pkR, kInfo, TestDrbg(), {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("missing required PSK")));
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kBase, pkR, kInfo, TestDrbg(), {kPsk, kPskId, {}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("PSK input provided when not needed")));
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kPsk, pkR, kInfo, TestDrbg(), {kPsk, {}, {}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("inconsistent PSK inputs")));
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kPsk, pkR, kInfo, TestDrbg(), {{}, kPskId, {}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("inconsistent PSK inputs")));
  const Bytes short_psk(31, 1);
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kPsk, pkR, kInfo, TestDrbg(), {short_psk, kPskId, {}}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("32 bytes")));
  EXPECT_THAT(HpkeSetupRecipient(suite, HpkeMode::kAuthPsk, pkR, k.recipient.private_key.view(), kInfo,
                                 {{}, {}, k.sender.public_key}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("missing required PSK")));
}

TEST(HpkeTest, AuthKeyMustMatchTheMode) {
  const Keys k = MakeKeys();
  const HpkeSuite suite{HpkeAead::kAes128Gcm};
  const ByteView pkR = k.recipient.public_key;
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kAuth, pkR, kInfo, TestDrbg(), {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("requires the sender private key")));
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kBase, pkR, kInfo, TestDrbg(),
                              {{}, {}, k.sender.private_key.view()}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("does not authenticate the sender")));
  EXPECT_THAT(HpkeSetupRecipient(suite, HpkeMode::kAuth, Bytes(32, 9), k.recipient.private_key.view(),
                                 kInfo, {}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("requires the sender public key")));
  EXPECT_THAT(HpkeSetupSender(suite, HpkeMode::kAuth, pkR, kInfo, TestDrbg(), {{}, {}, Bytes(31, 1)}),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("sender private key (skS) must be 32 bytes")));
}

TEST(HpkeTest, InputsAreCheckedForLengthAndSuite) {
  const Keys k = MakeKeys();
  EXPECT_THAT(HpkeSetupSender(HpkeSuite{}, HpkeMode::kBase, Bytes(31, 9), kInfo, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("recipient public key (pkR) must be 32")));
  EXPECT_THAT(HpkeSetupSender(HpkeSuite{}, HpkeMode::kBase, Bytes(32, 0), kInfo, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("low-order")));
  EXPECT_THAT(HpkeSetupRecipient(HpkeSuite{}, HpkeMode::kBase, Bytes(33, 9),
                                 k.recipient.private_key.view(), kInfo),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("encapsulated key (enc) must be 32")));
  EXPECT_THAT(HpkeSetupRecipient(HpkeSuite{}, HpkeMode::kBase, Bytes(32, 9), Bytes(16, 1), kInfo),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("skR")));
  EXPECT_THAT(HpkeSetupSender(HpkeSuite{static_cast<HpkeAead>(2)}, HpkeMode::kBase,
                              k.recipient.public_key, kInfo, TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unsupported AEAD id 0x0002")));
  EXPECT_THAT(HpkeSetupSender(HpkeSuite{}, static_cast<HpkeMode>(4), k.recipient.public_key, kInfo,
                              TestDrbg()),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("unknown mode 4")));
  EXPECT_THAT(HpkeDeriveKeyPair(Bytes(31, 1)),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("shorter than Nsk")));
}

TEST(HpkeTest, ExportOnlySuiteRefusesSealAndOpen) {
  const Keys k = MakeKeys();
  const HpkeSuite suite{HpkeAead::kExportOnly};
  ASSERT_OK_AND_ASSIGN(HpkeSenderSetup s, HpkeSetupSender(suite, HpkeMode::kBase, k.recipient.public_key,
                                                          kInfo, TestDrbg()));
  ASSERT_OK_AND_ASSIGN(HpkeRecipientContext r, HpkeSetupRecipient(suite, HpkeMode::kBase, s.enc,
                                                                  k.recipient.private_key.view(), kInfo));
  Bytes out;
  EXPECT_THAT(s.ctx.Seal(kAad, kMessage, &out),
              StatusIs(StatusCode::kFailedPrecondition, HasSubstr("export-only")));
  EXPECT_THAT(r.Open(kAad, Bytes(32, 0), &out), StatusIs(StatusCode::kFailedPrecondition));
  EXPECT_THAT(HpkeSeal(suite, HpkeMode::kBase, k.recipient.public_key, kInfo, kAad, kMessage, TestDrbg()),
              StatusIs(StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(Bytes a, s.ctx.Export(ByteView(), 64));
  ASSERT_OK_AND_ASSIGN(Bytes b, r.Export(ByteView(), 64));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 64u);
}

TEST(HpkeTest, ExportLengthIsLimited) {
  const Keys k = MakeKeys();
  ASSERT_OK_AND_ASSIGN(HpkeSenderSetup s, HpkeSetupSender(HpkeSuite{}, HpkeMode::kBase,
                                                          k.recipient.public_key, kInfo, TestDrbg()));
  ASSERT_OK_AND_ASSIGN(Bytes max, s.ctx.Export(ByteView(), kHpkeMaxExportLength));
  EXPECT_EQ(max.size(), 8160u);
  EXPECT_THAT(s.ctx.Export(ByteView(), kHpkeMaxExportLength + 1),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("8160")));
}

TEST(HpkeTest, SequenceNumberOverflowIsRefused) {
  const Keys k = MakeKeys();
  const HpkeSuite suite{HpkeAead::kAes128Gcm};
  ASSERT_OK_AND_ASSIGN(HpkeSenderSetup s, HpkeSetupSender(suite, HpkeMode::kBase, k.recipient.public_key,
                                                          kInfo, TestDrbg()));
  ASSERT_OK_AND_ASSIGN(HpkeRecipientContext r, HpkeSetupRecipient(suite, HpkeMode::kBase, s.enc,
                                                                  k.recipient.private_key.view(), kInfo));
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  internal::SetSequenceNumberForTesting(s.ctx, kMax - 1);
  internal::SetSequenceNumberForTesting(r, kMax - 1);
  Bytes last;
  ASSERT_OK(s.ctx.Seal(kAad, kMessage, &last));  // the last permitted nonce
  EXPECT_EQ(s.ctx.sequence_number(), kMax);
  Bytes out = {1, 2};
  EXPECT_THAT(s.ctx.Seal(kAad, kMessage, &out),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("sequence number")));
  EXPECT_EQ(out, (Bytes{1, 2}));
  EXPECT_EQ(s.ctx.sequence_number(), kMax);
  Bytes pt;
  ASSERT_OK(r.Open(kAad, last, &pt));  // recipient at the same high sequence number
  EXPECT_EQ(pt, kMessage.ToBytes());
  EXPECT_THAT(r.Open(kAad, last, &pt), StatusIs(StatusCode::kResourceExhausted));
}

TEST(HpkeTest, ContextsAreMoveOnly) {
  static_assert(!std::is_copy_constructible_v<HpkeSenderContext>);
  static_assert(!std::is_copy_constructible_v<HpkeRecipientContext>);
  static_assert(std::is_move_constructible_v<HpkeSenderContext>);
  static_assert(std::is_move_constructible_v<HpkeRecipientContext>);
}

TEST(HpkeTest, DeriveKeyPairIsDeterministic) {
  const Bytes ikm(32, 0x11);
  ASSERT_OK_AND_ASSIGN(X25519KeyPair a, HpkeDeriveKeyPair(ikm));
  ASSERT_OK_AND_ASSIGN(X25519KeyPair b, HpkeDeriveKeyPair(ikm));
  EXPECT_EQ(a.public_key, b.public_key);
  EXPECT_EQ(a.private_key.view().ToBytes(), b.private_key.view().ToBytes());
  ASSERT_OK_AND_ASSIGN(auto pk, X25519PublicFromPrivate(a.private_key.view()));
  EXPECT_EQ(pk, a.public_key);
}

// A pregenerated ephemeral pair gives exactly what the same skE gives when pkE is derived during
// the setup (same enc, same ciphertext, same exports), in every mode.
TEST(HpkeTest, SetupWithPregeneratedKeyPairMatchesSetupWithSameEphemeral) {
  const Keys k = MakeKeys();
  for (HpkeMode mode : kModes) {
    ASSERT_OK_AND_ASSIGN(X25519KeyPair eph, X25519Generate(TestDrbg()));
    const HpkeSuite suite{HpkeAead::kAes128Gcm};
    ASSERT_OK_AND_ASSIGN(HpkeSenderSetup a,
                         internal::HpkeSetupSenderWithKeyPair(suite, mode, k.recipient.public_key,
                                                              kInfo, eph, SenderOpts(mode, k)));
    ASSERT_OK_AND_ASSIGN(HpkeSenderSetup b, internal::HpkeSetupSenderWithEphemeral(
                                                suite, mode, k.recipient.public_key, kInfo,
                                                eph.private_key.view(), SenderOpts(mode, k)));
    EXPECT_EQ(a.enc, Bytes(eph.public_key.begin(), eph.public_key.end()));
    EXPECT_EQ(a.enc, b.enc);
    Bytes ct_a, ct_b;
    ASSERT_OK(a.ctx.Seal(kAad, kMessage, &ct_a));
    ASSERT_OK(b.ctx.Seal(kAad, kMessage, &ct_b));
    EXPECT_EQ(ct_a, ct_b);
    ASSERT_OK_AND_ASSIGN(HpkeRecipientContext r,
                         HpkeSetupRecipient(suite, mode, a.enc, k.recipient.private_key.view(),
                                            kInfo, RecipientOpts(mode, k)));
    Bytes pt;
    ASSERT_OK(r.Open(kAad, ct_a, &pt));
    EXPECT_EQ(ByteView(pt).ToBytes(), kMessage.ToBytes());
  }
  // A key pair without its private half (moved from) is refused, not used.
  ASSERT_OK_AND_ASSIGN(X25519KeyPair eph, X25519Generate(TestDrbg()));
  X25519KeyPair taken = std::move(eph);
  EXPECT_THAT(internal::HpkeSetupSenderWithKeyPair(HpkeSuite{}, HpkeMode::kBase,
                                                   k.recipient.public_key, kInfo, eph),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("ephemeral private key")));
}

}  // namespace
}  // namespace tacet::crypto
