#include "tls_credentials.h"

#include <arpa/inet.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include <ctime>
#include <memory>

#include "crypto/drbg.h"
#include "posix/posix_entropy.h"
#include "posix/tls_socket.h"

namespace tacet::net {

TestCredentials::~TestCredentials() { mbedtls_platform_zeroize(key_pem.data(), key_pem.size()); }

namespace {

// DER: tag, definite length (short or long form), content.
void AppendDer(Bytes& out, uint8_t tag, ByteView content) {
  out.push_back(tag);
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xff) {
    out.push_back(0x81);
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(0x82);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n & 0xff));
  }
  Append(out, content);
}

// GeneralNames (RFC 5280 section 4.2.1.6): dNSName [2] IA5String, iPAddress [7] OCTET STRING.
StatusOr<Bytes> SubjectAltNames(const CredentialOptions& o) {
  Bytes names;
  for (const std::string& dns : o.dns_names) AppendDer(names, 0x82, ByteView::FromString(dns));
  for (const std::string& ip : o.ip_addresses) {
    uint8_t addr[16];
    if (inet_pton(AF_INET, ip.c_str(), addr) == 1) {
      AppendDer(names, 0x87, ByteView(addr, 4));
    } else if (inet_pton(AF_INET6, ip.c_str(), addr) == 1) {
      AppendDer(names, 0x87, ByteView(addr, 16));
    } else {
      return InvalidArgumentError("test credentials: '" + ip + "' is not an IP address");
    }
  }
  if (names.size() > 0xff00) return InvalidArgumentError("test credentials: too many names");
  Bytes san;
  AppendDer(san, 0x30, names);
  return san;
}

// "YYYYMMDDhhmmss" in UTC, as mbedtls_x509write_crt_set_validity wants it.
std::string X509Time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%d%H%M%S", &tm);
  return text;
}

Status Mbed(int rc, const char* what) {
  if (rc == 0) return OkStatus();
  return InternalError(std::string("test credentials: ") + what + ": " + platform::MbedTlsError(rc));
}

}  // namespace

StatusOr<TestCredentials> GenerateTestCredentials(const CredentialOptions& o) {
  if (o.dns_names.empty() && o.ip_addresses.empty()) {
    return InvalidArgumentError("test credentials: at least one DNS name or IP address is needed");
  }
  if (o.valid_days <= 0) return InvalidArgumentError("test credentials: valid_days must be positive");
  for (const std::string& name : o.dns_names) {
    if (name.empty() || name.size() > 253 || name.find_first_of(",=\\\"") != std::string::npos) {
      return InvalidArgumentError("test credentials: invalid DNS name '" + name + "'");
    }
  }
  if (o.common_name.find_first_of(",=\\\"") != std::string::npos) {
    return InvalidArgumentError("test credentials: invalid common name");
  }
  TACET_ASSIGN_OR_RETURN(Bytes san, SubjectAltNames(o));
  platform::PosixEntropy entropy;
  TACET_ASSIGN_OR_RETURN(std::unique_ptr<crypto::Drbg> drbg, crypto::Drbg::Create(entropy, "tacet test credentials"));

  // RAII for the mbedTLS contexts; the key and the PEM buffer are wiped.
  struct Contexts {
    mbedtls_pk_context key;
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    Contexts() {
      mbedtls_pk_init(&key);
      mbedtls_x509write_crt_init(&crt);
      mbedtls_mpi_init(&serial);
    }
    ~Contexts() {
      mbedtls_pk_free(&key);
      mbedtls_x509write_crt_free(&crt);
      mbedtls_mpi_free(&serial);
    }
  } c;
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_pk_setup(&c.key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), "key setup"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(c.key),
                                                 crypto::Drbg::MbedtlsRandom, drbg.get()),
                             "P-256 key generation"));

  TACET_ASSIGN_OR_RETURN(Bytes serial, drbg->RandomBytes(16));
  serial[0] &= 0x7f;  // a positive INTEGER (RFC 5280 section 4.1.2.2)
  serial[0] |= 0x01;  // and not zero
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_mpi_read_binary(&c.serial, serial.data(), serial.size()), "serial"));

  const std::string subject = "CN=" + o.common_name + ",O=Tacet test";
  const std::time_t now = std::time(nullptr);
  mbedtls_x509write_crt_set_version(&c.crt, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&c.crt, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&c.crt, &c.key);
  mbedtls_x509write_crt_set_issuer_key(&c.crt, &c.key);
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_subject_name(&c.crt, subject.c_str()), "subject"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_issuer_name(&c.crt, subject.c_str()), "issuer"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_serial(&c.crt, &c.serial), "serial"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_validity(&c.crt, X509Time(now - 86400).c_str(),
                                                              X509Time(now + 86400LL * o.valid_days).c_str()),
                             "validity"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_basic_constraints(&c.crt, 0, -1), "basic constraints"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_key_usage(&c.crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE),
                             "key usage"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_subject_key_identifier(&c.crt), "key identifier"));
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_x509write_crt_set_extension(&c.crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                               MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                               san.data(), san.size()),
                             "subjectAltName"));

  TestCredentials out;
  Bytes buf(16 * 1024);
  // The DER writers fill the buffer from its end.
  int n = mbedtls_x509write_crt_der(&c.crt, buf.data(), buf.size(), crypto::Drbg::MbedtlsRandom, drbg.get());
  if (n < 0) return Mbed(n, "certificate");
  out.cert_der.assign(buf.end() - n, buf.end());
  int rc = mbedtls_x509write_crt_pem(&c.crt, buf.data(), buf.size(), crypto::Drbg::MbedtlsRandom, drbg.get());
  TACET_RETURN_IF_ERROR(Mbed(rc, "certificate PEM"));
  out.cert_pem = reinterpret_cast<const char*>(buf.data());
  n = mbedtls_pk_write_pubkey_der(&c.key, buf.data(), buf.size());
  if (n < 0) return Mbed(n, "public key");
  TACET_RETURN_IF_ERROR(Mbed(mbedtls_sha256_ret(buf.data() + buf.size() - n, static_cast<size_t>(n),
                                                out.spki_sha256.data(), 0),
                             "SPKI hash"));
  rc = mbedtls_pk_write_key_pem(&c.key, buf.data(), buf.size());
  if (rc == 0) out.key_pem = reinterpret_cast<const char*>(buf.data());
  mbedtls_platform_zeroize(buf.data(), buf.size());
  TACET_RETURN_IF_ERROR(Mbed(rc, "key PEM"));
  return out;
}

}  // namespace tacet::net
