// Hybrid Public Key Encryption, RFC 9180, built on mbedTLS primitives (mbedTLS 2.28 has no HPKE).
//
// Supported: KEM DHKEM(X25519, HKDF-SHA256) (kem_id 0x0020), KDF HKDF-SHA256 (kdf_id 0x0001),
// AEADs AES-128-GCM (0x0001), ChaCha20-Poly1305 (0x0003) and export-only (0xFFFF), in all four
// modes (§5.1): base, psk, auth and auth_psk.
//
// Ownership: every ByteView argument is borrowed for the duration of the call only. Contexts own
// their secrets (AEAD key schedule, base nonce, exporter secret) and wipe them on destruction.
// Thread-safety: the free functions are thread-safe; a context is used by one thread at a time
// (Seal/Open advance its sequence number).
#ifndef TACET_CRYPTO_HPKE_H_
#define TACET_CRYPTO_HPKE_H_

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/drbg.h"
#include "crypto/secure.h"
#include "crypto/x25519.h"

namespace tacet::crypto {

// Identifiers (RFC 9180 §7.1, §7.2) and sizes of the fixed KEM and KDF.
inline constexpr uint16_t kHpkeKemDhkemX25519HkdfSha256 = 0x0020;
inline constexpr uint16_t kHpkeKdfHkdfSha256 = 0x0001;
inline constexpr size_t kHpkeNsecret = 32;  // KEM shared secret
inline constexpr size_t kHpkeNenc = 32;     // encapsulated key
inline constexpr size_t kHpkeNpk = 32;      // public key
inline constexpr size_t kHpkeNsk = 32;      // private key
inline constexpr size_t kHpkeNh = 32;       // KDF output
inline constexpr size_t kHpkeMaxExportLength = 255 * kHpkeNh;  // §5.3 / RFC 5869 §2.3

// RFC 9180 §5, Table 1.
enum class HpkeMode : uint8_t { kBase = 0, kPsk = 1, kAuth = 2, kAuthPsk = 3 };
// RFC 9180 §7.3, Table 5 (the AEADs Tacet supports).
enum class HpkeAead : uint16_t { kAes128Gcm = 0x0001, kChaCha20Poly1305 = 0x0003, kExportOnly = 0xFFFF };

// The cipher suite. KEM (0x0020) and KDF (0x0001) are fixed.
struct HpkeSuite {
  HpkeAead aead = HpkeAead::kAes128Gcm;
};

// Sender inputs beyond the recipient key (§5.1.2-§5.1.4). psk and psk_id are given together in
// the psk and auth_psk modes and left empty otherwise (§5.1, VerifyPSKInputs); the PSK must have
// at least 32 bytes (§5.1.2: "at least 32 bytes of entropy"). sender_private_key (skS, 32 bytes)
// is required in the auth and auth_psk modes and must be empty otherwise.
struct HpkeSenderOptions {
  ByteView psk;
  ByteView psk_id;
  ByteView sender_private_key;
};

// Recipient counterpart: the same psk/psk_id, and the sender's public key (pkS, 32 bytes) in the
// auth modes.
struct HpkeRecipientOptions {
  ByteView psk;
  ByteView psk_id;
  ByteView sender_public_key;
};

namespace internal {

// Builds and reaches into the public context classes; defined in hpke.cc only.
struct HpkeContextAccess;

// The encryption context shared by both roles (RFC 9180 §5.2, §5.3). Not for direct use.
class HpkeContext {
 public:
  // Takes the key-schedule outputs; for the export-only suite key and base_nonce are empty.
  static StatusOr<HpkeContext> Create(HpkeSuite suite, ByteView key, ByteView base_nonce,
                                      SecretBytes exporter_secret);
  HpkeContext(HpkeContext&&) noexcept;
  HpkeContext& operator=(HpkeContext&&) noexcept;
  HpkeContext(const HpkeContext&) = delete;
  HpkeContext& operator=(const HpkeContext&) = delete;
  ~HpkeContext();

  Status Seal(ByteView aad, ByteView plaintext, Bytes* out);
  Status Open(ByteView aad, ByteView ciphertext, Bytes* out);
  StatusOr<Bytes> Export(ByteView exporter_context, size_t length) const;
  uint64_t sequence_number() const { return seq_; }
  HpkeSuite suite() const { return suite_; }
  void SetSequenceNumberForTesting(uint64_t seq) { seq_ = seq; }

