// Internals of crypto/x25519: the raw RFC 7748 §5 function on two arithmetic back ends, exposed
// so that tests can check each one (and against mbedTLS) on any target. Not for use outside
// crypto/ and its tests.
#ifndef TACET_CRYPTO_X25519_INTERNAL_H_
#define TACET_CRYPTO_X25519_INTERNAL_H_

#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/secure.h"

namespace tacet::crypto::internal {

// Whether this build has unsigned __int128 (GCC and Clang on 64-bit targets). With it, X25519
// multiplies field elements with native 64x64->128-bit products; without it (32-bit Arm, for
// example) it uses X25519RawPortable's emulated 128-bit accumulators. Either way the result is
// the same; only the speed differs.
#if defined(__SIZEOF_INT128__)
inline constexpr bool kX25519HasNativeInt128 = true;
#else
inline constexpr bool kX25519HasNativeInt128 = false;
#endif

// out = X25519(k, u) of RFC 7748 §5, with the arithmetic the build selects: k is clamped
// (decodeScalar25519), the top bit of u is masked and values of u >= p are accepted
// (decodeUCoordinate), and out is the fully reduced u-coordinate, encoded little-endian. No
// all-zero check (X25519() in x25519.h adds it). Runs in time independent of k and u; wipes its
// own copies of the scalar and every intermediate. All three buffers are 32 bytes; out may alias
// neither input. Thread-safe.
void X25519Raw(uint8_t out[32], const uint8_t k[32], const uint8_t u[32]);

// The same with the portable arithmetic (128-bit sums emulated on pairs of 64-bit words), which
// is what targets without unsigned __int128 run. Always compiled, so that tests check it on
// every build.
void X25519RawPortable(uint8_t out[32], const uint8_t k[32], const uint8_t u[32]);

// The reference: X25519(k, u) computed by mbedTLS 2.28's generic Montgomery ladder (what Tacet
// used before its own implementation), with the same clamping and masking, and no all-zero
// check; an all-zero result (which mbedTLS itself refuses for low-order u) is returned as 32
// zero bytes. Compiled into the tests and benchmarks only (x25519_mbedtls.cc), not the library.
StatusOr<SecretBytes> X25519Mbedtls(ByteView k, ByteView u);

}  // namespace tacet::crypto::internal

#endif  // TACET_CRYPTO_X25519_INTERNAL_H_
