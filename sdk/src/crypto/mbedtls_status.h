// Internal: turns an mbedTLS return code into a tacet::Status naming the failed operation.
#ifndef TACET_CRYPTO_MBEDTLS_STATUS_H_
#define TACET_CRYPTO_MBEDTLS_STATUS_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace tacet::crypto::internal {

// OK when ret == 0. Otherwise a status whose message is
// "<operation> failed: mbedtls error -0x....(<mbedtls description>)"; allocation failures map to
// kResourceExhausted, bad-input codes to kInvalidArgument, entropy failures to kUnavailable and
// everything else to kInternal. Thread-safe.
Status MbedtlsStatus(int ret, std::string_view operation);

// "mbedtls error -0x3d00 (PK - Invalid key tag or value)", for messages that choose their own code.
std::string MbedtlsErrorText(int ret);

}  // namespace tacet::crypto::internal

#endif  // TACET_CRYPTO_MBEDTLS_STATUS_H_
