// Logger: where Tacet's diagnostics go (stderr or syslog on a speaker, logcat, os_log).
//
// Tacet never logs personal data or secrets: no audio, no coordinates, no keys, no payloads, no
// user identifiers. Messages name purposes, states, sizes and error causes only.
#ifndef TACET_PLATFORM_LOGGER_H_
#define TACET_PLATFORM_LOGGER_H_

#include <cstdint>
#include <string_view>

namespace tacet::platform {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarning, kError };

// Log is safe from any thread, including audio callbacks, so it must not block for long (no
// network, no unbounded locks). `message` is valid only during the call.
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, std::string_view message) = 0;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_LOGGER_H_
