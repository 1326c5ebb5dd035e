#include "crypto/hkdf.h"

#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>

#include <cstdlib>
#include <string>

#include "crypto/mbedtls_status.h"
#include "crypto/secure.h"

namespace tacet::crypto {

std::array<uint8_t, kHkdfSha256HashSize> HkdfExtract(ByteView salt, ByteView ikm) {
  std::array<uint8_t, kHkdfSha256HashSize> prk{};
  const int ret = mbedtls_hkdf_extract(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt.data(),
                                       salt.size(), ikm.data(), ikm.size(), prk.data());
  if (ret != 0) std::abort();  // only MD_ALLOC_FAILED is possible with valid arguments
  return prk;
}

Status HkdfExpandInto(ByteView prk, ByteView info, uint8_t* out, size_t length) {
  if (length > kHkdfSha256MaxOutput) {
    return InvalidArgumentError("HKDF-Expand: output length " + std::to_string(length) +
                                " exceeds 255 * HashLen = " +
                                std::to_string(kHkdfSha256MaxOutput) + " (RFC 5869 §2.3)");
  }
  if (prk.size() < kHkdfSha256HashSize) {
    SecureZero(out, length);
    return InvalidArgumentError("HKDF-Expand: PRK of " + std::to_string(prk.size()) +
                                " bytes is shorter than HashLen = 32 (RFC 5869 §2.3)");
  }
  if (length == 0) return OkStatus();
  if (out == nullptr) return InvalidArgumentError("HKDF-Expand: null output buffer");
  const int ret = mbedtls_hkdf_expand(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), prk.data(),
                                      prk.size(), info.data(), info.size(), out, length);
  if (ret != 0) {
    SecureZero(out, length);
    return internal::MbedtlsStatus(ret, "HKDF-Expand: mbedtls_hkdf_expand");
  }
  return OkStatus();
}

StatusOr<Bytes> HkdfExpand(ByteView prk, ByteView info, size_t length) {
  if (length > kHkdfSha256MaxOutput) {
    // Checked before allocating, so an absurd length cannot exhaust memory.
    return HkdfExpandInto(prk, info, nullptr, length);
  }
  Bytes okm(length);
  TACET_RETURN_IF_ERROR(HkdfExpandInto(prk, info, okm.data(), length));
  return okm;
}

StatusOr<Bytes> Hkdf(ByteView salt, ByteView ikm, ByteView info, size_t length) {
  auto prk = HkdfExtract(salt, ikm);
  StatusOr<Bytes> okm = HkdfExpand(prk, info, length);
  SecureZero(prk.data(), prk.size());
  return okm;
}

}  // namespace tacet::crypto
