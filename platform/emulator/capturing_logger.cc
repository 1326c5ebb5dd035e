#include "emulator/capturing_logger.h"

namespace tacet::platform {

void CapturingLogger::Log(LogLevel level, std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(LogEntry{level, std::string(message)});
}

std::vector<LogEntry> CapturingLogger::entries() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

bool CapturingLogger::Contains(std::string_view needle) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const LogEntry& e : entries_) {
    if (e.message.find(needle) != std::string::npos) return true;
  }
  return false;
}

void CapturingLogger::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

}  // namespace tacet::platform
