// Tacet's deterministic random bit generator: NIST SP 800-90A CTR_DRBG with AES-256
// (mbedtls_ctr_drbg), seeded and reseeded from a platform EntropySource.
#ifndef TACET_CRYPTO_DRBG_H_
#define TACET_CRYPTO_DRBG_H_

#include <mbedtls/ctr_drbg.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "tacet/platform/entropy.h"

namespace tacet::crypto {

class Drbg {
 public:
  // Seeds a CTR_DRBG (AES-256, prediction resistance off, mbedTLS' default reseed interval) from
  // `source`, mixing in `personalization` (a per-use label such as "tacet vault keygen"; at most
  // MBEDTLS_CTR_DRBG_MAX_SEED_INPUT - MBEDTLS_CTR_DRBG_ENTROPY_LEN bytes).
  //
  // The Drbg keeps a reference to `source` for reseeding: the EntropySource MUST outlive the
  // returned Drbg. Fails with the source's error (kUnavailable) when seeding cannot be had.
  static StatusOr<std::unique_ptr<Drbg>> Create(platform::EntropySource& source,
                                                std::string_view personalization);
  ~Drbg();
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;

  // Writes `len` random bytes to out (which the caller owns). Requests larger than
  // MBEDTLS_CTR_DRBG_MAX_REQUEST are served in chunks. Thread-safe (an internal mutex serialises
  // callers). On failure the contents of out are unspecified and must not be used.
  Status Generate(uint8_t* out, size_t len);

  // n fresh random bytes. Thread-safe.
  StatusOr<Bytes> RandomBytes(size_t n);

  // An f_rng for mbedTLS calls: `drbg` must point to a live Drbg. Returns 0 on success or
  // MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED. Thread-safe.
  static int MbedtlsRandom(void* drbg, unsigned char* out, size_t len);

 private:
  explicit Drbg(platform::EntropySource& source);
  static int EntropyCallback(void* self, unsigned char* out, size_t len);

  platform::EntropySource& source_;
  std::mutex mu_;
  mbedtls_ctr_drbg_context ctx_;  // guarded by mu_
  Status last_entropy_error_;     // guarded by mu_; the source's error behind a failed (re)seed
};

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_DRBG_H_
