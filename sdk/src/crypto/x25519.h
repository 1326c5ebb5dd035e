// X25519 Diffie-Hellman (RFC 7748 §5, §6.1) over mbedTLS' Curve25519 arithmetic.
//
// Keys are the RFC's 32-byte little-endian strings. A private key is stored as drawn (unclamped);
// the scalar is clamped as RFC 7748 §5 specifies on every use.
#ifndef TACET_CRYPTO_X25519_H_
#define TACET_CRYPTO_X25519_H_

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/drbg.h"
#include "crypto/secure.h"

namespace tacet::crypto {

inline constexpr size_t kX25519KeySize = 32;

struct X25519KeyPair {
  SecretBytes private_key;                       // 32 bytes, wiped on destruction
  std::array<uint8_t, kX25519KeySize> public_key;  // X25519(private_key, 9)
};

// A fresh key pair: 32 random bytes from drbg and their public key. Thread-safe.
StatusOr<X25519KeyPair> X25519Generate(Drbg& drbg);

// X25519(sk, 9), the public key of a 32-byte private key. kInvalidArgument on a wrong length.
// Thread-safe.
StatusOr<std::array<uint8_t, kX25519KeySize>> X25519PublicFromPrivate(ByteView sk);

// The RFC 7748 §5 function X25519(k, u): clamps sk, masks the top bit of peer_pk, multiplies, and
// returns the 32-byte u-coordinate. As RFC 7748 §6.1 and RFC 9180 §7.1.1 require, an all-zero
// result (peer_pk a low-order point) is refused with kInvalidArgument. Both inputs must be
// 32 bytes. The caller owns the returned secret. Thread-safe.
StatusOr<SecretBytes> X25519(ByteView sk, ByteView peer_pk);

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_X25519_H_
