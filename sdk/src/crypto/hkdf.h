// HKDF with SHA-256 (RFC 5869) over mbedTLS.
#ifndef TACET_CRYPTO_HKDF_H_
#define TACET_CRYPTO_HKDF_H_

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::crypto {

inline constexpr size_t kHkdfSha256HashSize = 32;
// RFC 5869 §2.3: L <= 255 * HashLen.
inline constexpr size_t kHkdfSha256MaxOutput = 255 * kHkdfSha256HashSize;

// HKDF-Extract(salt, IKM) -> PRK (RFC 5869 §2.2). An empty salt means HashLen zero bytes. The PRK
// is secret: the caller wipes it (SecureZero) when done. Thread-safe; aborts only if mbedTLS cannot
// allocate its digest context.
std::array<uint8_t, kHkdfSha256HashSize> HkdfExtract(ByteView salt, ByteView ikm);

// HKDF-Expand(PRK, info, L) -> OKM (RFC 5869 §2.3). kInvalidArgument when L > 255 * 32 or when
// prk is shorter than HashLen (32). Thread-safe. The returned Bytes are not wiped on destruction;
// for secret output prefer HkdfExpandInto.
StatusOr<Bytes> HkdfExpand(ByteView prk, ByteView info, size_t length);

// As HkdfExpand, writing `length` bytes to the caller-owned out. On failure out is zeroed, except
// when length exceeds kHkdfSha256MaxOutput (then out is not touched).
Status HkdfExpandInto(ByteView prk, ByteView info, uint8_t* out, size_t length);

// HKDF(salt, IKM, info, L) = Expand(Extract(salt, IKM), info, L) (RFC 5869 §2). The intermediate
// PRK is wiped. Thread-safe.
StatusOr<Bytes> Hkdf(ByteView salt, ByteView ikm, ByteView info, size_t length);

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_HKDF_H_
