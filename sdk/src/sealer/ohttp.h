// Oblivious HTTP (RFC 9458): key configurations, and the encapsulation of one request and its
// response between a client and an Oblivious Gateway, with HPKE (RFC 9180, crypto/hpke.h).
//
// Supported suite: KEM DHKEM(X25519, HKDF-SHA256) (0x0020), KDF HKDF-SHA256 (0x0001), AEAD
// AES-128-GCM (0x0001) or ChaCha20-Poly1305 (0x0003). The encapsulated messages are opaque bytes
// here; Tacet puts a Binary HTTP message (bhttp.h) inside, as RFC 9458 §4 prescribes.
//
// Errors from the gateway's side are distinct so that it can answer precisely (RFC 9458 §5.2,
// §5.3): a malformed request is kInvalidArgument, one over the size cap kResourceExhausted, an
// unknown key identifier kNotFound, a KEM/KDF/AEAD the key configuration does not offer
// kUnimplemented, and a request that does not authenticate (wrong key, tampered bytes)
// kDataLoss.
//
// Secrets (private keys, the response secret, derived keys) live in crypto::SecretBytes and are
// wiped when released; intermediate secrets are wiped before the functions return.
#ifndef TACET_SEALER_OHTTP_H_
#define TACET_SEALER_OHTTP_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/drbg.h"
#include "crypto/hpke.h"
#include "crypto/secure.h"
#include "crypto/x25519.h"

namespace tacet::sealer {

// RFC 9180 §7 identifiers Tacet implements.
inline constexpr uint16_t kOhttpKemX25519HkdfSha256 = 0x0020;
inline constexpr uint16_t kOhttpKdfHkdfSha256 = 0x0001;
inline constexpr uint16_t kOhttpAeadAes128Gcm = 0x0001;
inline constexpr uint16_t kOhttpAeadChaCha20Poly1305 = 0x0003;

// RFC 9458 §4.3 and §4.4 labels.
inline constexpr char kOhttpRequestLabel[] = "message/bhttp request";
inline constexpr char kOhttpResponseLabel[] = "message/bhttp response";

// RFC 9458 §4.1: key id (1) + KEM id (2) + KDF id (2) + AEAD id (2).
inline constexpr size_t kOhttpRequestHeaderSize = 7;

// One (KDF, AEAD) pair a key configuration offers (RFC 9458 §3.1).
struct OhttpSymmetricAlgorithm {
  uint16_t kdf_id = 0;
  uint16_t aead_id = 0;
  friend bool operator==(const OhttpSymmetricAlgorithm& a, const OhttpSymmetricAlgorithm& b) {
    return a.kdf_id == b.kdf_id && a.aead_id == b.aead_id;
  }
};

// A gateway's public key configuration (RFC 9458 §3.1). The algorithm list may name pairs Tacet
// does not implement; they are kept, and skipped when choosing a suite.
struct OhttpKeyConfig {
  uint8_t key_id = 0;
  uint16_t kem_id = kOhttpKemX25519HkdfSha256;
  Bytes public_key;  // Npk = 32 bytes for X25519
  std::vector<OhttpSymmetricAlgorithm> algorithms;
  friend bool operator==(const OhttpKeyConfig& a, const OhttpKeyConfig& b) {
    return a.key_id == b.key_id && a.kem_id == b.kem_id && a.public_key == b.public_key &&
           a.algorithms == b.algorithms;
  }
};

// RFC 9458 §3.1 encoding: key id (8 bits), KEM id (16), public key (Npk bytes), algorithms length
// (16 bits, 4..65532, a multiple of 4), then each (KDF id, AEAD id). kInvalidArgument for an
// unsupported KEM, a public key that is not 32 bytes, or an empty or too long algorithm list.
StatusOr<Bytes> EncodeKeyConfig(const OhttpKeyConfig& config);

// Parses exactly one key configuration (no trailing bytes). kUnimplemented for a KEM other than
// 0x0020 (its public key length is then unknown); kInvalidArgument, naming the field and offset,
// for anything malformed.
StatusOr<OhttpKeyConfig> ParseKeyConfig(ByteView bytes);

// The application/ohttp-keys media type (RFC 9458 §3.2): each configuration prefixed with its
// length as a 2-byte big-endian integer. kInvalidArgument when the list is empty or a
// configuration is invalid.
StatusOr<Bytes> EncodeKeyConfigList(const std::vector<OhttpKeyConfig>& configs);

// Parses an application/ohttp-keys body. Configurations with a KEM Tacet does not implement are
// skipped (§3.2 lets a client pick among them); a malformed length or configuration is
// kInvalidArgument; a list with no usable configuration is kUnimplemented (kInvalidArgument when
// it is empty).
StatusOr<std::vector<OhttpKeyConfig>> ParseKeyConfigList(ByteView bytes);

// The state a client keeps to open the response to its request (RFC 9458 §4.4): the encapsulated
// key enc, the suite and the exported response secret. Move-only; the secret is wiped on
// destruction. One thread at a time.
class OhttpClientContext {
 public:
  // Opens an encapsulated response (RFC 9458 §4.4): response_nonce (max(Nn, Nk) bytes) ||
  // AEAD-protected response. Returns the plaintext (a Binary HTTP response). kInvalidArgument when
  // shorter than the nonce and tag; kDataLoss when it does not authenticate (tampered, or meant
  // for another request). May be called more than once.
  StatusOr<Bytes> OpenResponse(ByteView encapsulated_response) const;

