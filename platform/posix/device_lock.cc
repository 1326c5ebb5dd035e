#include "posix/device_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace tacet::platform {
namespace {

std::string Errno(const char* what, const std::string& path) {
  return std::string("device lock: ") + what + " '" + path + "': " + std::strerror(errno);
}

// The pid a holder wrote into the file, or 0 when there is none readable.
long ReadHolder(int fd) {
  char buf[32] = {0};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  return std::strtol(buf, nullptr, 10);
}

}  // namespace

std::string DeviceLock::LockPathFor(const std::string& database_path) {
  // One lock per database file, whatever path names it: the folder is resolved (symbolic links,
  // "..", a relative path) so that two spellings of one database take one lock. A symbolic link
  // as the database itself is resolved too. What cannot be resolved (a folder that does not
  // exist yet) is used as given.
  std::string base = database_path;
  if (char* full = realpath(database_path.c_str(), nullptr)) {
    base = full;
    std::free(full);
  } else {
    const size_t slash = database_path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : database_path.substr(0, slash == 0 ? 1 : slash);
    const std::string name = slash == std::string::npos ? database_path : database_path.substr(slash + 1);
    if (char* full_dir = realpath(dir.c_str(), nullptr)) {
      base = std::string(full_dir) + (std::string(full_dir) == "/" ? "" : "/") + name;
      std::free(full_dir);
    }
  }
  return base + ".lock";
}

StatusOr<std::unique_ptr<DeviceLock>> DeviceLock::Acquire(const std::string& lock_path,
                                                          LockMode mode, int timeout_ms) {
  if (lock_path.empty()) return InvalidArgumentError("device lock: empty path");
  const bool exclusive = mode == LockMode::kExclusive;
  int fd = open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && !exclusive && (errno == EROFS || errno == EACCES)) {
    // A folder (or file) this process cannot write: lock the file shared if it exists, and if it
    // does not, there can be no writer to wait for.
    fd = open(lock_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      return std::unique_ptr<DeviceLock>(new DeviceLock(lock_path, -1, mode));
    }
  }
  if (fd < 0) {
    if (errno == ELOOP) {
      return PermissionDeniedError("device lock: '" + lock_path + "' is a symlink; refusing it");
    }
    if (errno == EACCES || errno == EROFS) return PermissionDeniedError(Errno("cannot open", lock_path));
    return FailedPreconditionError(Errno("cannot open", lock_path));
  }
  std::unique_ptr<DeviceLock> lock(new DeviceLock(lock_path, fd, mode));
  struct stat st {};
  if (fstat(fd, &st) != 0) return UnavailableError(Errno("cannot stat", lock_path));
  if (!S_ISREG(st.st_mode)) {
    return FailedPreconditionError("device lock: '" + lock_path + "' is not a regular file");
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  auto pause = std::chrono::milliseconds(1);
  while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return UnavailableError(Errno("cannot lock", lock_path));
    if (std::chrono::steady_clock::now() >= deadline) {
      const long holder = ReadHolder(fd);
      std::string who = holder > 0 ? " by process " + std::to_string(holder) : "";
      return UnavailableError("device lock: the device folder is in use" + who + " ('" +
                              lock_path + "' is locked" +
                              (exclusive ? "" : " for writing") + "); waited " +
                              std::to_string(timeout_ms) + " ms");
    }
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(20)) pause *= 2;
  }
  if (exclusive) {
    // Say who holds it, for the message a refused caller prints. Best effort: the flock is the
    // lock, the pid only a hint.
    const std::string pid = std::to_string(static_cast<long>(getpid())) + "\n";
    if (ftruncate(fd, 0) == 0) {
      const ssize_t written = pwrite(fd, pid.data(), pid.size(), 0);
      (void)written;
    }
  }
  return lock;
}

DeviceLock::~DeviceLock() {
  if (fd_ >= 0) close(fd_);  // closing the descriptor releases the flock
}

}  // namespace tacet::platform
