#include "base/byte_sink.h"

#include <cerrno>
#include <cstring>

namespace tacet {

Status FileSink::Write(std::string_view bytes) {
  if (bytes.empty()) return OkStatus();
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    return UnavailableError(std::string("writing the output failed: ") + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace tacet
