// Test-time TLS credentials: a fresh ECDSA P-256 key and a self-signed certificate for the
// loopback servers of tests, examples and demos. Nothing is checked in; every run makes its own.
#ifndef TACET_EXAMPLES_NET_TLS_CREDENTIALS_H_
#define TACET_EXAMPLES_NET_TLS_CREDENTIALS_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::net {

struct CredentialOptions {
  std::string common_name = "localhost";
  // subjectAltName entries (RFC 5280 section 4.2.1.6): dNSName and iPAddress (IPv4 or IPv6 text).
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1"};
  int valid_days = 30;  // from one day before now
};

struct TestCredentials {
  TestCredentials() = default;
  TestCredentials(const TestCredentials&) = default;
  TestCredentials& operator=(const TestCredentials&) = default;
  TestCredentials(TestCredentials&&) = default;
  TestCredentials& operator=(TestCredentials&&) = default;
  ~TestCredentials();  // wipes key_pem

  std::string key_pem;   // SEC1 "EC PRIVATE KEY" PEM: a secret
  std::string cert_pem;  // the self-signed certificate, PEM
  Bytes cert_der;        // the same certificate, DER
  // SHA-256 of the DER SubjectPublicKeyInfo: the pin a client configures.
  std::array<uint8_t, 32> spki_sha256{};
};

// kInvalidArgument for a bad option (an IP address that does not parse, no name at all),
// kUnavailable when no randomness can be had, kInternal for an mbedTLS failure.
StatusOr<TestCredentials> GenerateTestCredentials(const CredentialOptions& options = {});

}  // namespace tacet::net

#endif  // TACET_EXAMPLES_NET_TLS_CREDENTIALS_H_
