// DeviceLock: one owner per device folder, between processes.
//
// A device's database and key store are changed by one process at a time: the agent for its whole
// lifetime, or one tacetctl command. The lock is an advisory flock(2) on a lock file next to the
// database ("<database>.lock", mode 0600). A writer holds it exclusively; a reader of a folder it
// cannot write holds it shared. The holder's pid is written into the file so that a refused
// caller can say who holds it; the lock itself is the flock, which the kernel drops when the
// holder exits or crashes, so a stale file never blocks anybody.
//
// Why a separate file and not the database itself: SQLite keeps POSIX (fcntl) locks on the
// database file, and closing any descriptor a process has on that file drops all of them.
// A lock file leaves SQLite's descriptors alone.
#ifndef TACET_PLATFORM_POSIX_DEVICE_LOCK_H_
#define TACET_PLATFORM_POSIX_DEVICE_LOCK_H_

#include <memory>
#include <string>

#include "base/status.h"

namespace tacet::platform {

enum class LockMode { kShared, kExclusive };

class DeviceLock {
 public:
  // The lock file that guards `database_path`: "<database>.lock", next to the database, with the
  // path resolved (symbolic links, "..", relative) so that every spelling of one database names
  // one lock. (A hard link to the database under another name is not caught: do not make one.)
  static std::string LockPathFor(const std::string& database_path);

  // Takes the lock on `lock_path`, creating the file (0600, never through a symlink) when it is
  // missing. Waits up to `timeout_ms` for another holder, then fails with kUnavailable naming
  // the file and, when known, the holder's pid ("in use by process 1234"). kPermissionDenied or
  // kFailedPrecondition when the file cannot be opened or is not a regular file.
  // A shared lock in a folder where the file cannot be created (a read-only folder) is granted
  // without a file: nobody can write there, so there is no writer to exclude; held() then says
  // false. The caller owns the returned lock; destroying it releases the lock.
  static StatusOr<std::unique_ptr<DeviceLock>> Acquire(const std::string& lock_path, LockMode mode,
                                                       int timeout_ms);
  ~DeviceLock();
  DeviceLock(const DeviceLock&) = delete;
  DeviceLock& operator=(const DeviceLock&) = delete;

  LockMode mode() const { return mode_; }
  // False only for a shared lock granted without a file (see Acquire).
  bool held() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  DeviceLock(std::string path, int fd, LockMode mode) : path_(std::move(path)), fd_(fd), mode_(mode) {}
  std::string path_;
  int fd_;
  LockMode mode_;
};

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_DEVICE_LOCK_H_
