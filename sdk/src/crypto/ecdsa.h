// ECDSA over NIST P-256 (secp256r1) with SHA-256 (FIPS 186-4 / SEC 1), over mbedTLS.
//
// Keys travel as raw bytes: a public key is the 65-byte SEC 1 uncompressed point 0x04 || X || Y,
// a private key the 32-byte big-endian scalar. Signatures are DER-encoded
// (SEQUENCE { INTEGER r, INTEGER s }, RFC 5480 / X9.62). Every function here is thread-safe: each
// call uses its own mbedTLS contexts, and Drbg serialises its callers.
#ifndef TACET_CRYPTO_ECDSA_H_
#define TACET_CRYPTO_ECDSA_H_

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/drbg.h"
#include "crypto/secure.h"

namespace tacet::crypto {

inline constexpr size_t kEcdsaP256PublicKeySize = 65;   // SEC 1 uncompressed point
inline constexpr size_t kEcdsaP256PrivateKeySize = 32;  // big-endian scalar
inline constexpr size_t kEcdsaP256MaxSignatureSize = 72;

struct EcdsaP256KeyPair {
  SecretBytes private_key;  // 32-byte scalar, zeroised when the key pair is destroyed
  Bytes public_key;         // 65 bytes, 0x04 || X || Y
};

// Verifies a DER signature over SHA-256(message). OK when it verifies; kDataLoss
// "ECDSA signature does not verify" when it does not, including any encoding other than strict
// DER (long-form lengths, redundant leading zeros, negative integers, trailing bytes), so a valid
// signature that verifies is at most kEcdsaP256MaxSignatureSize bytes; kInvalidArgument when
// public_key is not a 65-byte uncompressed point on P-256.
Status EcdsaP256Verify(ByteView public_key, ByteView message, ByteView signature_der);

// A fresh key pair drawn from drbg.
StatusOr<EcdsaP256KeyPair> EcdsaP256Generate(Drbg& drbg);

// The DER signature over SHA-256(message), at most kEcdsaP256MaxSignatureSize bytes. The nonce is
// derived as RFC 6979 specifies (deterministic); drbg only blinds the computation against side
// channels. kInvalidArgument when private_key is not a scalar in [1, n-1].
StatusOr<Bytes> EcdsaP256Sign(ByteView private_key, ByteView message, Drbg& drbg);

// The public key as a PEM "PUBLIC KEY" (SubjectPublicKeyInfo, RFC 5480).
StatusOr<std::string> EcdsaP256PublicKeyToPem(ByteView public_key);
// The key pair as a PEM "EC PRIVATE KEY" (SEC 1 / RFC 5915, with the public key). The returned
// string holds the private key: the caller owns it and should wipe it (SecureZero) when done.
// kInvalidArgument when the public key does not belong to the private key.
StatusOr<std::string> EcdsaP256PrivateKeyToPem(const EcdsaP256KeyPair& key_pair);

// Parses a PEM "PUBLIC KEY". A key that is not EC, or is on another curve than P-256, is refused
// with kInvalidArgument naming what it is.
StatusOr<Bytes> EcdsaP256PublicKeyFromPem(std::string_view pem);
// Parses a PEM "EC PRIVATE KEY" (SEC 1) or unencrypted "PRIVATE KEY" (PKCS #8). Refuses other key
// types and curves, and a key whose embedded public key does not match its private scalar.
StatusOr<EcdsaP256KeyPair> EcdsaP256KeyPairFromPem(std::string_view pem);

}  // namespace tacet::crypto

#endif  // TACET_CRYPTO_ECDSA_H_
