#include "sealer/ohttp.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <utility>

#include "crypto/aead.h"
#include "crypto/hkdf.h"
#include "crypto/x25519.h"
#include "sealer/wire_reader.h"

namespace tacet::sealer {

// Builds the contexts, whose constructors are private.
struct OhttpContextAccess {
  static OhttpClientContext Client(crypto::HpkeAead aead, Bytes enc, crypto::SecretBytes secret) {
    return OhttpClientContext(aead, std::move(enc), std::move(secret));
  }
  static OhttpGatewayRequest Gateway(Bytes request, uint8_t key_id, crypto::HpkeAead aead,
                                     Bytes enc, crypto::SecretBytes secret) {
    OhttpGatewayRequest r;
    r.request_ = std::move(request);
    r.key_id_ = key_id;
    r.aead_ = aead;
    r.enc_ = std::move(enc);
    r.response_secret_ = std::move(secret);
    return r;
  }
  static OhttpEphemeral Ephemeral(crypto::X25519KeyPair pair) {
    return OhttpEphemeral(std::move(pair));
  }
  static const crypto::X25519KeyPair& PairOf(const OhttpEphemeral& e) { return e.pair_; }
};

namespace {

using crypto::HpkeAead;
using crypto::SecretBytes;

constexpr size_t kX25519PublicKeySize = crypto::kHpkeNpk;
// RFC 9458 §3.1: the algorithms length is 16 bits and counts 4-byte entries.
constexpr size_t kMaxAlgorithms = 65532 / 4;

std::string Hex16(uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  return buf;
}

// The AEADs of RFC 9180 §7.3 that Tacet implements for OHTTP (not export-only: OHTTP encrypts).
bool SupportedAead(uint16_t aead_id, HpkeAead* out) {
  if (aead_id == kOhttpAeadAes128Gcm) {
    *out = HpkeAead::kAes128Gcm;
    return true;
  }
  if (aead_id == kOhttpAeadChaCha20Poly1305) {
    *out = HpkeAead::kChaCha20Poly1305;
    return true;
  }
  return false;
}

Status CheckAead(HpkeAead aead) {
  if (aead == HpkeAead::kAes128Gcm || aead == HpkeAead::kChaCha20Poly1305) return OkStatus();
  return InvalidArgumentError("ohttp: AEAD " + Hex16(static_cast<uint16_t>(aead)) +
                              " cannot protect messages");
}

crypto::AeadAlgorithm RawAead(HpkeAead aead) {
  return aead == HpkeAead::kChaCha20Poly1305 ? crypto::AeadAlgorithm::kChaCha20Poly1305
                                             : crypto::AeadAlgorithm::kAes128Gcm;
}

bool Offers(const OhttpKeyConfig& config, uint16_t kdf_id, uint16_t aead_id) {
  return std::find(config.algorithms.begin(), config.algorithms.end(),
                   OhttpSymmetricAlgorithm{kdf_id, aead_id}) != config.algorithms.end();
}

// RFC 9458 §4.3: hdr = key_id (1) || kem_id (2) || kdf_id (2) || aead_id (2).
Bytes RequestHeader(uint8_t key_id, uint16_t kem_id, uint16_t kdf_id, uint16_t aead_id) {
  Bytes hdr;
  hdr.push_back(key_id);
  AppendU16Be(hdr, kem_id);
  AppendU16Be(hdr, kdf_id);
  AppendU16Be(hdr, aead_id);
  return hdr;
}

// RFC 9458 §4.3: info = "message/bhttp request" || 0x00 || hdr.
Bytes RequestInfo(ByteView hdr) {
  Bytes info;
  Append(info, ByteView::FromString(kOhttpRequestLabel));
  info.push_back(0x00);
  Append(info, hdr);
  return info;
}

// RFC 9458 §4.4 step 1: secret = context.Export("message/bhttp response", max(Nn, Nk)).
template <typename HpkeContext>
StatusOr<SecretBytes> ExportResponseSecret(const HpkeContext& ctx, HpkeAead aead) {
  TACET_ASSIGN_OR_RETURN(Bytes exported,
                         ctx.Export(ByteView::FromString(kOhttpResponseLabel),
                                    internal::OhttpResponseNonceSize(aead)));
  SecretBytes secret(exported);
  crypto::SecureZero(exported.data(), exported.size());
  return secret;
}

// Reads one RFC 9458 §3.1 Key Config. For an unsupported KEM, stops after the KEM id with
// kUnimplemented (the public key's length is unknown).
Status ReadKeyConfig(WireReader& r, OhttpKeyConfig* config) {
  TACET_RETURN_IF_ERROR(r.ReadU8("key identifier", &config->key_id));
  TACET_RETURN_IF_ERROR(r.ReadU16("KEM id", &config->kem_id));
  if (config->kem_id != kOhttpKemX25519HkdfSha256) {
    return UnimplementedError("ohttp: key configuration " + std::to_string(config->key_id) +
                              " uses KEM " + Hex16(config->kem_id) +
                              "; Tacet implements only DHKEM(X25519, HKDF-SHA256) (0x0020)");
  }
  ByteView public_key;
  TACET_RETURN_IF_ERROR(r.ReadBytes("public key", kX25519PublicKeySize, &public_key));
  config->public_key = public_key.ToBytes();
  uint16_t algorithms_length = 0;
  TACET_RETURN_IF_ERROR(r.ReadU16("symmetric algorithms length", &algorithms_length));
  if (algorithms_length < 4 || algorithms_length % 4 != 0) {
    return r.Error("symmetric algorithms length " + std::to_string(algorithms_length) +
                   " is not a positive multiple of 4");
  }
  ByteView algorithms;
  TACET_RETURN_IF_ERROR(r.ReadBytes("symmetric algorithms", algorithms_length, &algorithms));
  config->algorithms.clear();
  for (size_t i = 0; i < algorithms.size(); i += 4) {
    config->algorithms.push_back(OhttpSymmetricAlgorithm{
        static_cast<uint16_t>((algorithms[i] << 8) | algorithms[i + 1]),
        static_cast<uint16_t>((algorithms[i + 2] << 8) | algorithms[i + 3])});
  }
  return OkStatus();
}

Status CheckConfigOffers(const OhttpKeyConfig& config, HpkeAead aead) {
  TACET_RETURN_IF_ERROR(CheckAead(aead));
  if (config.kem_id != kOhttpKemX25519HkdfSha256) {
    return InvalidArgumentError("ohttp: key configuration " + std::to_string(config.key_id) +
                                " uses unsupported KEM " + Hex16(config.kem_id));
  }
  if (!Offers(config, kOhttpKdfHkdfSha256, static_cast<uint16_t>(aead))) {
    return InvalidArgumentError("ohttp: key configuration " + std::to_string(config.key_id) +
                                " does not offer HKDF-SHA256 with AEAD " +
                                Hex16(static_cast<uint16_t>(aead)));
  }
  return OkStatus();
}

// Where the HPKE ephemeral of one request comes from: exactly one of the three is set.
struct EphemeralSource {
  crypto::Drbg* drbg = nullptr;                      // a fresh one, drawn now
  const crypto::X25519KeyPair* pair = nullptr;       // pregenerated (OhttpEphemeral)
  ByteView private_key;                              // known-answer tests
};

// RFC 9458 §4.3 for the client.
StatusOr<OhttpClientRequest> Encapsulate(const OhttpKeyConfig& config, HpkeAead aead,
                                         ByteView request, const EphemeralSource& ephemeral) {
  TACET_RETURN_IF_ERROR(CheckConfigOffers(config, aead));
  const Bytes hdr = RequestHeader(config.key_id, config.kem_id, kOhttpKdfHkdfSha256,
                                  static_cast<uint16_t>(aead));
  const Bytes info = RequestInfo(hdr);
  const crypto::HpkeSuite suite{aead};
  StatusOr<crypto::HpkeSenderSetup> setup =
      ephemeral.drbg != nullptr
          ? crypto::HpkeSetupSender(suite, crypto::HpkeMode::kBase, config.public_key, info,
                                    *ephemeral.drbg)
      : ephemeral.pair != nullptr
          ? crypto::internal::HpkeSetupSenderWithKeyPair(suite, crypto::HpkeMode::kBase,
                                                         config.public_key, info, *ephemeral.pair)
          : crypto::internal::HpkeSetupSenderWithEphemeral(suite, crypto::HpkeMode::kBase,
                                                           config.public_key, info,
                                                           ephemeral.private_key);
  if (!setup.ok()) return setup.status().WithContext("ohttp: encapsulating the request");
  Bytes out = hdr;
  out.reserve(hdr.size() + setup->enc.size() + request.size() + crypto::kAeadTagSize);
  Append(out, setup->enc);
  TACET_RETURN_IF_ERROR(setup->ctx.Seal(ByteView(), request, &out));
  TACET_ASSIGN_OR_RETURN(SecretBytes secret, ExportResponseSecret(setup->ctx, aead));
  return OhttpClientRequest{std::move(out),
                            OhttpContextAccess::Client(aead, std::move(setup->enc), std::move(secret))};
}

// RFC 9458 §4.4, both directions share the key derivation; this seals.
StatusOr<Bytes> SealResponse(HpkeAead aead, ByteView secret, ByteView enc, ByteView response_nonce,
                             ByteView response) {
  TACET_ASSIGN_OR_RETURN(internal::OhttpResponseKeys keys,
                         internal::DeriveResponseKeys(aead, secret, enc, response_nonce));
  TACET_ASSIGN_OR_RETURN(crypto::Aead cipher, crypto::Aead::Create(RawAead(aead), keys.key.view()));
  Bytes out = response_nonce.ToBytes();
  out.reserve(response_nonce.size() + response.size() + crypto::kAeadTagSize);
  TACET_RETURN_IF_ERROR(cipher.Seal(keys.nonce.view(), ByteView(), response, &out));
  return out;
}

}  // namespace

// ---- key configurations ---------------------------------------------------------------------

StatusOr<Bytes> EncodeKeyConfig(const OhttpKeyConfig& config) {
  const std::string name = "ohttp: key configuration " + std::to_string(config.key_id);
  if (config.kem_id != kOhttpKemX25519HkdfSha256) {
    return InvalidArgumentError(name + ": unsupported KEM " + Hex16(config.kem_id));
  }
  if (config.public_key.size() != kX25519PublicKeySize) {
    return InvalidArgumentError(name + ": public key is " + std::to_string(config.public_key.size()) +
                                " bytes, not 32");
  }
  if (config.algorithms.empty() || config.algorithms.size() > kMaxAlgorithms) {
    return InvalidArgumentError(name + ": " + std::to_string(config.algorithms.size()) +
                                " symmetric algorithms (1.." + std::to_string(kMaxAlgorithms) +
                                " allowed)");
  }
  Bytes out;
  out.push_back(config.key_id);
  AppendU16Be(out, config.kem_id);
  Append(out, config.public_key);
  AppendU16Be(out, static_cast<uint16_t>(4 * config.algorithms.size()));
  for (const OhttpSymmetricAlgorithm& a : config.algorithms) {
    AppendU16Be(out, a.kdf_id);
    AppendU16Be(out, a.aead_id);
  }
  return out;
}

StatusOr<OhttpKeyConfig> ParseKeyConfig(ByteView bytes) {
  WireReader r(bytes, "ohttp key configuration");
  OhttpKeyConfig config;
  TACET_RETURN_IF_ERROR(ReadKeyConfig(r, &config));
  if (!r.empty()) return r.Error(std::to_string(r.remaining()) + " bytes after the configuration");
  return config;
}

StatusOr<Bytes> EncodeKeyConfigList(const std::vector<OhttpKeyConfig>& configs) {
  if (configs.empty()) return InvalidArgumentError("ohttp: no key configuration to publish");
  Bytes out;
  for (const OhttpKeyConfig& config : configs) {
    TACET_ASSIGN_OR_RETURN(Bytes encoded, EncodeKeyConfig(config));
    AppendU16Be(out, static_cast<uint16_t>(encoded.size()));  // at most 1 + 2 + 32 + 2 + 65532
    Append(out, encoded);
  }
  return out;
}

StatusOr<std::vector<OhttpKeyConfig>> ParseKeyConfigList(ByteView bytes) {
  if (bytes.empty()) return InvalidArgumentError("ohttp: empty key configuration list");
  WireReader r(bytes, "ohttp key configurations");
  std::vector<OhttpKeyConfig> configs;
  size_t skipped = 0;
  while (!r.empty()) {
    uint16_t length = 0;
    TACET_RETURN_IF_ERROR(r.ReadU16("key configuration length", &length));
    ByteView encoded;
    TACET_RETURN_IF_ERROR(r.ReadBytes("key configuration", length, &encoded));
    WireReader one(encoded, "ohttp key configurations", r.position() - length);
    OhttpKeyConfig config;
    Status s = ReadKeyConfig(one, &config);
    if (s.code() == StatusCode::kUnimplemented) {
      ++skipped;
      continue;
    }
    TACET_RETURN_IF_ERROR(s);
    if (!one.empty()) {
      return one.Error(std::to_string(one.remaining()) +
                       " bytes after the configuration inside its length");
    }
    configs.push_back(std::move(config));
  }
  if (configs.empty()) {
    return UnimplementedError("ohttp: none of the " + std::to_string(skipped) +
                              " key configurations uses a KEM Tacet implements");
  }
  return configs;
}

// ---- client ----------------------------------------------------------------------------------

StatusOr<OhttpClientRequest> EncapsulateRequest(const OhttpKeyConfig& config, HpkeAead aead,
                                                ByteView request, crypto::Drbg& drbg) {
  EphemeralSource source;
  source.drbg = &drbg;
  return Encapsulate(config, aead, request, source);
}

StatusOr<OhttpClientRequest> EncapsulateRequest(const OhttpKeyConfig& config, HpkeAead aead,
                                                ByteView request, OhttpEphemeral ephemeral) {
  if (!ephemeral.valid()) {
    return InvalidArgumentError(
        "ohttp: the pregenerated ephemeral has no private key (moved from, or already used)");
  }
  EphemeralSource source;
  source.pair = &OhttpContextAccess::PairOf(ephemeral);
  return Encapsulate(config, aead, request, source);
  // `ephemeral` is destroyed here, wiping skE.
}

StatusOr<OhttpClientRequest> EncapsulateRequestForTesting(const OhttpKeyConfig& config,
                                                          HpkeAead aead, ByteView request,
                                                          ByteView ephemeral_private_key) {
  EphemeralSource source;
  source.private_key = ephemeral_private_key;
  return Encapsulate(config, aead, request, source);
}

// ---- pregenerated ephemerals -------------------------------------------------------------------

StatusOr<OhttpEphemeral> OhttpEphemeral::Generate(crypto::Drbg& drbg) {
  TACET_ASSIGN_OR_RETURN(crypto::X25519KeyPair pair, crypto::X25519Generate(drbg));
  return OhttpContextAccess::Ephemeral(std::move(pair));
}

StatusOr<size_t> OhttpEphemeralPool::Refill(crypto::Drbg& drbg) {
  size_t added = 0;
  while (size() < capacity_) {
    // Generated outside the lock: Take must not wait for a scalar multiplication.
    TACET_ASSIGN_OR_RETURN(OhttpEphemeral e, OhttpEphemeral::Generate(drbg));
    std::lock_guard<std::mutex> lock(mu_);
    if (stock_.size() >= capacity_) break;  // another Refill filled it meanwhile; e is wiped
    stock_.push_back(std::move(e));
    ++added;
  }
  return added;
}

StatusOr<OhttpEphemeral> OhttpEphemeralPool::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stock_.empty()) {
    ++misses_;
    return UnavailableError("ohttp: the ephemeral pool is empty (" + std::to_string(misses_) +
                            " misses so far)");
  }
  OhttpEphemeral e = std::move(stock_.back());
  stock_.pop_back();
  return e;
}

