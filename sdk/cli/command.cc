#include "command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "policy/policy.h"

namespace tacet::cli {

bool Args::TakeFlag(std::string_view name) {
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (*it == name) {
      args_.erase(it);
      return true;
    }
  }
  return false;
}

bool Args::TakeOption(std::string_view name, std::string* value) {
  for (auto it = args_.begin(); it != args_.end(); ++it) {
    if (*it != name) continue;
    if (it + 1 == args_.end()) {
      std::fprintf(stderr, "tacetctl: %s needs a value\n", std::string(name).c_str());
      return false;
    }
    *value = *(it + 1);
    args_.erase(it, it + 2);
    return true;
  }
  return true;
}

bool Args::NoUnknownOptions() const {
  for (const std::string& arg : args_) {
    if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "tacetctl: unknown option %s\n", arg.c_str());
      return false;
    }
  }
  return true;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "tacetctl: %s\n", status.ToString().c_str());
  return kExitFailure;
}

int UsageError(const Command& command, std::string_view problem) {
  if (!problem.empty()) std::fprintf(stderr, "tacetctl %s: %s\n", std::string(command.name).c_str(),
                                     std::string(problem).c_str());
  std::fprintf(stderr, "%s", std::string(command.usage).c_str());
  return kExitUsage;
}

StatusOr<Bytes> ReadFile(const std::string& path, size_t max_bytes) {
  return policy::ReadPolicyFile(path, max_bytes);
}

Status WriteFile(const std::string& path, ByteView bytes, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return UnavailableError("cannot create '" + path + "': " + std::strerror(errno));
  // O_CREAT's mode applies only to a new file. An existing one keeps its permissions, so take
  // away whatever `mode` does not allow before writing (a private key must not land in a file
  // others can read).
  struct stat st {};
  if (::fstat(fd, &st) != 0 || ((st.st_mode & 07777 & ~mode) != 0 &&
                                ::fchmod(fd, static_cast<mode_t>(st.st_mode & 07777 & mode)) != 0)) {
    const std::string error = std::strerror(errno);
    ::close(fd);
    return UnavailableError("cannot restrict the permissions of '" + path + "': " + error);
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string error = std::strerror(errno);
      ::close(fd);
      return UnavailableError("writing '" + path + "' failed: " + error);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return UnavailableError("closing '" + path + "' failed");
  return OkStatus();
}

}  // namespace tacet::cli
