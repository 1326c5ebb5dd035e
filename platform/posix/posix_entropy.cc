#include "posix/posix_entropy.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tacet::platform {

Status PosixEntropy::Fill(uint8_t* out, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = getrandom(out + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError(std::string("getrandom failed: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace tacet::platform