StatusOr<OhttpEphemeral> OhttpEphemeralPool::TakeOrGenerate(crypto::Drbg& drbg) {
  StatusOr<OhttpEphemeral> e = Take();
  if (e.ok()) return e;
  return OhttpEphemeral::Generate(drbg);
}

size_t OhttpEphemeralPool::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stock_.size();
}

uint64_t OhttpEphemeralPool::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

StatusOr<Bytes> OhttpClientContext::OpenResponse(ByteView encapsulated_response) const {
  const size_t nonce_size = internal::OhttpResponseNonceSize(aead_);
  if (encapsulated_response.size() < nonce_size + crypto::kAeadTagSize) {
    return InvalidArgumentError("ohttp: encapsulated response is " +
                                std::to_string(encapsulated_response.size()) +
                                " bytes, shorter than its nonce (" + std::to_string(nonce_size) +
                                ") and tag (16)");
  }
  const ByteView response_nonce = encapsulated_response.subview(0, nonce_size);
  TACET_ASSIGN_OR_RETURN(
      internal::OhttpResponseKeys keys,
      internal::DeriveResponseKeys(aead_, response_secret_.view(), enc_, response_nonce));
  StatusOr<Bytes> opened = crypto::AeadOpen(RawAead(aead_), keys.key.view(), keys.nonce.view(),
                                            ByteView(), encapsulated_response.subview(nonce_size));
  if (!opened.ok()) return opened.status().WithContext("ohttp: response");
  return opened;
}