  crypto::HpkeAead aead() const { return aead_; }
  // Test-only: the 16- or 32-byte secret exported from the HPKE context.
  ByteView response_secret_for_testing() const { return response_secret_.view(); }

 private:
  friend struct OhttpContextAccess;
  OhttpClientContext(crypto::HpkeAead aead, Bytes enc, crypto::SecretBytes response_secret)
      : aead_(aead), enc_(std::move(enc)), response_secret_(std::move(response_secret)) {}

  crypto::HpkeAead aead_;
  Bytes enc_;
  crypto::SecretBytes response_secret_;
};

struct OhttpClientRequest {
  Bytes encapsulated_request;  // hdr || enc || ct, the message/ohttp-req body
  OhttpClientContext context;  // keep it to open the response
};

// Client: encapsulates `request` (normally a Binary HTTP request) to the gateway's configuration
// with the chosen AEAD (RFC 9458 §4.3): hdr = key_id, kem_id, kdf_id, aead_id; info =
// "message/bhttp request" || 0x00 || hdr; HPKE base-mode SetupBaseS(pkR, info) with a fresh
// ephemeral key from drbg; ct = Seal("", request); result hdr || enc || ct. kInvalidArgument when
// the configuration does not offer (HKDF-SHA256, aead) or its KEM is not 0x0020; otherwise the
// errors of crypto::HpkeSetupSender. drbg is borrowed for the call.
StatusOr<OhttpClientRequest> EncapsulateRequest(const OhttpKeyConfig& config, crypto::HpkeAead aead,
                                                ByteView request, crypto::Drbg& drbg);

// An HPKE ephemeral key pair (skE, pkE) for exactly one request, generated ahead of time so
// that the request's sealing does one X25519 multiplication (DH(skE, pkR)) instead of two: the
// other, pkE = X25519(skE, 9), is paid in Generate, which an uploader can call off the upload
// path (idle time, a background thread, or OhttpEphemeralPool::Refill).
//
// Move-only; the private key is wiped on destruction. Single use is enforced by the type: the
// EncapsulateRequest overload below takes it by value, and a moved-from ephemeral has no private
// key left, so passing one again is refused (kInvalidArgument) instead of reusing skE (two
// requests under one skE to one gateway would share their HPKE key and nonce). An ephemeral
// is not tied to a gateway key: it may seal to any configuration. One thread at a time.
class OhttpEphemeral {
 public:
  // skE = 32 random bytes from drbg (RFC 9180 §7.1.3 GenerateKeyPair), pkE = X25519(skE, 9).
  // Thread-safe (drbg is).
  static StatusOr<OhttpEphemeral> Generate(crypto::Drbg& drbg);

