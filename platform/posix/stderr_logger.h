// StderrLogger: one line per message on standard error, e.g. "tacet W consent: ...".
#ifndef TACET_PLATFORM_POSIX_STDERR_LOGGER_H_
#define TACET_PLATFORM_POSIX_STDERR_LOGGER_H_

#include "tacet/platform/logger.h"

namespace tacet::platform {

// Each message is written with a single write(2), so lines from different threads do not
// interleave (for lines up to PIPE_BUF bytes on a pipe). Messages below `min_level` are dropped.
// Thread-safe; never blocks beyond the write itself.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel min_level = LogLevel::kInfo, int fd = 2)
      : min_level_(min_level), fd_(fd) {}
  void Log(LogLevel level, std::string_view message) override;

 private:
  const LogLevel min_level_;
  const int fd_;  // not owned; 2 unless a test redirects it
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_STDERR_LOGGER_H_