// ---- gateway ---------------------------------------------------------------------------------

StatusOr<OhttpGatewayKey> GenerateGatewayKey(uint8_t key_id, crypto::Drbg& drbg) {
  TACET_ASSIGN_OR_RETURN(crypto::X25519KeyPair pair, crypto::X25519Generate(drbg));
  OhttpGatewayKey key;
  key.config.key_id = key_id;
  key.config.kem_id = kOhttpKemX25519HkdfSha256;
  key.config.public_key.assign(pair.public_key.begin(), pair.public_key.end());
  key.config.algorithms = {{kOhttpKdfHkdfSha256, kOhttpAeadAes128Gcm},
                           {kOhttpKdfHkdfSha256, kOhttpAeadChaCha20Poly1305}};
  key.private_key = std::move(pair.private_key);
  return key;
}

StatusOr<OhttpGateway> OhttpGateway::Create(std::vector<OhttpGatewayKey> keys,
                                            size_t max_request_size) {
  std::vector<OhttpKeyConfig> configs;
  for (const OhttpGatewayKey& key : keys) {
    const std::string name = "ohttp gateway: key " + std::to_string(key.config.key_id);
    for (const OhttpKeyConfig& seen : configs) {
      if (seen.key_id == key.config.key_id) return InvalidArgumentError(name + " appears twice");
    }
    if (key.private_key.size() != crypto::kHpkeNsk) {
      return InvalidArgumentError(name + ": private key is " +
                                  std::to_string(key.private_key.size()) + " bytes, not 32");
    }
    TACET_ASSIGN_OR_RETURN(auto public_key,
                           crypto::X25519PublicFromPrivate(key.private_key.view()));
    if (!crypto::ConstantTimeEquals(public_key, key.config.public_key)) {
      return InvalidArgumentError(name + ": private key does not match the configuration's public key");
    }
    configs.push_back(key.config);
  }
  TACET_ASSIGN_OR_RETURN(Bytes key_configs, EncodeKeyConfigList(configs));
  return OhttpGateway(std::move(keys), std::move(key_configs), max_request_size);
}