  // pkE, which the request carries as enc (RFC 9458 §4.3). Valid while this object lives.
  ByteView public_key() const { return ByteView(pair_.public_key); }
  // False once moved from (the private key has gone with the move).
  bool valid() const { return pair_.private_key.size() == crypto::kX25519KeySize; }

 private:
  friend struct OhttpContextAccess;
  explicit OhttpEphemeral(crypto::X25519KeyPair pair) : pair_(std::move(pair)) {}
  crypto::X25519KeyPair pair_;
};

// As EncapsulateRequest above, with a pregenerated ephemeral instead of one drawn during the
// call; the bytes on the wire have the same form, and the gateway cannot tell the two apart.
// Consumes `ephemeral` (pass it with std::move). Errors as above, and kInvalidArgument for a
// moved-from ephemeral.
StatusOr<OhttpClientRequest> EncapsulateRequest(const OhttpKeyConfig& config, crypto::HpkeAead aead,
                                                ByteView request, OhttpEphemeral ephemeral);

// A stock of pregenerated ephemerals, shared between a thread that fills it when it has time
// and the upload path that takes one per request. Thread-safe: every member may be called from
// several threads at once. Refill generates without holding the lock, so Take never waits for a
// scalar multiplication. The stocked private keys stay in memory until taken or until the pool
// is destroyed (then wiped); keep the capacity small (a few requests' worth).
class OhttpEphemeralPool {
 public:
  // capacity: how many ephemerals Refill keeps ready (0 makes every Take miss).
  explicit OhttpEphemeralPool(size_t capacity) : capacity_(capacity) {}
  OhttpEphemeralPool(const OhttpEphemeralPool&) = delete;
  OhttpEphemeralPool& operator=(const OhttpEphemeralPool&) = delete;

  // Generates ephemerals until the pool holds capacity() (counting what others add meanwhile),
  // and returns how many this call added. On a drbg error the ones already made are kept and
  // the error is returned. drbg is borrowed for the call.
  StatusOr<size_t> Refill(crypto::Drbg& drbg);

  // Removes and returns one stocked ephemeral; kUnavailable when the pool is empty (counted in
  // misses()).
  StatusOr<OhttpEphemeral> Take();

  // Take, or on a miss a fresh ephemeral from drbg (so the request pays both multiplications).
  StatusOr<OhttpEphemeral> TakeOrGenerate(crypto::Drbg& drbg);

  size_t size() const;
  size_t capacity() const { return capacity_; }
  // How many Take calls found the pool empty.
  uint64_t misses() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::vector<OhttpEphemeral> stock_;  // guarded by mu_
  uint64_t misses_ = 0;                // guarded by mu_
};

// As EncapsulateRequest, with the caller's ephemeral private key (32 bytes) instead of a fresh
// one: only for known-answer tests (RFC 9458 Appendix A). Never use it to send.
StatusOr<OhttpClientRequest> EncapsulateRequestForTesting(const OhttpKeyConfig& config,
                                                          crypto::HpkeAead aead, ByteView request,
                                                          ByteView ephemeral_private_key);

// A gateway's key: its public configuration and the matching X25519 private key.
struct OhttpGatewayKey {
  OhttpKeyConfig config;
  crypto::SecretBytes private_key;  // 32 bytes
};

// A fresh X25519 key from drbg with the given id, offering (HKDF-SHA256, AES-128-GCM) and
// (HKDF-SHA256, ChaCha20-Poly1305). Thread-safe.
StatusOr<OhttpGatewayKey> GenerateGatewayKey(uint8_t key_id, crypto::Drbg& drbg);

// A decapsulated request on the gateway's side, with what is needed to answer it (RFC 9458 §4.4).
// Move-only; the response secret is wiped on destruction. One thread at a time.
class OhttpGatewayRequest {
 public:
  // The decrypted request (normally a Binary HTTP request).
  const Bytes& request() const { return request_; }
  uint8_t key_id() const { return key_id_; }
  crypto::HpkeAead aead() const { return aead_; }

