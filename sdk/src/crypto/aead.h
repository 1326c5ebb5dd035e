// Authenticated encryption with associated data: AES-GCM (NIST SP 800-38D) and
// ChaCha20-Poly1305 (RFC 8439), over mbedTLS' mbedtls_gcm_* and mbedtls_chachapoly_* directly.
//
// Nonces are 12 bytes and tags 16 bytes for every algorithm. Output is ciphertext || tag.
#ifndef TACET_CRYPTO_AEAD_H_
#define TACET_CRYPTO_AEAD_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::crypto {

enum class AeadAlgorithm { kAes128Gcm, kAes256Gcm, kChaCha20Poly1305 };

inline constexpr size_t kAeadNonceSize = 12;  // Nn
inline constexpr size_t kAeadTagSize = 16;    // Nt

// Nk: 16 for AES-128-GCM, 32 for AES-256-GCM and ChaCha20-Poly1305.
size_t AeadKeySize(AeadAlgorithm algorithm);
// "AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305". Static storage.
const char* AeadName(AeadAlgorithm algorithm);

// A keyed AEAD. The key schedule runs once in Create(), so repeated Seal/Open calls are cheap.
// Move-only; the key material inside the mbedTLS contexts is wiped on destruction.
//
// Thread-safety: Seal and Open use per-operation state inside the context, so an Aead must be
// used by one thread at a time (give each thread its own, or serialise externally).
class Aead {
 public:
  // Copies `key` into the cipher's key schedule; the caller keeps ownership of its key bytes.
  // kInvalidArgument when the key length is not AeadKeySize(algorithm).
  static StatusOr<Aead> Create(AeadAlgorithm algorithm, ByteView key);

  Aead(Aead&& other) noexcept;
  Aead& operator=(Aead&& other) noexcept;
  Aead(const Aead&) = delete;
  Aead& operator=(const Aead&) = delete;
  ~Aead();

  AeadAlgorithm algorithm() const { return algorithm_; }

  // Encrypts plaintext under nonce with aad and appends ciphertext || tag (plaintext.size() + 16
  // bytes) to *out. The nonce must be 12 bytes and MUST NOT repeat under one key. nonce, aad and
  // plaintext must not point into *out. On error *out is unchanged.
  Status Seal(ByteView nonce, ByteView aad, ByteView plaintext, Bytes* out);

  // Authenticates and decrypts ciphertext_and_tag, appending the plaintext to *out. When
  // authentication fails (or the input is shorter than the tag) returns kDataLoss
  // "AEAD authentication failed" and *out keeps exactly its previous contents: no byte of
  // unauthenticated plaintext is released (the scratch space is wiped). The inputs must not
  // point into *out.
  Status Open(ByteView nonce, ByteView aad, ByteView ciphertext_and_tag, Bytes* out);

 private:
  struct Contexts;
  Aead(AeadAlgorithm algorithm, std::unique_ptr<Contexts> contexts);

  AeadAlgorithm algorithm_;
  std::unique_ptr<Contexts> contexts_;
};

// Single-shot helpers: key, seal or open, wipe the key schedule. Thread-safe.
StatusOr<Bytes> AeadSeal(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                         ByteView plaintext);
StatusOr<Bytes> AeadOpen(AeadAlgorithm algorithm, ByteView key, ByteView nonce, ByteView aad,
                         ByteView ciphertext_and_tag);

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_AEAD_H_