StatusOr<OhttpGatewayRequest> OhttpGateway::DecapsulateRequest(ByteView encapsulated_request) const {
  if (encapsulated_request.size() > max_request_size_) {
    return ResourceExhaustedError("ohttp: encapsulated request is " +
                                  std::to_string(encapsulated_request.size()) +
                                  " bytes, over the cap of " + std::to_string(max_request_size_));
  }
  constexpr size_t kMinimum = kOhttpRequestHeaderSize + crypto::kHpkeNenc + crypto::kAeadTagSize;
  if (encapsulated_request.size() < kMinimum) {
    return InvalidArgumentError("ohttp: encapsulated request is " +
                                std::to_string(encapsulated_request.size()) +
                                " bytes, shorter than header (7), enc (32) and tag (16)");
  }
  // RFC 9458 §4.1 / §4.3: hdr, then enc (Nenc bytes), then the HPKE-protected request.
  WireReader r(encapsulated_request, "ohttp request");
  uint8_t key_id = 0;
  uint16_t kem_id = 0, kdf_id = 0, aead_id = 0;
  ByteView enc;
  TACET_RETURN_IF_ERROR(r.ReadU8("key identifier", &key_id));
  TACET_RETURN_IF_ERROR(r.ReadU16("KEM id", &kem_id));
  TACET_RETURN_IF_ERROR(r.ReadU16("KDF id", &kdf_id));
  TACET_RETURN_IF_ERROR(r.ReadU16("AEAD id", &aead_id));
  TACET_RETURN_IF_ERROR(r.ReadBytes("enc", crypto::kHpkeNenc, &enc));
  const ByteView ciphertext = r.rest();

  const OhttpGatewayKey* key = nullptr;
  for (const OhttpGatewayKey& k : keys_) {
    if (k.config.key_id == key_id) key = &k;
  }
  if (key == nullptr) {
    return NotFoundError("ohttp: unknown key id " + std::to_string(key_id));
  }
  HpkeAead aead = HpkeAead::kAes128Gcm;
  if (kem_id != key->config.kem_id || kdf_id != kOhttpKdfHkdfSha256 ||
      !SupportedAead(aead_id, &aead) || !Offers(key->config, kdf_id, aead_id)) {
    return UnimplementedError("ohttp: key " + std::to_string(key_id) + " does not offer KEM " +
                              Hex16(kem_id) + ", KDF " + Hex16(kdf_id) + ", AEAD " +
                              Hex16(aead_id));
  }
  const Bytes info = RequestInfo(encapsulated_request.subview(0, kOhttpRequestHeaderSize));
  StatusOr<crypto::HpkeRecipientContext> ctx = crypto::HpkeSetupRecipient(
      crypto::HpkeSuite{aead}, crypto::HpkeMode::kBase, enc, key->private_key.view(), info);
  if (!ctx.ok()) return ctx.status().WithContext("ohttp: request");
  Bytes request;
  if (Status s = ctx->Open(ByteView(), ciphertext, &request); !s.ok()) {
    return s.WithContext("ohttp: request does not authenticate");
  }
  TACET_ASSIGN_OR_RETURN(SecretBytes secret, ExportResponseSecret(*ctx, aead));
  return OhttpContextAccess::Gateway(std::move(request), key_id, aead, enc.ToBytes(),
                                     std::move(secret));
}

