// CapturingLogger: keeps every message, so tests can assert what was (and was not) logged.
#ifndef TACET_PLATFORM_EMULATOR_CAPTURING_LOGGER_H_
#define TACET_PLATFORM_EMULATOR_CAPTURING_LOGGER_H_

#include <mutex>
#include <string>
#include <vector>

#include "tacet/platform/logger.h"

namespace tacet::platform {

struct LogEntry {
  LogLevel level;
  std::string message;
};

// Thread-safe. Memory grows with every message; meant for tests and short demos.
class CapturingLogger final : public Logger {
 public:
  void Log(LogLevel level, std::string_view message) override;
  // A copy of everything logged so far, in order.
  std::vector<LogEntry> entries();
  // True if any message contains `needle` (to assert that a secret or a coordinate never leaks).
  bool Contains(std::string_view needle);
  void Clear();

 private:
  std::mutex mu_;
  std::vector<LogEntry> entries_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_EMULATOR_CAPTURING_LOGGER_H_
