// EmulatorEntropy: reproducible "entropy" for tests and demos. TEST-ONLY: NEVER FOR PRODUCTION.
//
// The output is a pure function of the seed, so anyone who knows the seed knows every key
// derived from it. It exists so that an emulated run (keys, nonces, sealed payloads) can be
// replayed byte for byte. Production builds take entropy from the OS (PosixEntropy, or the
// binding's SecureRandom / SecRandomCopyBytes).
#ifndef TACET_PLATFORM_EMULATOR_EMULATOR_ENTROPY_H_
#define TACET_PLATFORM_EMULATOR_EMULATOR_ENTROPY_H_

#include <array>
#include <cstdint>
#include <mutex>

#include "tacet/platform/entropy.h"

namespace tacet::platform {

// Output block i is SHA-256("tacet emulator entropy" || seed as 8 bytes big-endian || i as 8
// bytes big-endian) (FIPS 180-4 SHA-256 in counter mode); blocks are consumed in order, so the
// byte stream does not depend on how Fill calls are sized. Thread-safe.
class EmulatorEntropy final : public EntropySource {
 public:
  explicit EmulatorEntropy(uint64_t seed) : seed_(seed) {}
  ~EmulatorEntropy() override;
  Status Fill(uint8_t* out, size_t len) override;

 private:
  const uint64_t seed_;
  std::mutex mu_;
  uint64_t counter_ = 0;
  std::array<uint8_t, 32> block_{};
  size_t used_ = 32;  // bytes of block_ already handed out
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_EMULATOR_ENTROPY_H_
