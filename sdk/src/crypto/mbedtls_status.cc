#include "crypto/mbedtls_status.h"

#include <mbedtls/bignum.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>

#include <cstdio>
#include <string>

namespace tacet::crypto::internal {
namespace {

StatusCode CodeFor(int ret) {
  switch (ret) {
    case MBEDTLS_ERR_MPI_ALLOC_FAILED:
    case MBEDTLS_ERR_PK_ALLOC_FAILED:
    case MBEDTLS_ERR_ECP_ALLOC_FAILED:
    case MBEDTLS_ERR_MD_ALLOC_FAILED:
      return StatusCode::kResourceExhausted;
    case MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED:
    case MBEDTLS_ERR_ENTROPY_SOURCE_FAILED:
      return StatusCode::kUnavailable;
    case MBEDTLS_ERR_MPI_BAD_INPUT_DATA:
    case MBEDTLS_ERR_ECP_BAD_INPUT_DATA:
    case MBEDTLS_ERR_ECP_INVALID_KEY:
    case MBEDTLS_ERR_MD_BAD_INPUT_DATA:
    case MBEDTLS_ERR_PK_BAD_INPUT_DATA:
    case MBEDTLS_ERR_GCM_BAD_INPUT:
    case MBEDTLS_ERR_CHACHAPOLY_BAD_STATE:
    case MBEDTLS_ERR_CTR_DRBG_INPUT_TOO_BIG:
    case MBEDTLS_ERR_CTR_DRBG_REQUEST_TOO_BIG:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace

std::string MbedtlsErrorText(int ret) {
  char description[128];
  mbedtls_strerror(ret, description, sizeof(description));
  const unsigned magnitude = ret < 0 ? static_cast<unsigned>(-ret) : static_cast<unsigned>(ret);
  char code[16];
  std::snprintf(code, sizeof(code), "%s0x%04x", ret < 0 ? "-" : "", magnitude);
  return std::string("mbedtls error ") + code + " (" + description + ")";
}

Status MbedtlsStatus(int ret, std::string_view operation) {
  if (ret == 0) return OkStatus();
  return Status(CodeFor(ret), std::string(operation) + " failed: " + MbedtlsErrorText(ret));
}

}  // namespace tacet::crypto::internal