  // Encapsulates the response (RFC 9458 §4.4): secret = Export("message/bhttp response", Nk);
  // response_nonce = max(Nn, Nk) random bytes from drbg; salt = enc || response_nonce;
  // prk = Extract(salt, secret); aead_key = Expand(prk, "key", Nk); aead_nonce =
  // Expand(prk, "nonce", Nn); result response_nonce || Seal(aead_key, aead_nonce, "", response).
  StatusOr<Bytes> EncapsulateResponse(ByteView response, crypto::Drbg& drbg) const;

  // As EncapsulateResponse with the caller's response_nonce (max(Nn, Nk) bytes): only for
  // known-answer tests. Reusing a nonce for two responses would reuse the AEAD key and nonce.
  StatusOr<Bytes> EncapsulateResponseForTesting(ByteView response, ByteView response_nonce) const;

  // Test-only: the secret exported from the HPKE context.
  ByteView response_secret_for_testing() const { return response_secret_.view(); }

 private:
  friend struct OhttpContextAccess;
  OhttpGatewayRequest() = default;

  Bytes request_;
  uint8_t key_id_ = 0;
  crypto::HpkeAead aead_ = crypto::HpkeAead::kAes128Gcm;
  Bytes enc_;
  crypto::SecretBytes response_secret_;
};

// An Oblivious Gateway's decapsulation (RFC 9458 §4.3, §5): holds its keys and opens requests.
// Move-only. After Create the gateway is immutable: DecapsulateRequest and key_configs may be
// called from several threads at once.
class OhttpGateway {
 public:
  // Takes ownership of the keys. Each key's configuration must encode (EncodeKeyConfig), its
  // private key must match its public key, and key ids must be distinct (kInvalidArgument
  // otherwise). Requests longer than max_request_size bytes are refused.
  static StatusOr<OhttpGateway> Create(std::vector<OhttpGatewayKey> keys, size_t max_request_size);

  // The application/ohttp-keys body (RFC 9458 §3.2) to publish.
  const Bytes& key_configs() const { return key_configs_; }

  // Decapsulates hdr || enc || ct. Errors, in the order checked: kResourceExhausted (over the
  // cap), kInvalidArgument (shorter than hdr + enc + tag), kNotFound (unknown key id),
  // kUnimplemented (KEM, KDF or AEAD not offered by that key), kDataLoss (does not authenticate).
  StatusOr<OhttpGatewayRequest> DecapsulateRequest(ByteView encapsulated_request) const;

 private:
  OhttpGateway(std::vector<OhttpGatewayKey> keys, Bytes key_configs, size_t max_request_size)
      : keys_(std::move(keys)), key_configs_(std::move(key_configs)),
        max_request_size_(max_request_size) {}

  std::vector<OhttpGatewayKey> keys_;
  Bytes key_configs_;
  size_t max_request_size_;
};

namespace internal {

// Nk of a supported AEAD (16 or 32) and Nn (12).
size_t OhttpAeadKeySize(crypto::HpkeAead aead);
// max(Nn, Nk): the length of the response nonce (RFC 9458 §4.4).
size_t OhttpResponseNonceSize(crypto::HpkeAead aead);

// Every intermediate value of RFC 9458 §4.4, exposed so that a known-answer test can check each.
struct OhttpResponseKeys {
  Bytes salt;                 // enc || response_nonce (public)
  crypto::SecretBytes prk;    // Extract(salt, secret)
  crypto::SecretBytes key;    // Expand(prk, "key", Nk)
  crypto::SecretBytes nonce;  // Expand(prk, "nonce", Nn)
};
StatusOr<OhttpResponseKeys> DeriveResponseKeys(crypto::HpkeAead aead, ByteView response_secret,
                                               ByteView enc, ByteView response_nonce);

}  // namespace internal
}  // namespace tacet::sealer

#endif  // TACET_SEALER_OHTTP_H_
