// Entropy from the Linux kernel: getrandom(2), which blocks only until the pool is first seeded.
#ifndef TACET_PLATFORM_POSIX_POSIX_ENTROPY_H_
#define TACET_PLATFORM_POSIX_POSIX_ENTROPY_H_

#include "tacet/platform/entropy.h"

namespace tacet::platform {

class PosixEntropy final : public EntropySource {
 public:
  Status Fill(uint8_t* out, size_t len) override;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_POSIX_ENTROPY_H_
