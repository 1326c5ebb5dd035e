// SHA-256 (FIPS 180-4) over mbedTLS.
#ifndef TACET_CRYPTO_SHA256_H_
#define TACET_CRYPTO_SHA256_H_

#include <mbedtls/sha256.h>

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace tacet::crypto {

inline constexpr size_t kSha256Size = 32;

// The SHA-256 digest of data. Thread-safe.
std::array<uint8_t, kSha256Size> Sha256(ByteView data);

// Incremental SHA-256: Update() any number of times, then Finish() once. After Finish() the
// hasher is reset and may be reused for a new message. Not thread-safe (one hasher per thread).
// The internal state is wiped on destruction.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(ByteView data);
  std::array<uint8_t, kSha256Size> Finish();

 private:
  mbedtls_sha256_context ctx_;
};

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_SHA256_H_
