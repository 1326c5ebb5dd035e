#include "posix/stderr_logger.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace tacet::platform {
namespace {

char LevelLetter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 'D';
    case LogLevel::kInfo: return 'I';
    case LogLevel::kWarning: return 'W';
    case LogLevel::kError: return 'E';
  }
  return '?';
}

}  // namespace

void StderrLogger::Log(LogLevel level, std::string_view message) {
  if (level < min_level_) return;
  std::string line = "tacet ";
  line += LevelLetter(level);
  line += ' ';
  line += message;
  line += '\n';
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a logging failure
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace tacet::platform
