#include "crypto/drbg.h"

#include <algorithm>

#include "crypto/mbedtls_status.h"

namespace tacet::crypto {

// The build's mbedTLS must run CTR_DRBG with AES-256 (MBEDTLS_CTR_DRBG_USE_128_BIT_KEY unset) and
// draw at least 48 bytes of entropy + nonce at seeding for a 256-bit security strength.
static_assert(MBEDTLS_CTR_DRBG_KEYSIZE == 32, "CTR_DRBG must use AES-256");
static_assert(MBEDTLS_CTR_DRBG_ENTROPY_LEN >= 32, "CTR_DRBG entropy length below 256 bits");

Drbg::Drbg(platform::EntropySource& source) : source_(source) { mbedtls_ctr_drbg_init(&ctx_); }

Drbg::~Drbg() { mbedtls_ctr_drbg_free(&ctx_); }  // also zeroises the DRBG state

int Drbg::EntropyCallback(void* self, unsigned char* out, size_t len) {
  auto* drbg = static_cast<Drbg*>(self);
  Status s = drbg->source_.Fill(out, len);
  if (!s.ok()) {
    drbg->last_entropy_error_ = std::move(s);
    return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
  }
  return 0;
}

StatusOr<std::unique_ptr<Drbg>> Drbg::Create(platform::EntropySource& source,
                                             std::string_view personalization) {
  constexpr size_t kMaxPersonalization =
      MBEDTLS_CTR_DRBG_MAX_SEED_INPUT - MBEDTLS_CTR_DRBG_ENTROPY_LEN;
  if (personalization.size() > kMaxPersonalization) {
    return InvalidArgumentError("Drbg: personalization string of " +
                                std::to_string(personalization.size()) +
                                " bytes exceeds the maximum of " +
                                std::to_string(kMaxPersonalization));
  }
  std::unique_ptr<Drbg> drbg(new Drbg(source));
  std::lock_guard<std::mutex> lock(drbg->mu_);
  mbedtls_ctr_drbg_set_prediction_resistance(&drbg->ctx_, MBEDTLS_CTR_DRBG_PR_OFF);
  const int ret = mbedtls_ctr_drbg_seed(
      &drbg->ctx_, &Drbg::EntropyCallback, drbg.get(),
      reinterpret_cast<const unsigned char*>(personalization.data()), personalization.size());
  if (ret != 0) {
    if (!drbg->last_entropy_error_.ok()) {
      return drbg->last_entropy_error_.WithContext("Drbg: seeding from the entropy source failed");
    }
    return internal::MbedtlsStatus(ret, "Drbg: mbedtls_ctr_drbg_seed");
  }
  return drbg;
}

Status Drbg::Generate(uint8_t* out, size_t len) {
  if (len != 0 && out == nullptr) return InvalidArgumentError("Drbg::Generate: null output buffer");
  std::lock_guard<std::mutex> lock(mu_);
  while (len > 0) {
    const size_t chunk = std::min<size_t>(len, MBEDTLS_CTR_DRBG_MAX_REQUEST);
    const int ret = mbedtls_ctr_drbg_random(&ctx_, out, chunk);
    if (ret != 0) {
      if (!last_entropy_error_.ok()) {
        Status s = last_entropy_error_.WithContext("Drbg: reseeding from the entropy source failed");
        last_entropy_error_ = OkStatus();
        return s;
      }
      return internal::MbedtlsStatus(ret, "Drbg: mbedtls_ctr_drbg_random");
    }
    out += chunk;
    len -= chunk;
  }
  return OkStatus();
}

StatusOr<Bytes> Drbg::RandomBytes(size_t n) {
  Bytes out(n);
  TACET_RETURN_IF_ERROR(Generate(out.data(), n));
  return out;
}

int Drbg::MbedtlsRandom(void* drbg, unsigned char* out, size_t len) {
  if (drbg == nullptr) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
  return static_cast<Drbg*>(drbg)->Generate(out, len).ok()
             ? 0
             : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

}  // namespace tacet::crypto
