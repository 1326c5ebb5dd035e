#include "crypto/x25519.h"

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include <cstring>
#include <string>

#include "crypto/mbedtls_object.h"
#include "crypto/mbedtls_status.h"

namespace tacet::crypto {
namespace {

using internal::MbedtlsObject;
using internal::MbedtlsStatus;

// mbedTLS objects for one scalar multiplication; freeing wipes the scalar and the result.
struct Curve25519Mul {
  MbedtlsObject<mbedtls_ecp_group, mbedtls_ecp_group_init, mbedtls_ecp_group_free> grp;
  MbedtlsObject<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free> k;
  MbedtlsObject<mbedtls_ecp_point, mbedtls_ecp_point_init, mbedtls_ecp_point_free> u;
  MbedtlsObject<mbedtls_ecp_point, mbedtls_ecp_point_init, mbedtls_ecp_point_free> result;
};

Status CheckLength(ByteView b, const char* what) {
  if (b.size() != kX25519KeySize) {
    return InvalidArgumentError(std::string("X25519 ") + what + " must be 32 bytes, got " +
                                std::to_string(b.size()));
  }
  return OkStatus();
}

// X25519(sk, u) per RFC 7748 §5; peer_u == nullptr means the base point u = 9.
StatusOr<SecretBytes> ScalarMult(ByteView sk, const uint8_t* peer_u) {
  Curve25519Mul m;
  TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_ecp_group_load(m.grp.get(), MBEDTLS_ECP_DP_CURVE25519),
                                      "X25519: mbedtls_ecp_group_load"));
  {
    // decodeScalar25519 (RFC 7748 §5): clear bits 0-2, clear bit 255, set bit 254. The strings
    // are little-endian, as mbedtls_mpi_read_binary_le expects.
    SecretBytes clamped(sk);
    clamped.data()[0] &= 248;
    clamped.data()[31] &= 127;
    clamped.data()[31] |= 64;
    TACET_RETURN_IF_ERROR(
        MbedtlsStatus(mbedtls_mpi_read_binary_le(m.k.get(), clamped.data(), clamped.size()),
                      "X25519: mbedtls_mpi_read_binary_le(scalar)"));
  }
  const mbedtls_ecp_point* point = &m.grp->G;
  if (peer_u != nullptr) {
    // decodeUCoordinate (RFC 7748 §5): mask the most significant bit; values >= p are accepted
    // and reduced by the arithmetic.
    uint8_t u[kX25519KeySize];
    std::memcpy(u, peer_u, sizeof(u));
    u[31] &= 0x7f;
    TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_mpi_read_binary_le(&m.u->X, u, sizeof(u)),
                                        "X25519: mbedtls_mpi_read_binary_le(u)"));
    TACET_RETURN_IF_ERROR(
        MbedtlsStatus(mbedtls_mpi_lset(&m.u->Z, 1), "X25519: mbedtls_mpi_lset"));
    point = m.u.get();
  }
  // f_rng == NULL: mbedTLS 2.28 then blinds with its internal DRBG seeded from the scalar.
  const int ret = mbedtls_ecp_mul(m.grp.get(), m.result.get(), m.k.get(), point, nullptr, nullptr);
  if (ret == MBEDTLS_ERR_ECP_INVALID_KEY && peer_u != nullptr) {
    // The scalar is clamped, so this is mbedTLS refusing a low-order u, whose product is the
    // all-zero value RFC 7748 §6.1 tells us to reject.
    return InvalidArgumentError(
        "X25519: peer public key is a low-order point (all-zero shared secret, RFC 7748 §6.1)");
  }
  TACET_RETURN_IF_ERROR(MbedtlsStatus(ret, "X25519: mbedtls_ecp_mul"));
  SecretBytes out(kX25519KeySize);
  TACET_RETURN_IF_ERROR(
      MbedtlsStatus(mbedtls_mpi_write_binary_le(&m.result->X, out.data(), out.size()),
                    "X25519: mbedtls_mpi_write_binary_le"));
  // RFC 7748 §6.1 / RFC 9180 §7.1.1: check for the all-zero value, without branching on where a
  // non-zero byte is.
  static const uint8_t kZero[kX25519KeySize] = {};
  if (ConstantTimeEquals(out.view(), ByteView(kZero, sizeof(kZero)))) {
    return InvalidArgumentError(
        "X25519: shared secret is all zero (low-order peer public key, RFC 7748 §6.1)");
  }
  return out;
}

}  // namespace

StatusOr<X25519KeyPair> X25519Generate(Drbg& drbg) {
  X25519KeyPair kp{SecretBytes(kX25519KeySize), {}};
  TACET_RETURN_IF_ERROR(drbg.Generate(kp.private_key.data(), kp.private_key.size()));
  TACET_ASSIGN_OR_RETURN(kp.public_key, X25519PublicFromPrivate(kp.private_key.view()));
  return kp;
}

StatusOr<std::array<uint8_t, kX25519KeySize>> X25519PublicFromPrivate(ByteView sk) {
  TACET_RETURN_IF_ERROR(CheckLength(sk, "private key"));
  TACET_ASSIGN_OR_RETURN(SecretBytes pk, ScalarMult(sk, nullptr));
  std::array<uint8_t, kX25519KeySize> out;
  std::memcpy(out.data(), pk.data(), out.size());
  return out;
}

StatusOr<SecretBytes> X25519(ByteView sk, ByteView peer_pk) {
  TACET_RETURN_IF_ERROR(CheckLength(sk, "private key"));
  TACET_RETURN_IF_ERROR(CheckLength(peer_pk, "peer public key"));
  return ScalarMult(sk, peer_pk.data());
}

}  // namespace tacet::crypto
