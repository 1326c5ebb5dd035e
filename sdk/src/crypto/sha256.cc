#include "crypto/sha256.h"

#include <cstdlib>

namespace tacet::crypto {

// mbedtls_sha256_*_ret only fail on bad parameters (never with valid pointers) or when a hardware
// accelerator (MBEDTLS_SHA256_ALT) fails; a digest that silently came out wrong would be worse
// than stopping, and the library cannot throw, so such a failure aborts.
static void CheckSha256(int ret) {
  if (ret != 0) std::abort();
}

std::array<uint8_t, kSha256Size> Sha256(ByteView data) {
  std::array<uint8_t, kSha256Size> digest{};
  CheckSha256(mbedtls_sha256_ret(data.data(), data.size(), digest.data(), /*is224=*/0));
  return digest;
}

Sha256Hasher::Sha256Hasher() {
  mbedtls_sha256_init(&ctx_);
  CheckSha256(mbedtls_sha256_starts_ret(&ctx_, /*is224=*/0));
}

Sha256Hasher::~Sha256Hasher() { mbedtls_sha256_free(&ctx_); }

void Sha256Hasher::Update(ByteView data) {
  CheckSha256(mbedtls_sha256_update_ret(&ctx_, data.data(), data.size()));
}

std::array<uint8_t, kSha256Size> Sha256Hasher::Finish() {
  std::array<uint8_t, kSha256Size> digest{};
  CheckSha256(mbedtls_sha256_finish_ret(&ctx_, digest.data()));
  CheckSha256(mbedtls_sha256_starts_ret(&ctx_, /*is224=*/0));
  return digest;
}

}  // namespace tacet::crypto
