#include "crypto/hmac.h"

#include <mbedtls/md.h>

#include <cstdlib>

namespace tacet::crypto {

std::array<uint8_t, kHmacSha256Size> HmacSha256(ByteView key, ByteView data) {
  std::array<uint8_t, kHmacSha256Size> mac{};
  const int ret = mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key.data(),
                                  key.size(), data.data(), data.size(), mac.data());
  if (ret != 0) std::abort();  // only MD_ALLOC_FAILED is possible with valid arguments
  return mac;
}

}  // namespace tacet::crypto
