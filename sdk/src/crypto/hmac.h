// HMAC-SHA-256 (RFC 2104, FIPS 198-1) over mbedTLS.
#ifndef TACET_CRYPTO_HMAC_H_
#define TACET_CRYPTO_HMAC_H_

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace tacet::crypto {

inline constexpr size_t kHmacSha256Size = 32;

// HMAC-SHA-256(key, data). Any key length is allowed (RFC 2104 §2: keys longer than the block
// are hashed first). The result is a secret when the key is: the caller wipes it (SecureZero)
// when done. Thread-safe. Aborts only if mbedTLS cannot allocate its small digest context, which
// the library treats like any other out-of-memory condition.
std::array<uint8_t, kHmacSha256Size> HmacSha256(ByteView key, ByteView data);

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_HMAC_H_
