#include "crypto/hpke.h"

#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "crypto/hkdf.h"

namespace tacet::crypto {
namespace internal {

struct HpkeContextAccess {
  static HpkeSenderContext Sender(HpkeContext ctx) { return HpkeSenderContext(std::move(ctx)); }
  static HpkeRecipientContext Recipient(HpkeContext ctx) {
    return HpkeRecipientContext(std::move(ctx));
  }
  static HpkeContext& Of(HpkeSenderContext& c) { return c.ctx_; }
  static HpkeContext& Of(HpkeRecipientContext& c) { return c.ctx_; }
};

}  // namespace internal

namespace {

using internal::HpkeContext;
using internal::HpkeContextAccess;

// RFC 9180 §4: the version label prefixed to every labeled KDF input.
constexpr std::string_view kVersionLabel = "HPKE-v1";

// The AEAD parameters behind an HpkeAead identifier (§7.3).
struct AeadParams {
  bool export_only = false;
  AeadAlgorithm algorithm = AeadAlgorithm::kAes128Gcm;
  size_t nk = 0;  // key size
  size_t nn = 0;  // nonce size
};

StatusOr<AeadParams> ParamsFor(HpkeSuite suite) {
  switch (suite.aead) {
    case HpkeAead::kAes128Gcm:
      return AeadParams{false, AeadAlgorithm::kAes128Gcm, 16, kAeadNonceSize};
    case HpkeAead::kChaCha20Poly1305:
      return AeadParams{false, AeadAlgorithm::kChaCha20Poly1305, 32, kAeadNonceSize};
    case HpkeAead::kExportOnly:
      return AeadParams{true, AeadAlgorithm::kAes128Gcm, 0, 0};
  }
  char id[8];
  std::snprintf(id, sizeof(id), "0x%04x", static_cast<unsigned>(suite.aead));
  return InvalidArgumentError(std::string("HPKE: unsupported AEAD id ") + id +
                              " (supported: 0x0001 AES-128-GCM, 0x0003 ChaCha20-Poly1305, "
                              "0xffff export-only)");
}

const char* ModeName(HpkeMode mode) {
  switch (mode) {
    case HpkeMode::kBase:
      return "base";
    case HpkeMode::kPsk:
      return "psk";
    case HpkeMode::kAuth:
      return "auth";
    case HpkeMode::kAuthPsk:
      return "auth_psk";
  }
  return nullptr;
}

Status CheckMode(HpkeMode mode) {
  if (ModeName(mode) == nullptr) {
    return InvalidArgumentError("HPKE: unknown mode " + std::to_string(static_cast<int>(mode)));
  }
  return OkStatus();
}

bool IsAuthMode(HpkeMode mode) { return mode == HpkeMode::kAuth || mode == HpkeMode::kAuthPsk; }
bool IsPskMode(HpkeMode mode) { return mode == HpkeMode::kPsk || mode == HpkeMode::kAuthPsk; }

Status CheckSize(ByteView b, size_t want, const char* what) {
  if (b.size() != want) {
    return InvalidArgumentError(std::string("HPKE: ") + what + " must be " + std::to_string(want) +
                                " bytes, got " + std::to_string(b.size()));
  }
  return OkStatus();
}

void AppendString(Bytes& out, std::string_view s) { Append(out, ByteView::FromString(s)); }

// suite_id for the KEM (§4.1): "KEM" || I2OSP(kem_id, 2).
Bytes KemSuiteId() {
  Bytes id;
  AppendString(id, "KEM");
  AppendU16Be(id, kHpkeKemDhkemX25519HkdfSha256);
  return id;
}

// suite_id for the key schedule and context (§5.1):
// "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2).
Bytes HpkeSuiteId(HpkeSuite suite) {
  Bytes id;
  AppendString(id, "HPKE");
  AppendU16Be(id, kHpkeKemDhkemX25519HkdfSha256);
  AppendU16Be(id, kHpkeKdfHkdfSha256);
  AppendU16Be(id, static_cast<uint16_t>(suite.aead));
  return id;
}

// The concatenation of `parts` in a buffer that is wiped when released (for inputs holding
// secrets: DH outputs, PSKs, IKM).
SecretBytes SecretConcat(std::initializer_list<ByteView> parts) {
  size_t total = 0;
  for (ByteView p : parts) total += p.size();
  SecretBytes out(total);
  size_t pos = 0;
  for (ByteView p : parts) {
    if (!p.empty()) std::memcpy(out.data() + pos, p.data(), p.size());
    pos += p.size();
  }
  return out;
}

// §4 LabeledExtract(salt, label, ikm) =
//   Extract(salt, "HPKE-v1" || suite_id || label || ikm).
SecretBytes LabeledExtract(ByteView suite_id, ByteView salt, std::string_view label, ByteView ikm) {
  const SecretBytes labeled_ikm = SecretConcat(
      {ByteView::FromString(kVersionLabel), suite_id, ByteView::FromString(label), ikm});
  auto prk = HkdfExtract(salt, labeled_ikm.view());
  SecretBytes out{ByteView(prk)};
  SecureZero(prk.data(), prk.size());
  return out;
}

// §4 LabeledExpand(prk, label, info, L) =
//   Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L), into out[0, L).
Status LabeledExpandInto(ByteView suite_id, ByteView prk, std::string_view label, ByteView info,
                         uint8_t* out, size_t length) {
  if (length > kHpkeMaxExportLength) {
    return InvalidArgumentError("HPKE: requested " + std::to_string(length) +
                                " bytes, more than 255 * Nh = 8160 (RFC 9180 §5.3, RFC 5869 §2.3)");
  }
  Bytes labeled_info;
  labeled_info.reserve(2 + kVersionLabel.size() + suite_id.size() + label.size() + info.size());
  AppendU16Be(labeled_info, static_cast<uint16_t>(length));
  AppendString(labeled_info, kVersionLabel);
  Append(labeled_info, suite_id);
  AppendString(labeled_info, label);
  Append(labeled_info, info);
  return HkdfExpandInto(prk, labeled_info, out, length);
}

StatusOr<SecretBytes> LabeledExpand(ByteView suite_id, ByteView prk, std::string_view label,
                                    ByteView info, size_t length) {
  SecretBytes out(length);
  TACET_RETURN_IF_ERROR(LabeledExpandInto(suite_id, prk, label, info, out.data(), length));
  return out;
}

// §4.1 ExtractAndExpand(dh, kem_context).
StatusOr<SecretBytes> ExtractAndExpand(ByteView dh, ByteView kem_context) {
  const Bytes suite_id = KemSuiteId();
  const SecretBytes eae_prk = LabeledExtract(suite_id, ByteView(), "eae_prk", dh);
  return LabeledExpand(suite_id, eae_prk.view(), "shared_secret", kem_context, kHpkeNsecret);
}

// §5.1 VerifyPSKInputs(mode, psk, psk_id), plus the §5.1.2 minimum PSK length.
Status VerifyPskInputs(HpkeMode mode, ByteView psk, ByteView psk_id) {
  const bool got_psk = !psk.empty();
  const bool got_psk_id = !psk_id.empty();
  if (got_psk != got_psk_id) {
    return InvalidArgumentError("HPKE: inconsistent PSK inputs: psk and psk_id must be given "
                                "together (RFC 9180 §5.1)");
  }
  if (got_psk && !IsPskMode(mode)) {
    return InvalidArgumentError(std::string("HPKE: PSK input provided when not needed (mode ") +
                                ModeName(mode) + ", RFC 9180 §5.1)");
  }
  if (!got_psk && IsPskMode(mode)) {
    return InvalidArgumentError(std::string("HPKE: missing required PSK input (mode ") +
                                ModeName(mode) + ", RFC 9180 §5.1)");
  }
  if (got_psk && psk.size() < 32) {
    return InvalidArgumentError("HPKE: psk of " + std::to_string(psk.size()) +
                                " bytes is shorter than the 32 bytes RFC 9180 §5.1.2 requires");
  }
  return OkStatus();
}

// The sender's auth key (skS) must be present exactly in the auth modes.
Status CheckAuthInput(HpkeMode mode, ByteView key, const char* what) {
  if (IsAuthMode(mode) && key.empty()) {
    return InvalidArgumentError(std::string("HPKE: mode ") + ModeName(mode) + " requires the " +
                                what);
  }
  if (!IsAuthMode(mode) && !key.empty()) {
    return InvalidArgumentError(std::string("HPKE: mode ") + ModeName(mode) +
                                " does not authenticate the sender, but the " + what +
                                " was given");
  }
  return OkStatus();
}

}  // namespace

// ---- DHKEM(X25519, HKDF-SHA256), RFC 9180 §4.1 ------------------------------------------------

StatusOr<X25519KeyPair> HpkeDeriveKeyPair(ByteView ikm) {
  // §7.1.3 DeriveKeyPair: dkp_prk = LabeledExtract("", "dkp_prk", ikm);
  // sk = LabeledExpand(dkp_prk, "sk", "", Nsk). X25519 needs no rejection sampling.
  if (ikm.size() < kHpkeNsk) {
    return InvalidArgumentError("HPKE DeriveKeyPair: ikm of " + std::to_string(ikm.size()) +
                                " bytes is shorter than Nsk = 32 (RFC 9180 §7.1.3)");
  }
  const Bytes suite_id = KemSuiteId();
  const SecretBytes dkp_prk = LabeledExtract(suite_id, ByteView(), "dkp_prk", ikm);
  X25519KeyPair kp;
  TACET_ASSIGN_OR_RETURN(kp.private_key,
                         LabeledExpand(suite_id, dkp_prk.view(), "sk", ByteView(), kHpkeNsk));
  TACET_ASSIGN_OR_RETURN(kp.public_key, X25519PublicFromPrivate(kp.private_key.view()));
  return kp;
}

namespace internal {

StatusOr<DhkemEncapResult> DhkemEncap(ByteView pkR, ByteView skE, ByteView skS) {
  // Encap(pkR):          dh = DH(skE, pkR);                kem_context = enc || pkR
  // AuthEncap(pkR, skS): dh = DH(skE, pkR) || DH(skS, pkR); kem_context = enc || pkR || pkS
  TACET_RETURN_IF_ERROR(CheckSize(pkR, kHpkeNpk, "recipient public key (pkR)"));
  TACET_RETURN_IF_ERROR(CheckSize(skE, kHpkeNsk, "ephemeral private key (skE)"));
  const bool auth = !skS.empty();
  if (auth) TACET_RETURN_IF_ERROR(CheckSize(skS, kHpkeNsk, "sender private key (skS)"));

  TACET_ASSIGN_OR_RETURN(const auto pkE, X25519PublicFromPrivate(skE));
  return DhkemEncapWithPublic(pkR, skE, ByteView(pkE), skS);
}

StatusOr<DhkemEncapResult> DhkemEncapWithPublic(ByteView pkR, ByteView skE, ByteView pkE,
                                                ByteView skS) {
  TACET_RETURN_IF_ERROR(CheckSize(pkR, kHpkeNpk, "recipient public key (pkR)"));
  TACET_RETURN_IF_ERROR(CheckSize(skE, kHpkeNsk, "ephemeral private key (skE)"));
  TACET_RETURN_IF_ERROR(CheckSize(pkE, kHpkeNpk, "ephemeral public key (pkE)"));
  const bool auth = !skS.empty();
  if (auth) TACET_RETURN_IF_ERROR(CheckSize(skS, kHpkeNsk, "sender private key (skS)"));
  TACET_ASSIGN_OR_RETURN(const SecretBytes dh_e, X25519(skE, pkR));
  SecretBytes dh_s;
  std::array<uint8_t, kHpkeNpk> pkS{};
  if (auth) {
    TACET_ASSIGN_OR_RETURN(dh_s, X25519(skS, pkR));
    TACET_ASSIGN_OR_RETURN(pkS, X25519PublicFromPrivate(skS));
  }
  const SecretBytes dh = SecretConcat({dh_e.view(), dh_s.view()});
  Bytes kem_context;
  Append(kem_context, pkE);
  Append(kem_context, pkR);
  if (auth) Append(kem_context, pkS);

  DhkemEncapResult out;
  TACET_ASSIGN_OR_RETURN(out.shared_secret, ExtractAndExpand(dh.view(), kem_context));
  out.enc = pkE.ToBytes();  // SerializePublicKey(pkE)
  return out;
}

StatusOr<SecretBytes> DhkemDecap(ByteView enc, ByteView skR, ByteView pkS) {
  // Decap(enc, skR):          dh = DH(skR, pkE);                kem_context = enc || pkRm
  // AuthDecap(enc, skR, pkS): dh = DH(skR, pkE) || DH(skR, pkS); kem_context = enc || pkRm || pkS
  TACET_RETURN_IF_ERROR(CheckSize(enc, kHpkeNenc, "encapsulated key (enc)"));
  TACET_RETURN_IF_ERROR(CheckSize(skR, kHpkeNsk, "recipient private key (skR)"));
  const bool auth = !pkS.empty();
  if (auth) TACET_RETURN_IF_ERROR(CheckSize(pkS, kHpkeNpk, "sender public key (pkS)"));

  TACET_ASSIGN_OR_RETURN(const SecretBytes dh_e, X25519(skR, enc));
  SecretBytes dh_s;
  if (auth) {
    TACET_ASSIGN_OR_RETURN(dh_s, X25519(skR, pkS));
  }
  TACET_ASSIGN_OR_RETURN(const auto pkRm, X25519PublicFromPrivate(skR));
  const SecretBytes dh = SecretConcat({dh_e.view(), dh_s.view()});
  Bytes kem_context;
  Append(kem_context, enc);
  Append(kem_context, pkRm);
  if (auth) Append(kem_context, pkS);
  return ExtractAndExpand(dh.view(), kem_context);
}

// ---- Key schedule, RFC 9180 §5.1 --------------------------------------------------------------

StatusOr<HpkeKeyScheduleOutput> HpkeKeySchedule(HpkeSuite suite, HpkeMode mode,
                                                ByteView shared_secret, ByteView info,
                                                ByteView psk, ByteView psk_id) {
  TACET_RETURN_IF_ERROR(CheckMode(mode));
  TACET_ASSIGN_OR_RETURN(const AeadParams params, ParamsFor(suite));
  TACET_RETURN_IF_ERROR(CheckSize(shared_secret, kHpkeNsecret, "KEM shared secret"));
  TACET_RETURN_IF_ERROR(VerifyPskInputs(mode, psk, psk_id));

  const Bytes suite_id = HpkeSuiteId(suite);
  const SecretBytes psk_id_hash = LabeledExtract(suite_id, ByteView(), "psk_id_hash", psk_id);
  const SecretBytes info_hash = LabeledExtract(suite_id, ByteView(), "info_hash", info);
  Bytes key_schedule_context;
  key_schedule_context.push_back(static_cast<uint8_t>(mode));
  Append(key_schedule_context, psk_id_hash.view());
  Append(key_schedule_context, info_hash.view());

  const SecretBytes secret = LabeledExtract(suite_id, shared_secret, "secret", psk);
  HpkeKeyScheduleOutput out;
  if (!params.export_only) {
    TACET_ASSIGN_OR_RETURN(out.key, LabeledExpand(suite_id, secret.view(), "key",
                                                  key_schedule_context, params.nk));
    TACET_ASSIGN_OR_RETURN(out.base_nonce, LabeledExpand(suite_id, secret.view(), "base_nonce",
                                                         key_schedule_context, params.nn));
  }
  TACET_ASSIGN_OR_RETURN(out.exporter_secret, LabeledExpand(suite_id, secret.view(), "exp",
                                                            key_schedule_context, kHpkeNh));
  return out;
}

// ---- Context, RFC 9180 §5.2-§5.3 --------------------------------------------------------------

HpkeContext::HpkeContext(HpkeSuite suite, std::optional<Aead> aead, SecretBytes exporter_secret)
    : suite_(suite), aead_(std::move(aead)), exporter_secret_(std::move(exporter_secret)) {}
HpkeContext::HpkeContext(HpkeContext&&) noexcept = default;
HpkeContext& HpkeContext::operator=(HpkeContext&&) noexcept = default;
HpkeContext::~HpkeContext() { SecureZero(base_nonce_.data(), base_nonce_.size()); }

StatusOr<HpkeContext> HpkeContext::Create(HpkeSuite suite, ByteView key, ByteView base_nonce,
                                          SecretBytes exporter_secret) {
  TACET_ASSIGN_OR_RETURN(const AeadParams params, ParamsFor(suite));
  TACET_RETURN_IF_ERROR(CheckSize(exporter_secret.view(), kHpkeNh, "exporter secret"));
  std::optional<Aead> aead;
  if (!params.export_only) {
    TACET_RETURN_IF_ERROR(CheckSize(base_nonce, params.nn, "base nonce"));
    TACET_ASSIGN_OR_RETURN(Aead keyed, Aead::Create(params.algorithm, key));
    aead.emplace(std::move(keyed));
  }
  HpkeContext ctx(suite, std::move(aead), std::move(exporter_secret));
  if (!params.export_only) std::memcpy(ctx.base_nonce_.data(), base_nonce.data(), params.nn);
  return ctx;
}

Status HpkeContext::CheckCanEncrypt(const char* operation) const {
  if (!aead_.has_value()) {
    return FailedPreconditionError(std::string("HPKE: the export-only suite (AEAD 0xffff) cannot ") +
                                   operation + "; only Export is available (RFC 9180 §5.3)");
  }
  if (seq_ == std::numeric_limits<uint64_t>::max()) {
    return ResourceExhaustedError(std::string("HPKE: cannot ") + operation +
                                  ": message limit reached (sequence number would overflow, "
                                  "RFC 9180 §5.2)");
  }
  return OkStatus();
}

// §5.2 ComputeNonce(seq): base_nonce XOR I2OSP(seq, Nn). seq fills the low 8 of the 12 bytes.
std::array<uint8_t, kAeadNonceSize> HpkeContext::ComputeNonce() const {
  std::array<uint8_t, kAeadNonceSize> nonce = base_nonce_;
  for (size_t i = 0; i < 8; ++i) {
    nonce[kAeadNonceSize - 1 - i] ^= static_cast<uint8_t>(seq_ >> (8 * i));
  }
  return nonce;
}

Status HpkeContext::Seal(ByteView aad, ByteView plaintext, Bytes* out) {
  TACET_RETURN_IF_ERROR(CheckCanEncrypt("Seal"));
  const auto nonce = ComputeNonce();
  TACET_RETURN_IF_ERROR(aead_->Seal(nonce, aad, plaintext, out));
  ++seq_;  // §5.2 IncrementSeq; overflow is refused above before any use of the nonce
  return OkStatus();
}

Status HpkeContext::Open(ByteView aad, ByteView ciphertext, Bytes* out) {
  TACET_RETURN_IF_ERROR(CheckCanEncrypt("Open"));
  const auto nonce = ComputeNonce();
  TACET_RETURN_IF_ERROR(aead_->Open(nonce, aad, ciphertext, out));
  ++seq_;
  return OkStatus();
}

StatusOr<Bytes> HpkeContext::Export(ByteView exporter_context, size_t length) const {
  // §5.3 Context.Export(exporter_context, L) = LabeledExpand(exporter_secret, "sec",
  // exporter_context, L).
  if (length > kHpkeMaxExportLength) {
    return InvalidArgumentError("HPKE Export: length " + std::to_string(length) +
                                " exceeds 255 * Nh = 8160 (RFC 9180 §5.3)");
  }
  if (exporter_secret_.size() != kHpkeNh) {
    return FailedPreconditionError("HPKE Export: moved-from context");
  }
  Bytes out(length);
  TACET_RETURN_IF_ERROR(LabeledExpandInto(HpkeSuiteId(suite_), exporter_secret_.view(), "sec",
                                          exporter_context, out.data(), length));
  return out;
}

// ---- Setup, RFC 9180 §5.1.1-§5.1.4 -----------------------------------------------------------

namespace {

// SetupS after the input checks; pkE is empty (derive it from skE) or skE's public key.
StatusOr<HpkeSenderSetup> SetupSender(HpkeSuite suite, HpkeMode mode, ByteView pkR, ByteView info,
                                      ByteView skE, ByteView pkE, const HpkeSenderOptions& opts) {
  TACET_RETURN_IF_ERROR(CheckMode(mode));
  TACET_RETURN_IF_ERROR(ParamsFor(suite).status());
  TACET_RETURN_IF_ERROR(CheckAuthInput(mode, opts.sender_private_key, "sender private key (skS)"));
  TACET_RETURN_IF_ERROR(VerifyPskInputs(mode, opts.psk, opts.psk_id));
  TACET_ASSIGN_OR_RETURN(DhkemEncapResult encap,
                         pkE.empty() ? DhkemEncap(pkR, skE, opts.sender_private_key)
                                     : DhkemEncapWithPublic(pkR, skE, pkE, opts.sender_private_key));
  TACET_ASSIGN_OR_RETURN(HpkeKeyScheduleOutput ks,
                         HpkeKeySchedule(suite, mode, encap.shared_secret.view(), info, opts.psk,
                                         opts.psk_id));
  TACET_ASSIGN_OR_RETURN(HpkeContext ctx, HpkeContext::Create(suite, ks.key.view(),
                                                               ks.base_nonce.view(),
                                                               std::move(ks.exporter_secret)));
  return HpkeSenderSetup{std::move(encap.enc), HpkeContextAccess::Sender(std::move(ctx))};
}

}  // namespace

StatusOr<HpkeSenderSetup> HpkeSetupSenderWithEphemeral(HpkeSuite suite, HpkeMode mode,
                                                       ByteView pkR, ByteView info, ByteView skE,
                                                       const HpkeSenderOptions& opts) {
  return SetupSender(suite, mode, pkR, info, skE, ByteView(), opts);
}

StatusOr<HpkeSenderSetup> HpkeSetupSenderWithKeyPair(HpkeSuite suite, HpkeMode mode, ByteView pkR,
                                                     ByteView info,
                                                     const X25519KeyPair& ephemeral,
                                                     const HpkeSenderOptions& opts) {
  return SetupSender(suite, mode, pkR, info, ephemeral.private_key.view(),
                     ByteView(ephemeral.public_key), opts);
}

void SetSequenceNumberForTesting(HpkeSenderContext& ctx, uint64_t seq) {
  HpkeContextAccess::Of(ctx).SetSequenceNumberForTesting(seq);
}
void SetSequenceNumberForTesting(HpkeRecipientContext& ctx, uint64_t seq) {
  HpkeContextAccess::Of(ctx).SetSequenceNumberForTesting(seq);
}

}  // namespace internal

StatusOr<HpkeSenderSetup> HpkeSetupSender(HpkeSuite suite, HpkeMode mode, ByteView pkR,
                                          ByteView info, Drbg& drbg,
                                          const HpkeSenderOptions& opts) {
  // §4.1 GenerateKeyPair for X25519: Nsk random bytes. Only the private half is drawn here;
  // Encap derives pkE itself, so no scalar multiplication is wasted.
  SecretBytes skE(kHpkeNsk);
  TACET_RETURN_IF_ERROR(drbg.Generate(skE.data(), skE.size()));
  return internal::HpkeSetupSenderWithEphemeral(suite, mode, pkR, info, skE.view(), opts);
}

StatusOr<HpkeRecipientContext> HpkeSetupRecipient(HpkeSuite suite, HpkeMode mode, ByteView enc,
                                                  ByteView skR, ByteView info,
                                                  const HpkeRecipientOptions& opts) {
  TACET_RETURN_IF_ERROR(CheckMode(mode));
  TACET_RETURN_IF_ERROR(ParamsFor(suite).status());
  TACET_RETURN_IF_ERROR(CheckAuthInput(mode, opts.sender_public_key, "sender public key (pkS)"));
  TACET_RETURN_IF_ERROR(VerifyPskInputs(mode, opts.psk, opts.psk_id));
  TACET_ASSIGN_OR_RETURN(const SecretBytes shared_secret,
                         internal::DhkemDecap(enc, skR, opts.sender_public_key));
  TACET_ASSIGN_OR_RETURN(internal::HpkeKeyScheduleOutput ks,
                         internal::HpkeKeySchedule(suite, mode, shared_secret.view(), info,
                                                   opts.psk, opts.psk_id));
  TACET_ASSIGN_OR_RETURN(HpkeContext ctx, HpkeContext::Create(suite, ks.key.view(),
                                                               ks.base_nonce.view(),
                                                               std::move(ks.exporter_secret)));
  return HpkeContextAccess::Recipient(std::move(ctx));
}

StatusOr<Bytes> HpkeSeal(HpkeSuite suite, HpkeMode mode, ByteView pkR, ByteView info,
                         ByteView aad, ByteView plaintext, Drbg& drbg,
                         const HpkeSenderOptions& opts) {
  TACET_ASSIGN_OR_RETURN(HpkeSenderSetup setup, HpkeSetupSender(suite, mode, pkR, info, drbg, opts));
  Bytes out = std::move(setup.enc);
  out.reserve(out.size() + plaintext.size() + kAeadTagSize);
  TACET_RETURN_IF_ERROR(setup.ctx.Seal(aad, plaintext, &out));
  return out;
}

StatusOr<Bytes> HpkeOpen(HpkeSuite suite, HpkeMode mode, ByteView skR, ByteView info,
                         ByteView aad, ByteView enc_and_ciphertext,
                         const HpkeRecipientOptions& opts) {
  if (enc_and_ciphertext.size() < kHpkeNenc) {
    return InvalidArgumentError("HPKE Open: input of " + std::to_string(enc_and_ciphertext.size()) +
                                " bytes is shorter than the 32-byte encapsulated key");
  }
  TACET_ASSIGN_OR_RETURN(HpkeRecipientContext ctx,
                         HpkeSetupRecipient(suite, mode, enc_and_ciphertext.subview(0, kHpkeNenc),
                                            skR, info, opts));
  Bytes out;
  TACET_RETURN_IF_ERROR(ctx.Open(aad, enc_and_ciphertext.subview(kHpkeNenc), &out));
  return out;
}

}  // namespace tacet::crypto
