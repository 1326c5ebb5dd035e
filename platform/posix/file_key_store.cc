#include "posix/file_key_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <mbedtls/platform_util.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace tacet::platform {
namespace {

// Temporary files start with a dot, which no valid key name does, so they never collide.
constexpr char kTempPrefix[] = ".tmp-";

std::string Errno(const char* what, const std::string& path) {
  return std::string("key store: ") + what + " '" + path + "': " + std::strerror(errno);
}

std::string ModeString(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Closes a descriptor on scope exit.
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

Status FileKeyStore::ScrubTemporaryFiles() {
  int fd = dup(dir_fd_);
  if (fd < 0) return UnavailableError(Errno("cannot list directory", dir_));
  DIR* d = fdopendir(fd);
  if (d == nullptr) {
    close(fd);
    return UnavailableError(Errno("cannot list directory", dir_));
  }
  rewinddir(d);
  std::vector<std::string> stale;
  while (dirent* e = readdir(d)) {
    if (std::strncmp(e->d_name, kTempPrefix, sizeof kTempPrefix - 1) == 0) stale.emplace_back(e->d_name);
  }
  closedir(d);
  for (const std::string& name : stale) TACET_RETURN_IF_ERROR(WipeAndUnlink(name));
  return OkStatus();
}

Status FileKeyStore::Put(std::string_view name_view, ByteView secret) {
  TACET_RETURN_IF_ERROR(ValidatePut(name_view, secret));
  const std::string name(name_view);
  const std::string temp = kTempPrefix + name;
  std::lock_guard<std::mutex> lock(mu_);

  struct stat st {};
  if (fstatat(dir_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    return AlreadyExistsError("key store: secret '" + name + "' already exists");
  }
  {
    Fd fd(openat(dir_fd_, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) return UnavailableError(Errno("cannot create", dir_ + "/" + temp));
    if (!WriteAll(fd.get(), secret.data(), secret.size()) || fsync(fd.get()) != 0) {
      Status err = UnavailableError(Errno("cannot write", dir_ + "/" + temp));
      WipeAndUnlink(temp).IgnoreError();
      return err;
    }
  }
  // link() fails with EEXIST instead of replacing, unlike rename(): a secret is never clobbered.
  if (linkat(dir_fd_, temp.c_str(), dir_fd_, name.c_str(), 0) != 0) {
    Status err = UnavailableError(Errno("cannot link secret", dir_ + "/" + name));
    WipeAndUnlink(temp).IgnoreError();
    return err;
  }
  if (unlinkat(dir_fd_, temp.c_str(), 0) != 0 || fsync(dir_fd_) != 0) {
    return UnavailableError(Errno("cannot commit secret", dir_ + "/" + name));
  }
  return OkStatus();
}

StatusOr<Bytes> FileKeyStore::Get(std::string_view name_view) {
  TACET_RETURN_IF_ERROR(ValidateKeyName(name_view));
  const std::string name(name_view);
  std::lock_guard<std::mutex> lock(mu_);
  Fd fd(openat(dir_fd_, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFoundError("key store: no secret named '" + name + "'");
    return UnavailableError(Errno("cannot open", dir_ + "/" + name));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return UnavailableError(Errno("cannot stat", dir_ + "/" + name));
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    return PermissionDeniedError("key store: secret file '" + dir_ + "/" + name + "' has mode " +
                                 ModeString(st.st_mode) + "; expected a regular file with 0600");
  }
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
      Status err = n < 0 ? UnavailableError(Errno("cannot read", dir_ + "/" + name))
                         : DataLossError("key store: secret '" + name + "' shrank while being read");
      mbedtls_platform_zeroize(out.data(), out.size());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  return out;
}

Status FileKeyStore::Delete(std::string_view name_view) {
  TACET_RETURN_IF_ERROR(ValidateKeyName(name_view));
  const std::string name(name_view);
  std::lock_guard<std::mutex> lock(mu_);
  return WipeAndUnlink(name);
}

Status FileKeyStore::WipeAndUnlink(const std::string& file) {
  const std::string path = dir_ + "/" + file;
  {
    Fd fd(openat(dir_fd_, file.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT) return NotFoundError("key store: no secret named '" + file + "'");
      return UnavailableError(Errno("cannot open", path));
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return UnavailableError(Errno("cannot stat", path));
    std::vector<uint8_t> zeros(static_cast<size_t>(st.st_size), 0);
    if (!WriteAll(fd.get(), zeros.data(), zeros.size()) || fsync(fd.get()) != 0) {
      return UnavailableError(Errno("cannot overwrite", path));
    }
  }
  if (unlinkat(dir_fd_, file.c_str(), 0) != 0) return UnavailableError(Errno("cannot unlink", path));
  if (fsync(dir_fd_) != 0) return UnavailableError(Errno("cannot sync directory", dir_));
  return OkStatus();
}

}  // namespace tacet::platform
