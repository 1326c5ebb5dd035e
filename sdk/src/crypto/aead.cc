#include "crypto/aead.h"

#include <mbedtls/chachapoly.h>
#include <mbedtls/gcm.h>

#include <string>

#include "crypto/mbedtls_object.h"
#include "crypto/mbedtls_status.h"
#include "crypto/secure.h"

namespace tacet::crypto {

// Both contexts are initialised (so both can be freed unconditionally); only the one matching
// the algorithm is keyed. The free functions zeroise the key schedules.
struct Aead::Contexts {
  internal::MbedtlsObject<mbedtls_gcm_context, mbedtls_gcm_init, mbedtls_gcm_free> gcm;
  internal::MbedtlsObject<mbedtls_chachapoly_context, mbedtls_chachapoly_init,
                          mbedtls_chachapoly_free>
      chachapoly;
};

size_t AeadKeySize(AeadAlgorithm algorithm) {
  switch (algorithm) {
    case AeadAlgorithm::kAes128Gcm:
      return 16;
    case AeadAlgorithm::kAes256Gcm:
    case AeadAlgorithm::kChaCha20Poly1305:
      return 32;
  }
  return 0;
}

const char* AeadName(AeadAlgorithm algorithm) {
  switch (algorithm) {
    case AeadAlgorithm::kAes128Gcm:
      return "AES-128-GCM";
    case AeadAlgorithm::kAes256Gcm:
      return "AES-256-GCM";
    case AeadAlgorithm::kChaCha20Poly1305:
      return "ChaCha20-Poly1305";
  }
  return "unknown AEAD";
}

Aead::Aead(AeadAlgorithm algorithm, std::unique_ptr<Contexts> contexts)
    : algorithm_(algorithm), contexts_(std::move(contexts)) {}
Aead::Aead(Aead&& other) noexcept = default;
Aead& Aead::operator=(Aead&& other) noexcept = default;
Aead::~Aead() = default;

StatusOr<Aead> Aead::Create(AeadAlgorithm algorithm, ByteView key) {
  const size_t want = AeadKeySize(algorithm);
  if (want == 0) return InvalidArgumentError("AEAD: unknown algorithm");
  if (key.size() != want) {
    return InvalidArgumentError(std::string(AeadName(algorithm)) + " key must be " +
                                std::to_string(want) + " bytes, got " +
                                std::to_string(key.size()));
  }
  auto contexts = std::make_unique<Contexts>();
  int ret = 0;
  if (algorithm == AeadAlgorithm::kChaCha20Poly1305) {
    ret = mbedtls_chachapoly_setkey(contexts->chachapoly.get(), key.data());
  } else {
    ret = mbedtls_gcm_setkey(contexts->gcm.get(), MBEDTLS_CIPHER_ID_AES, key.data(),
                             static_cast<unsigned int>(key.size() * 8));
  }
  TACET_RETURN_IF_ERROR(
      internal::MbedtlsStatus(ret, std::string(AeadName(algorithm)) + ": setting the key"));
  return Aead(algorithm, std::move(contexts));
}

static Status CheckNonce(AeadAlgorithm algorithm, ByteView nonce) {
  if (nonce.size() != kAeadNonceSize) {
    return InvalidArgumentError(std::string(AeadName(algorithm)) + " nonce must be 12 bytes, got " +
                                std::to_string(nonce.size()));
  }
  return OkStatus();
}

Status Aead::Seal(ByteView nonce, ByteView aad, ByteView plaintext, Bytes* out) {
  if (out == nullptr) return InvalidArgumentError("AEAD Seal: null output");
  if (contexts_ == nullptr) return FailedPreconditionError("AEAD Seal: moved-from Aead");
  TACET_RETURN_IF_ERROR(CheckNonce(algorithm_, nonce));
  const size_t old_size = out->size();
  out->resize(old_size + plaintext.size() + kAeadTagSize);
  uint8_t* ct = out->data() + old_size;
  uint8_t* tag = ct + plaintext.size();
  int ret = 0;
  if (algorithm_ == AeadAlgorithm::kChaCha20Poly1305) {
    ret = mbedtls_chachapoly_encrypt_and_tag(contexts_->chachapoly.get(), plaintext.size(),
                                             nonce.data(), aad.data(), aad.size(),
                                             plaintext.data(), ct, tag);
  } else {
    ret = mbedtls_gcm_crypt_and_tag(contexts_->gcm.get(), MBEDTLS_GCM_ENCRYPT, plaintext.size(),
                                    nonce.data(), nonce.size(), aad.data(), aad.size(),
                                    plaintext.data(), ct, kAeadTagSize, tag);
  }
  if (ret != 0) {
    SecureZero(ct, plaintext.size() + kAeadTagSize);
    out->resize(old_size);
    return internal::MbedtlsStatus(ret, std::string(AeadName(algorithm_)) + " seal");
  }
  return OkStatus();
}

Status Aead::Open(ByteView nonce, ByteView aad, ByteView ciphertext_and_tag, Bytes* out) {
  if (out == nullptr) return InvalidArgumentError("AEAD Open: null output");
  if (contexts_ == nullptr) return FailedPreconditionError("AEAD Open: moved-from Aead");
  TACET_RETURN_IF_ERROR(CheckNonce(algorithm_, nonce));
  if (ciphertext_and_tag.size() < kAeadTagSize) {
    return DataLossError("AEAD authentication failed: " + std::to_string(ciphertext_and_tag.size()) +
                         "-byte input is shorter than the 16-byte tag");
  }
  const size_t pt_size = ciphertext_and_tag.size() - kAeadTagSize;
  const uint8_t* ct = ciphertext_and_tag.data();
  const uint8_t* tag = ct + pt_size;
  const size_t old_size = out->size();
  // Decrypt straight into the tail of *out; on failure the tail is wiped and cut off again, so
  // the caller never sees unauthenticated plaintext.
  out->resize(old_size + pt_size);
  uint8_t* pt = out->data() + old_size;
  int ret = 0;
  if (algorithm_ == AeadAlgorithm::kChaCha20Poly1305) {
    ret = mbedtls_chachapoly_auth_decrypt(contexts_->chachapoly.get(), pt_size, nonce.data(),
                                          aad.data(), aad.size(), tag, ct, pt);
  } else {
    ret = mbedtls_gcm_auth_decrypt(contexts_->gcm.get(), pt_size, nonce.data(), nonce.size(),
                                   aad.data(), aad.size(), tag, kAeadTagSize, ct, pt);
  }
  if (ret != 0) {
    SecureZero(pt, pt_size);
    out->resize(old_size);
    if (ret == MBEDTLS_ERR_GCM_AUTH_FAILED || ret == MBEDTLS_ERR_CHACHAPOLY_AUTH_FAILED) {
      return DataLossError("AEAD authentication failed");
    }
    return internal::MbedtlsStatus(ret, std::string(AeadName(algorithm_)) + " open");
  }
  return OkStatus();
}

StatusOr<Bytes> AeadSeal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                         ByteView plaintext) {
  TACET_ASSIGN_OR_RETURN(Aead aead, Aead::Create(algorithm, key));
  Bytes out;
  TACET_RETURN_IF_ERROR(aead.Seal(nonce, aad, plaintext, &out));
  return out;
}

StatusOr<Bytes> AeadOpen(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                         ByteView ciphertext_and_tag) {
  TACET_ASSIGN_OR_RETURN(Aead aead, Aead::Create(algorithm, key));
  Bytes out;
  TACET_RETURN_IF_ERROR(aead.Open(nonce, aad, ciphertext_and_tag, &out));
  return out;
}

}  // namespace tacet::crypto