StatusOr<Bytes> OhttpGatewayRequest::EncapsulateResponse(ByteView response,
                                                         crypto::Drbg& drbg) const {
  // RFC 9458 §4.4 step 2: response_nonce = random(max(Nn, Nk)).
  TACET_ASSIGN_OR_RETURN(Bytes response_nonce,
                         drbg.RandomBytes(internal::OhttpResponseNonceSize(aead_)));
  return SealResponse(aead_, response_secret_.view(), enc_, response_nonce, response);
}

StatusOr<Bytes> OhttpGatewayRequest::EncapsulateResponseForTesting(ByteView response,
                                                                   ByteView response_nonce) const {
  return SealResponse(aead_, response_secret_.view(), enc_, response_nonce, response);
}

namespace internal {

size_t OhttpAeadKeySize(HpkeAead aead) {
  return crypto::AeadKeySize(RawAead(aead));
}

size_t OhttpResponseNonceSize(HpkeAead aead) {
  return std::max(OhttpAeadKeySize(aead), crypto::kAeadNonceSize);
}

StatusOr<OhttpResponseKeys> DeriveResponseKeys(HpkeAead aead, ByteView response_secret,
                                               ByteView enc, ByteView response_nonce) {
  TACET_RETURN_IF_ERROR(CheckAead(aead));
  const size_t nk = OhttpAeadKeySize(aead);
  const size_t nonce_size = OhttpResponseNonceSize(aead);
  if (response_nonce.size() != nonce_size) {
    return InvalidArgumentError("ohttp: response nonce is " + std::to_string(response_nonce.size()) +
                                " bytes, not max(Nn, Nk) = " + std::to_string(nonce_size));
  }
  if (response_secret.size() != nonce_size) {
    return InvalidArgumentError("ohttp: response secret is " +
                                std::to_string(response_secret.size()) + " bytes, not " +
                                std::to_string(nonce_size));
  }
  OhttpResponseKeys keys;
  // RFC 9458 §4.4 steps 3-6.
  keys.salt = enc.ToBytes();
  Append(keys.salt, response_nonce);
  std::array<uint8_t, crypto::kHkdfSha256HashSize> prk = crypto::HkdfExtract(keys.salt, response_secret);
  keys.prk = SecretBytes(ByteView(prk));
  crypto::SecureZero(prk.data(), prk.size());
  keys.key = SecretBytes(nk);
  TACET_RETURN_IF_ERROR(
      crypto::HkdfExpandInto(keys.prk.view(), ByteView::FromString("key"), keys.key.data(), nk));
  keys.nonce = SecretBytes(crypto::kAeadNonceSize);
  TACET_RETURN_IF_ERROR(crypto::HkdfExpandInto(keys.prk.view(), ByteView::FromString("nonce"),
                                               keys.nonce.data(), crypto::kAeadNonceSize));
  return keys;
}

}  // namespace internal
}  // namespace tacet::sealer
