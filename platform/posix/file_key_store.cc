#include "posix/file_key_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>  // RENAME_NOREPLACE
#include <mbedtls/platform_util.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace tacet::platform {
namespace {

// Temporary files start with a dot, which no valid key name does, so they never collide with a
// secret. kPut and kDelete names carry the writer's pid; kOldPut is the naming of earlier versions
// (".tmp-<name>", no pid), still recognised so that their leftovers are cleaned up safely.
constexpr char kPutPrefix[] = ".tmp.";
constexpr char kDeletePrefix[] = ".del.";
constexpr char kOldPutPrefix[] = ".tmp-";
// How often Put or Delete start over when the file they opened changed under them (another
// process's scrub or Delete got there first). Each retry means another process acted in a window
// of a few system calls, so a handful is plenty.
constexpr int kMaxAttempts = 8;

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

std::string Errno(const char* what, const std::string& path) {
  return std::string("key store: ") + what + " '" + path + "': " + std::strerror(errno);
}

std::string ModeString(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Closes a descriptor on scope exit (which also releases a flock taken through it).
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool WriteAll(int fd, const uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// flock that retries when a signal interrupts the wait.
int Flock(int fd, int op) {
  int rc;
  do rc = flock(fd, op);
  while (rc != 0 && errno == EINTR);
  return rc;
}

// 1 when `file` (relative to dir_fd) is the file open as `fd`, 0 when the name is gone or names
// another file, -1 (errno set) on error.
int NameRefersTo(int dir_fd, const std::string& file, int fd) {
  struct stat open_st {}, named_st {};
  if (fstat(fd, &open_st) != 0) return -1;
  if (fstatat(dir_fd, file.c_str(), &named_st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? 0 : -1;
  }
  return open_st.st_dev == named_st.st_dev && open_st.st_ino == named_st.st_ino ? 1 : 0;
}

// renameat2(RENAME_NOREPLACE) through syscall(2), so that the C library's version does not
// matter; ENOSYS or EINVAL when the kernel or the file system cannot do it.
int RenameNoReplace(int dir_fd, const std::string& from, const std::string& to) {
  return static_cast<int>(syscall(SYS_renameat2, dir_fd, from.c_str(), dir_fd, to.c_str(),
                                  static_cast<unsigned>(RENAME_NOREPLACE)));
}

// The pid in a ".tmp.<pid>.…" or ".del.<pid>.…" name; 0 for any other name.
pid_t PidInName(const std::string& file) {
  size_t i = 0;
  if (StartsWith(file, kPutPrefix)) {
    i = sizeof kPutPrefix - 1;
  } else if (StartsWith(file, kDeletePrefix)) {
    i = sizeof kDeletePrefix - 1;
  } else {
    return 0;
  }
  long long pid = 0;
  size_t digits = 0;
  for (; i < file.size() && file[i] >= '0' && file[i] <= '9' && digits < 10; ++i, ++digits) {
    pid = pid * 10 + (file[i] - '0');
  }
  if (digits == 0 || i >= file.size() || file[i] != '.') return 0;
  return static_cast<pid_t>(pid);
}

// True when `pid` is a process we can see (kill(pid, 0) answers it exists, even if not ours).
bool ProcessIsAlive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

StatusOr<std::unique_ptr<FileKeyStore>> FileKeyStore::Open(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return UnavailableError(Errno("cannot create directory", dir));
  }
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return PermissionDeniedError("key store: '" + dir + "' is not a directory (or is a symlink)");
    }
    return UnavailableError(Errno("cannot open directory", dir));
  }
  std::unique_ptr<FileKeyStore> store(new FileKeyStore(dir, fd));
  struct stat st {};
  if (fstat(fd, &st) != 0) return UnavailableError(Errno("cannot stat directory", dir));
  if (st.st_uid != geteuid()) {
    return PermissionDeniedError("key store: directory '" + dir + "' is owned by uid " +
                                 std::to_string(st.st_uid) + ", not by this process (uid " +
                                 std::to_string(geteuid()) + ")");
  }
  if ((st.st_mode & 077) != 0) {
    return PermissionDeniedError("key store: directory '" + dir + "' has mode " +
                                 ModeString(st.st_mode) +
                                 ", accessible by group or others; expected 0700");
  }
  TACET_RETURN_IF_ERROR(store->ScrubTemporaryFiles());
  return store;
}

FileKeyStore::~FileKeyStore() { close(dir_fd_); }

StatusOr<std::string> FileKeyStore::TemporaryName(const char* kind, const std::string& name) const {
  uint8_t random[8];
  size_t done = 0;
  while (done < sizeof random) {
    ssize_t n = getrandom(random + done, sizeof random - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return UnavailableError(std::string("key store: getrandom failed: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  const std::string prefix = std::string(".") + kind + ".";
  return prefix + std::to_string(getpid()) + "." + HexEncode(ByteView(random, sizeof random)) +
         "." + name;
}

Status FileKeyStore::ScrubTemporaryFiles() {
  int fd = dup(dir_fd_);
  if (fd < 0) return UnavailableError(Errno("cannot list directory", dir_));
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return UnavailableError(Errno("cannot list directory", dir_));
  }
  rewinddir(d);
  std::vector<std::string> temporary;
  while (dirent* e = readdir(d)) {
    const std::string file = e->d_name;
    if (StartsWith(file, kPutPrefix) || StartsWith(file, kDeletePrefix) ||
        StartsWith(file, kOldPutPrefix)) {
      temporary.push_back(file);
    }
  }
  closedir(d);
  Status first_error = OkStatus();
  for (const std::string& file : temporary) {
    Status s = ScrubOne(file);
    if (!s.ok() && first_error.ok()) first_error = s;
  }
  return first_error;
}

Status FileKeyStore::ScrubOne(const std::string& file) {
  const std::string path = dir_ + "/" + file;
  // A writer between O_CREAT and flock holds no lock yet; its pid in the name says it is alive.
  // (A pid of ours is either a thread of this process, which the lock below covers, or a dead
  // predecessor whose pid was reused.) Only Put has that window: Delete renames a key to its
  // ".del." name while already holding the key's lock, so a ".del." file is covered by the lock
  // alone, and a pid reused after a crash (common at every boot of firmware) must not keep an
  // erased key's bytes there.
  const pid_t owner = StartsWith(file, kPutPrefix) ? PidInName(file) : 0;
  if (owner > 0 && owner != getpid() && ProcessIsAlive(owner)) return OkStatus();

  struct stat st {};
  if (fstatat(dir_fd_, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? OkStatus() : UnavailableError(Errno("cannot stat", path));
  }
  if (!S_ISREG(st.st_mode)) return OkStatus();  // not something this store makes: left alone
  Fd fd(openat(dir_fd_, file.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    return errno == ENOENT ? OkStatus() : UnavailableError(Errno("cannot open", path));
  }
  if (Flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) return OkStatus();  // a writer at work
    return UnavailableError(Errno("cannot lock", path));
  }
  // Under the lock: act only if the name still refers to the file we locked (a writer that
  // finished before we locked has renamed it away, or unlinked it).
  const int same = NameRefersTo(dir_fd_, file, fd.get());
  if (same < 0) return UnavailableError(Errno("cannot stat", path));
  if (same == 0) return OkStatus();
  if (fstat(fd.get(), &st) != 0) return UnavailableError(Errno("cannot stat", path));
  if (!S_ISREG(st.st_mode)) return OkStatus();
  if (st.st_nlink > 1) {
    // Another name of this file is a live secret: drop only the temporary name.
    if (unlinkat(dir_fd_, file.c_str(), 0) != 0) return UnavailableError(Errno("cannot unlink", path));
    if (fsync(dir_fd_) != 0) return UnavailableError(Errno("cannot sync directory", dir_));
    return OkStatus();
  }
  return WipeAndUnlink(fd.get(), file);
}

Status FileKeyStore::Put(std::string_view name_view, ByteView secret) {
  TACET_RETURN_IF_ERROR(ValidatePut(name_view, secret));
  const std::string name(name_view);
  std::lock_guard<std::mutex> lock(mu_);

  // Not the guarantee (RENAME_NOREPLACE is) but spares writing a secret that cannot be stored.
  struct stat st {};
  if (fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return AlreadyExistsError("key store: secret '" + name + "' already exists");
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    TACET_ASSIGN_OR_RETURN(const std::string temp, TemporaryName("tmp", name));
    const std::string temp_path = dir_ + "/" + temp;
    Fd fd(openat(dir_fd_, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      if (errno == EEXIST) continue;
      return UnavailableError(Errno("cannot create", temp_path));
    }
    if (Flock(fd.get(), LOCK_EX) != 0) {
      Status err = UnavailableError(Errno("cannot lock", temp_path));
      unlinkat(dir_fd_, temp.c_str(), 0);  // still empty; named after us, so no scrub touches it
      return err;
    }
    // Between O_CREAT and flock a scrub that could not see us alive may have removed the file:
    // then start over with a new one (nothing has been written yet).
    const int same = NameRefersTo(dir_fd_, temp, fd.get());
    if (same < 0) return UnavailableError(Errno("cannot stat", temp_path));
    if (same == 0) continue;

    if (!WriteAll(fd.get(), secret.data(), secret.size()) || fsync(fd.get()) != 0) {
      Status err = UnavailableError(Errno("cannot write", temp_path));
      WipeAndUnlink(fd.get(), temp).IgnoreError();
      return err;
    }
    if (RenameNoReplace(dir_fd_, temp, name) == 0) {
      if (fsync(dir_fd_) != 0) return UnavailableError(Errno("cannot sync directory", dir_));
      return OkStatus();
    }
    if (errno == EEXIST) {
      WipeAndUnlink(fd.get(), temp).IgnoreError();
      return AlreadyExistsError("key store: secret '" + name + "' already exists");
    }
    if (errno != EINVAL && errno != ENOSYS) {
      Status err = UnavailableError(Errno("cannot rename into place", dir_ + "/" + name));
      WipeAndUnlink(fd.get(), temp).IgnoreError();
      return err;
    }
    // No RENAME_NOREPLACE here: link(2) never replaces either. Until the temporary name is
    // unlinked the file has two links, which a scrub only unlinks.
    if (linkat(dir_fd_, temp.c_str(), dir_fd_, name.c_str(), 0) != 0) {
      Status err = errno == EEXIST
                       ? AlreadyExistsError("key store: secret '" + name + "' already exists")
                       : UnavailableError(Errno("cannot link secret", dir_ + "/" + name));
      WipeAndUnlink(fd.get(), temp).IgnoreError();
      return err;
    }
    // The secret is in place; a temporary name that cannot be removed now is removed by the next
    // Open (it has two links, so it is only unlinked).
    unlinkat(dir_fd_, temp.c_str(), 0);
    if (fsync(dir_fd_) != 0) return UnavailableError(Errno("cannot sync directory", dir_));
    return OkStatus();
  }
  return UnavailableError("key store: the temporary file for secret '" + name +
                          "' kept being removed by other processes; gave up after " +
                          std::to_string(kMaxAttempts) + " attempts");
}

StatusOr<Bytes> FileKeyStore::Get(std::string_view name_view) {
  TACET_RETURN_IF_ERROR(ValidateKeyName(name_view));
  const std::string name(name_view);
  const std::string path = dir_ + "/" + name;
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Fd fd(openat(dir_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT) return NotFoundError("key store: no secret named '" + name + "'");
      return UnavailableError(Errno("cannot open", path));
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return UnavailableError(Errno("cannot stat", path));
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
      return PermissionDeniedError("key store: secret file '" + path + "' has mode " +
                                   ModeString(st.st_mode) + "; expected a regular file with 0600");
    }
    // A shared lock keeps a concurrent Delete (which zeroes the file under LOCK_EX after renaming
    // it away) from changing the bytes while we read; if the name moved meanwhile, look again.
    if (Flock(fd.get(), LOCK_SH) != 0) return UnavailableError(Errno("cannot lock", path));
    const int same = NameRefersTo(dir_fd_, name, fd.get());
    if (same < 0) return UnavailableError(Errno("cannot stat", path));
    if (same == 0) continue;
    if (fstat(fd.get(), &st) != 0) return UnavailableError(Errno("cannot stat", path));
    if (st.st_size <= 0 || static_cast<uint64_t>(st.st_size) > kMaxSecretSize) {
      return DataLossError("key store: secret '" + name + "' has " + std::to_string(st.st_size) +
                           " bytes; expected 1 to " + std::to_string(kMaxSecretSize));
    }
    Bytes out(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = read(fd.get(), out.data() + done, out.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        Status err = n < 0 ? UnavailableError(Errno("cannot read", path))
                           : DataLossError("key store: secret '" + name + "' shrank while being read");
        mbedtls_platform_zeroize(out.data(), out.size());
        return err;
      }
      done += static_cast<size_t>(n);
    }
    return out;
  }
  return UnavailableError("key store: secret '" + name + "' kept changing while being read");
}

Status FileKeyStore::Delete(std::string_view name_view) {
  TACET_RETURN_IF_ERROR(ValidateKeyName(name_view));
  const std::string name(name_view);
  const std::string path = dir_ + "/" + name;
  std::lock_guard<std::mutex> lock(mu_);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    Fd fd(openat(dir_fd_, name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT) return NotFoundError("key store: no secret named '" + name + "'");
      return UnavailableError(Errno("cannot open", path));
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return UnavailableError(Errno("cannot stat", path));
    if (!S_ISREG(st.st_mode)) {
      return PermissionDeniedError("key store: secret file '" + path + "' is not a regular file");
    }
    if (Flock(fd.get(), LOCK_EX) != 0) return UnavailableError(Errno("cannot lock", path));
    const int same = NameRefersTo(dir_fd_, name, fd.get());
    if (same < 0) return UnavailableError(Errno("cannot stat", path));
    if (same == 0) continue;  // deleted (and perhaps stored anew) by another process meanwhile
    // Take the name away first, so a crash never leaves a zeroed secret under it; the bytes stay
    // in the ".del." file until they are wiped below (or by the next Open, after a crash).
    TACET_ASSIGN_OR_RETURN(const std::string doomed, TemporaryName("del", name));
    if (renameat(dir_fd_, name.c_str(), dir_fd_, doomed.c_str()) != 0) {
      return UnavailableError(Errno("cannot rename for deletion", path));
    }
    Status synced = fsync(dir_fd_) == 0 ? OkStatus()
                                        : UnavailableError(Errno("cannot sync directory", dir_));
    Status wiped = WipeAndUnlink(fd.get(), doomed);
    return synced.ok() ? wiped : synced;
  }
  return UnavailableError("key store: secret '" + name + "' kept changing while being deleted");
}

Status FileKeyStore::WipeAndUnlink(int fd, const std::string& file) {
  const std::string path = dir_ + "/" + file;
  struct stat st {};
  if (fstat(fd, &st) != 0) return UnavailableError(Errno("cannot stat", path));
  std::vector<uint8_t> zeros(static_cast<size_t>(st.st_size), 0);
  if (lseek(fd, 0, SEEK_SET) != 0 || !WriteAll(fd, zeros.data(), zeros.size()) || fsync(fd) != 0) {
    return UnavailableError(Errno("cannot overwrite", path));
  }
  if (unlinkat(dir_fd_, file.c_str(), 0) != 0) return UnavailableError(Errno("cannot unlink", path));
  if (fsync(dir_fd_) != 0) return UnavailableError(Errno("cannot sync directory", dir_));
  return OkStatus();
}

}  // namespace tacet::platform
