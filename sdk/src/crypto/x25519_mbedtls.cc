// The reference X25519 for tests and benchmarks: mbedTLS 2.28's generic Curve25519 ladder, which
// Tacet used before crypto/x25519.cc had its own arithmetic. Not compiled into the library.
#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>

#include <cstring>

#include "crypto/mbedtls_object.h"
#include "crypto/mbedtls_status.h"
#include "crypto/x25519.h"
#include "crypto/x25519_internal.h"

namespace tacet::crypto::internal {

StatusOr<SecretBytes> X25519Mbedtls(ByteView k, ByteView u) {
  if (k.size() != kX25519KeySize || u.size() != kX25519KeySize) {
    return InvalidArgumentError("X25519Mbedtls: scalar and u-coordinate must be 32 bytes");
  }
  MbedtlsObject<mbedtls_ecp_group, mbedtls_ecp_group_init, mbedtls_ecp_group_free> grp;
  MbedtlsObject<mbedtls_mpi, mbedtls_mpi_init, mbedtls_mpi_free> scalar;
  MbedtlsObject<mbedtls_ecp_point, mbedtls_ecp_point_init, mbedtls_ecp_point_free> point;
  MbedtlsObject<mbedtls_ecp_point, mbedtls_ecp_point_init, mbedtls_ecp_point_free> result;
  TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_ecp_group_load(grp.get(), MBEDTLS_ECP_DP_CURVE25519),
                                      "X25519Mbedtls: group"));
  {
    // RFC 7748 §5 decodeScalar25519.
    SecretBytes clamped(k);
    clamped.data()[0] &= 248;
    clamped.data()[31] &= 127;
    clamped.data()[31] |= 64;
    TACET_RETURN_IF_ERROR(
        MbedtlsStatus(mbedtls_mpi_read_binary_le(scalar.get(), clamped.data(), clamped.size()),
                      "X25519Mbedtls: scalar"));
  }
  // RFC 7748 §5 decodeUCoordinate: mask the top bit; mbedTLS reduces values >= p itself.
  uint8_t masked[kX25519KeySize];
  std::memcpy(masked, u.data(), sizeof(masked));
  masked[31] &= 0x7f;
  TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_mpi_read_binary_le(&point->X, masked, sizeof(masked)),
                                      "X25519Mbedtls: u"));
  TACET_RETURN_IF_ERROR(MbedtlsStatus(mbedtls_mpi_lset(&point->Z, 1), "X25519Mbedtls: Z"));
  const int ret = mbedtls_ecp_mul(grp.get(), result.get(), scalar.get(), point.get(), nullptr, nullptr);
  SecretBytes out(kX25519KeySize);
  if (ret == MBEDTLS_ERR_ECP_INVALID_KEY) return out;  // mbedTLS refuses the all-zero product
  TACET_RETURN_IF_ERROR(MbedtlsStatus(ret, "X25519Mbedtls: mul"));
  TACET_RETURN_IF_ERROR(MbedtlsStatus(
      mbedtls_mpi_write_binary_le(&result->X, out.data(), out.size()), "X25519Mbedtls: write"));
  return out;
}

}  // namespace tacet::crypto::internal