 private:
  HpkeContext(HpkeSuite suite, std::optional<Aead> aead, SecretBytes exporter_secret);
  Status CheckCanEncrypt(const char* operation) const;
  std::array<uint8_t, kAeadNonceSize> ComputeNonce() const;

  HpkeSuite suite_;
  std::optional<Aead> aead_;  // empty for the export-only suite
  std::array<uint8_t, kAeadNonceSize> base_nonce_{};
  uint64_t seq_ = 0;
  SecretBytes exporter_secret_;
};

}  // namespace internal

// The sender's side of an HPKE context (RFC 9180 §5.2). Move-only; secrets wiped on destruction.
// One thread at a time.
class HpkeSenderContext {
 public:
  // §5.2 ContextS.Seal: encrypts with nonce = base_nonce XOR seq, then advances seq; appends the
  // ciphertext (plaintext.size() + 16 bytes) to *out. kFailedPrecondition for the export-only
  // suite; kResourceExhausted once the sequence number would overflow (Tacet's counter is 64 bits,
  // so the limit is 2^64 - 1 messages, below the RFC's 2^96 - 1). aad and plaintext must not point
  // into *out. On error *out is unchanged and seq does not advance.
  Status Seal(ByteView aad, ByteView plaintext, Bytes* out) { return ctx_.Seal(aad, plaintext, out); }

  // §5.3 Context.Export: LabeledExpand(exporter_secret, "sec", exporter_context, length), with
  // length <= 255 * Nh (8160) else kInvalidArgument. The caller owns the returned secret.
  StatusOr<Bytes> Export(ByteView exporter_context, size_t length) const {
    return ctx_.Export(exporter_context, length);
  }

  // How many messages have been sealed.
  uint64_t sequence_number() const { return ctx_.sequence_number(); }
  HpkeSuite suite() const { return ctx_.suite(); }

 private:
  friend struct internal::HpkeContextAccess;
  explicit HpkeSenderContext(internal::HpkeContext ctx) : ctx_(std::move(ctx)) {}
  internal::HpkeContext ctx_;
};

// The recipient's side (RFC 9180 §5.2). Move-only; secrets wiped on destruction. One thread at a
// time.
class HpkeRecipientContext {
 public:
  // §5.2 ContextR.Open: authenticates and decrypts with nonce = base_nonce XOR seq, appending the
  // plaintext to *out, and advances seq only on success. Authentication failure is kDataLoss
  // (*out unchanged, no plaintext released); kFailedPrecondition for the export-only suite;
  // kResourceExhausted at sequence-number overflow. The inputs must not point into *out.
  Status Open(ByteView aad, ByteView ciphertext, Bytes* out) { return ctx_.Open(aad, ciphertext, out); }

  // §5.3 Context.Export; see HpkeSenderContext::Export.
  StatusOr<Bytes> Export(ByteView exporter_context, size_t length) const {
    return ctx_.Export(exporter_context, length);
  }

  // How many messages have been opened.
  uint64_t sequence_number() const { return ctx_.sequence_number(); }
  HpkeSuite suite() const { return ctx_.suite(); }

