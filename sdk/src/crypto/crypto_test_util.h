// Helpers shared by the crypto tests (not part of the library).
#ifndef TACET_CRYPTO_CRYPTO_TEST_UTIL_H_
#define TACET_CRYPTO_CRYPTO_TEST_UTIL_H_

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "base/bytes.h"
#include "crypto/drbg.h"
#include "posix/posix_entropy.h"

namespace tacet::crypto::testing {

// Decodes a hex literal from a test vector; a typo in a vector aborts the test binary loudly.
inline Bytes Hex(std::string_view hex) {
  StatusOr<Bytes> b = HexDecode(hex);
  if (!b.ok()) {
    std::fprintf(stderr, "bad hex in test vector: %s\n", b.status().ToString().c_str());
    std::abort();
  }
  return std::move(b).value();
}

// A Drbg over the real kernel entropy source (kept alive as long as the process).
inline Drbg& TestDrbg() {
  static platform::PosixEntropy entropy;
  static std::unique_ptr<Drbg> drbg = [] {
    auto d = Drbg::Create(entropy, "tacet crypto tests");
    if (!d.ok()) {
      std::fprintf(stderr, "cannot create the test Drbg: %s\n", d.status().ToString().c_str());
      std::abort();
    }
    return std::move(d).value();
  }();
  return *drbg;
}

}  // namespace tacet::crypto::testing

#endif  // TACET_CRYPTO_CRYPTO_TEST_UTIL_H_
