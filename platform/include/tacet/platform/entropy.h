// Entropy: the platform's source of unpredictable bytes, which seeds Tacet's CTR-DRBG.
#ifndef TACET_PLATFORM_ENTROPY_H_
#define TACET_PLATFORM_ENTROPY_H_

#include <cstddef>
#include <cstdint>

#include "base/status.h"

namespace tacet::platform {

// Implementations must be safe to call from any thread. Fill() either writes all `len` bytes of
// full-entropy output or returns an error (kUnavailable when the source is temporarily unable to
// deliver); it never returns partially filled output as success.
class EntropySource {
 public:
  virtual ~EntropySource() = default;
  virtual Status Fill(uint8_t* out, size_t len) = 0;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_ENTROPY_H_
