#include "output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace tacet::cli {
namespace {

namespace fs = std::filesystem;

std::string Errno() { return std::strerror(errno); }

Status Refuse(const std::string& destination, const std::string& why) {
  return InvalidArgumentError("refusing to write '" + destination + "': " + why);
}

struct Destination {
  std::string folder;    // as given ("." when the destination has no folder part)
  std::string name;      // the last component
  std::string resolved;  // the real path of `folder` plus `name` (the name itself not resolved)
  std::vector<std::string> folders;  // the real folder and every folder above it, innermost first
};

StatusOr<Destination> Resolve(const std::string& destination) {
  Destination d;
  const size_t slash = destination.rfind('/');
  d.folder = slash == std::string::npos ? "." : slash == 0 ? "/" : destination.substr(0, slash);
  d.name = slash == std::string::npos ? destination : destination.substr(slash + 1);
  if (d.name.empty() || d.name == "." || d.name == "..") {
    return Refuse(destination, "it names a folder, not a file");
  }
  char real[PATH_MAX];
  if (::realpath(d.folder.c_str(), real) == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return NotFoundError("cannot write '" + destination + "': its folder '" + d.folder +
                           "' does not exist");
    }
    return UnavailableError("cannot write '" + destination + "': resolving its folder '" +
                            d.folder + "' failed: " + Errno());
  }
  const std::string folder = real;
  d.resolved = folder == "/" ? "/" + d.name : folder + "/" + d.name;
  for (fs::path p = folder;; p = p.parent_path()) {
    d.folders.push_back(p.string());
    if (p == p.parent_path()) break;
  }
  return d;
}

// `path` with every symbolic link in the part that exists resolved and the rest normalised
// (what SQLite and the key store will really open). Empty when it cannot be worked out.
std::string Canonical(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? std::string() : p.string();
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

Status CheckDatabase(const std::string& destination, const Destination& d, const struct stat* dst,
                     const std::string& database) {
  if (database.empty()) return OkStatus();
  // The name given and the name its links resolve to: SQLite names its companions after the
  // resolved database path.
  std::vector<std::string> bases = {database};
  const std::string canonical = Canonical(database);
  if (!canonical.empty() && canonical != database) bases.push_back(canonical);
  for (const std::string& base : bases) {
    // ".lock" is the device lock (platform/posix/device_lock.h): replacing it would let a second
    // owner in.
    for (const char* suffix : {"", "-wal", "-shm", "-journal", ".lock"}) {
      const std::string name = base + suffix;
      const std::string what = *suffix == '\0' ? "the database '" + database + "'"
                                               : "the database's " + std::string(suffix + 1) +
                                                     " file '" + name + "'";
      struct stat st {};
      if (dst != nullptr && ::stat(name.c_str(), &st) == 0 && SameFile(st, *dst)) {
        return Refuse(destination, "it is " + what);
      }
      if (Canonical(name) == d.resolved) return Refuse(destination, "it is " + what);
    }
  }
  return OkStatus();
}

Status CheckKeyStore(const std::string& destination, const Destination& d,
                     const std::string& key_store_dir) {
  if (key_store_dir.empty()) return OkStatus();
  const std::string why = "it is inside the key store '" + key_store_dir + "'";
  const std::string canonical = Canonical(key_store_dir);
  if (!canonical.empty()) {
    const std::string inside = canonical == "/" ? "/" : canonical + "/";
    if (d.resolved == canonical || d.resolved.compare(0, inside.size(), inside) == 0) {
      return Refuse(destination, why);
    }
  }
  struct stat keys {};
  if (::stat(key_store_dir.c_str(), &keys) != 0) return OkStatus();  // not there: nothing inside
  for (const std::string& folder : d.folders) {
    struct stat st {};
    if (::stat(folder.c_str(), &st) == 0 && SameFile(st, keys)) return Refuse(destination, why);
  }
  return OkStatus();
}

// A name for a temporary file beside the destination, unique with high probability (O_EXCL
// makes sure): hidden, and short enough for NAME_MAX whatever the destination's name.
std::string TempName(const Destination& d, int attempt) {
  static std::atomic<unsigned> counter{0};
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  char suffix[64];
  std::snprintf(suffix, sizeof(suffix), ".tmp-%ld-%u-%llx-%d", static_cast<long>(::getpid()),
                counter.fetch_add(1), static_cast<unsigned long long>(now), attempt);
  return (d.folder == "/" ? "/" : d.folder + "/") + "." + d.name.substr(0, 100) + suffix;
}

Status SyncFolder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return UnavailableError("cannot open folder '" + folder + "' to sync it: " + Errno());
  const int rc = ::fsync(fd);
  const std::string error = Errno();
  ::close(fd);
  if (rc != 0) return UnavailableError("syncing folder '" + folder + "' failed: " + error);
  return OkStatus();
}

}  // namespace

Status CheckOutputPath(const std::string& destination, const ProtectedPaths& protect) {
  if (destination.empty()) return InvalidArgumentError("the output path is empty");
  TACET_ASSIGN_OR_RETURN(Destination d, Resolve(destination));
  struct stat st {};
  const bool exists = ::lstat(destination.c_str(), &st) == 0;
  if (!exists && errno != ENOENT) {
    return UnavailableError("cannot write '" + destination + "': " + Errno());
  }
  if (exists) {
    if (S_ISLNK(st.st_mode)) return Refuse(destination, "it is a symbolic link (not followed)");
    if (S_ISDIR(st.st_mode)) return Refuse(destination, "it is a directory");
    if (!S_ISREG(st.st_mode)) return Refuse(destination, "it is not a regular file");
  }
  TACET_RETURN_IF_ERROR(CheckDatabase(destination, d, exists ? &st : nullptr, protect.database));
  return CheckKeyStore(destination, d, protect.key_store_dir);
}

Status WriteOutputFile(const std::string& destination, const ProtectedPaths& protect,
                       unsigned mode, const std::function<Status(std::FILE*)>& write) {
  TACET_RETURN_IF_ERROR(CheckOutputPath(destination, protect));
  TACET_ASSIGN_OR_RETURN(Destination d, Resolve(destination));
  std::string temp;
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 16; ++attempt) {
    temp = TempName(d, attempt);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                static_cast<mode_t>(mode));
    if (fd < 0 && errno != EEXIST) {
      return UnavailableError("cannot create a file in '" + d.folder + "' to write '" +
                              destination + "': " + Errno());
    }
  }
  if (fd < 0) return UnavailableError("cannot find a free temporary name beside '" + destination + "'");
  std::FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) {
    ::close(fd);
    ::unlink(temp.c_str());
    return UnavailableError("cannot open '" + temp + "' for writing");
  }
  Status status = write(file);
  if (status.ok() && std::fflush(file) != 0) {
    status = UnavailableError("writing '" + destination + "' failed: " + Errno());
  }
  if (status.ok() && ::fsync(fd) != 0) {
    status = UnavailableError("syncing '" + destination + "' failed: " + Errno());
  }
  if (std::fclose(file) != 0 && status.ok()) {
    status = UnavailableError("closing '" + destination + "' failed: " + Errno());
  }
  if (status.ok() && ::rename(temp.c_str(), destination.c_str()) != 0) {
    status = UnavailableError("cannot move the new file into place at '" + destination +
                              "': " + Errno());
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());  // ours alone: created with O_EXCL above
    return status;
  }
  return SyncFolder(d.folder);
}

}  // namespace tacet::cli
