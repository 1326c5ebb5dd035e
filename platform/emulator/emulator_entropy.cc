#include "emulator/emulator_entropy.h"

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include <algorithm>
#include <cstring>

#include "base/bytes.h"

namespace tacet::platform {

EmulatorEntropy::~EmulatorEntropy() { mbedtls_platform_zeroize(block_.data(), block_.size()); }

Status EmulatorEntropy::Fill(uint8_t* out, size_t len) {
  static constexpr char kDomain[] = "tacet emulator entropy";
  std::lock_guard<std::mutex> lock(mu_);
  while (len > 0) {
    if (used_ == block_.size()) {
      Bytes input(kDomain, kDomain + sizeof kDomain - 1);
      AppendU64Be(input, seed_);
      AppendU64Be(input, counter_++);
      if (mbedtls_sha256_ret(input.data(), input.size(), block_.data(), /*is224=*/0) != 0) {
        return InternalError("emulator entropy: SHA-256 failed");
      }
      used_ = 0;
    }
    size_t n = std::min(len, block_.size() - used_);
    std::memcpy(out, block_.data() + used_, n);
    used_ += n;
    out += n;
    len -= n;
  }
  return OkStatus();
}

}  // namespace tacet::platform