 private:
  friend struct internal::HpkeContextAccess;
  explicit HpkeRecipientContext(internal::HpkeContext ctx) : ctx_(std::move(ctx)) {}
  internal::HpkeContext ctx_;
};

struct HpkeSenderSetup {
  Bytes enc;  // the encapsulated key (Nenc = 32 bytes) to send to the recipient
  HpkeSenderContext ctx;
};

// RFC 9180 §5.1.1-§5.1.4 SetupBaseS / SetupPSKS / SetupAuthS / SetupAuthPSKS: encapsulates a fresh
// ephemeral key (drawn from drbg) to pkR (32 bytes) and runs the key schedule for `mode`.
// kInvalidArgument for a malformed or low-order pkR, options inconsistent with the mode, or an
// unsupported suite.
StatusOr<HpkeSenderSetup> HpkeSetupSender(HpkeSuite suite, HpkeMode mode, ByteView pkR,
                                          ByteView info, Drbg& drbg,
                                          const HpkeSenderOptions& opts = {});

// RFC 9180 §5.1.1-§5.1.4 SetupBaseR / SetupPSKR / SetupAuthR / SetupAuthPSKR: decapsulates enc
// (32 bytes) with skR (32 bytes) and runs the key schedule. A wrong key or PSK is not detected
// here but by the first Open (kDataLoss) or by differing exports.
StatusOr<HpkeRecipientContext> HpkeSetupRecipient(HpkeSuite suite, HpkeMode mode, ByteView enc,
                                                  ByteView skR, ByteView info,
                                                  const HpkeRecipientOptions& opts = {});

// RFC 9180 §6.1 single-shot encryption: Setup<Mode>S then one Seal. Returns enc || ciphertext
// (the first kHpkeNenc bytes are enc). Not available for the export-only suite.
StatusOr<Bytes> HpkeSeal(HpkeSuite suite, HpkeMode mode, ByteView pkR, ByteView info,
                         ByteView aad, ByteView plaintext, Drbg& drbg,
                         const HpkeSenderOptions& opts = {});

// RFC 9180 §6.1 single-shot decryption of HpkeSeal's output (enc || ciphertext). kDataLoss when
// it does not authenticate (wrong key, PSK, info, aad, tampered bytes or a ciphertext shorter
// than the tag); kInvalidArgument when shorter than enc or when enc is a low-order point.
StatusOr<Bytes> HpkeOpen(HpkeSuite suite, HpkeMode mode, ByteView skR, ByteView info,
                         ByteView aad, ByteView enc_and_ciphertext,
                         const HpkeRecipientOptions& opts = {});

// RFC 9180 §7.1.3 DeriveKeyPair for DHKEM(X25519, HKDF-SHA256): a key pair derived
// deterministically from ikm, which must have at least Nsk = 32 bytes (of entropy). Thread-safe.
StatusOr<X25519KeyPair> HpkeDeriveKeyPair(ByteView ikm);

namespace internal {

// Test-only entry points, so that the RFC 9180 known-answer vectors can run deterministically.
// They do exactly what the public functions do, but with caller-chosen values where those draw
// randomness or hide intermediates.

// §4.1 Encap (skS empty) or AuthEncap (skS given) with the ephemeral private key skE.
struct DhkemEncapResult {
  SecretBytes shared_secret;
  Bytes enc;
};
StatusOr<DhkemEncapResult> DhkemEncap(ByteView pkR, ByteView skE, ByteView skS);
// Encap / AuthEncap with a precomputed pkE = X25519(skE, 9), saving that scalar multiplication.
// pkE is trusted to match skE (a mismatch gives an enc the recipient cannot open).
StatusOr<DhkemEncapResult> DhkemEncapWithPublic(ByteView pkR, ByteView skE, ByteView pkE,
                                                ByteView skS);
// §4.1 Decap (pkS empty) or AuthDecap (pkS given).
StatusOr<SecretBytes> DhkemDecap(ByteView enc, ByteView skR, ByteView pkS);

// §5.1 KeySchedule<ROLE>() outputs, including VerifyPSKInputs. key and base_nonce are empty for
// the export-only suite.
struct HpkeKeyScheduleOutput {
  SecretBytes key;
  SecretBytes base_nonce;
  SecretBytes exporter_secret;
};
StatusOr<HpkeKeyScheduleOutput> HpkeKeySchedule(HpkeSuite suite, HpkeMode mode,
                                                ByteView shared_secret, ByteView info,
                                                ByteView psk, ByteView psk_id);

// HpkeSetupSender with the ephemeral private key skE instead of a fresh one.
StatusOr<HpkeSenderSetup> HpkeSetupSenderWithEphemeral(HpkeSuite suite, HpkeMode mode,
                                                       ByteView pkR, ByteView info, ByteView skE,
                                                       const HpkeSenderOptions& opts = {});

// HpkeSetupSender with an ephemeral key pair generated ahead of time (X25519Generate), so that
// only DH(skE, pkR) remains on the caller's path. Each pair must be used for one setup only (a
// reused ephemeral makes two messages to the same pkR share their key). Not a test-only entry:
// sealer/ohttp.h's OhttpEphemeral wraps it and enforces the single use.
StatusOr<HpkeSenderSetup> HpkeSetupSenderWithKeyPair(HpkeSuite suite, HpkeMode mode, ByteView pkR,
                                                     ByteView info,
                                                     const X25519KeyPair& ephemeral,
                                                     const HpkeSenderOptions& opts = {});

// Moves a context's sequence number, to test the overflow check without 2^64 messages.
void SetSequenceNumberForTesting(HpkeSenderContext& ctx, uint64_t seq);
void SetSequenceNumberForTesting(HpkeRecipientContext& ctx, uint64_t seq);

}  // namespace internal
}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_HPKE_H_
