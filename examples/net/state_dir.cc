#include "state_dir.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <mbedtls/x509_crt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "posix/tls_socket.h"

namespace tacet::net {
namespace {

std::string Join(const std::string& dir, const std::string& name) { return dir + "/" + name; }

Status ErrnoError(const std::string& what, const std::string& path) {
  return UnavailableError(what + " " + path + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status WriteAll(int fd, ByteView data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

bool IsIpv4(const std::string& text) {
  in_addr addr{};
  return inet_pton(AF_INET, text.c_str(), &addr) == 1;
}

}  // namespace

Status EnsurePrivateDir(const std::string& dir) {
  if (dir.empty()) return InvalidArgumentError("state folder: empty path");
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("cannot create folder", dir);
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return ErrnoError("cannot stat", dir);
  if (!S_ISDIR(st.st_mode)) return InvalidArgumentError("state folder " + dir + " exists and is not a folder");
  return OkStatus();
}

bool FileExists(const std::string& dir, const std::string& name) {
  struct stat st {};
  return ::lstat(Join(dir, name).c_str(), &st) == 0;
}

Status WriteFileAtomically(const std::string& dir, const std::string& name, ByteView contents, int mode) {
  const std::string path = Join(dir, name);
  const std::string temp = Join(dir, "." + name + ".tmp");
  ::unlink(temp.c_str());  // a leftover of a crash
  {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (fd.get() < 0) return ErrnoError("cannot create", temp);
    if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0) return ErrnoError("cannot chmod", temp);
    Status written = WriteAll(fd.get(), contents, temp);
    if (written.ok() && ::fsync(fd.get()) != 0) written = ErrnoError("cannot sync", temp);
    if (!written.ok()) {
      ::unlink(temp.c_str());
      return written;
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const Status error = ErrnoError("cannot rename onto", path);
    ::unlink(temp.c_str());
    return error;
  }
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) ::fsync(dir_fd.get());
  return OkStatus();
}

StatusOr<crypto::SecretBytes> ReadSmallFile(const std::string& dir, const std::string& name, size_t max_bytes,
                                            bool must_be_private) {
  const std::string path = Join(dir, name);
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFoundError(path + " does not exist");
    if (errno == ELOOP) return InvalidArgumentError(path + " is a symbolic link; expected a regular file");
    return ErrnoError("cannot open", path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return InvalidArgumentError(path + " is not a regular file");
  if (must_be_private && (st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return PermissionDeniedError(path + " has mode " + mode + "; a private key file must be 0600");
  }
  if (st.st_size < 0 || static_cast<uint64_t>(st.st_size) > max_bytes) {
    return InvalidArgumentError(path + " is " + std::to_string(st.st_size) + " bytes; at most " +
                                std::to_string(max_bytes) + " expected");
  }
  // One byte more than expected is asked for, so a file that grew after fstat is noticed.
  crypto::SecretBytes out(max_bytes + 1);
  size_t got = 0;
  for (;;) {
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read", path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
    if (got > max_bytes) {
      return InvalidArgumentError(path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  out.resize(got);
  return out;
}

StatusOr<TestCredentials> LoadOrCreateTlsCredentials(const std::string& dir,
                                                     const std::vector<std::string>& host_names) {
  const bool have_cert = FileExists(dir, "tls-cert.pem");
  const bool have_key = FileExists(dir, "tls-key.pem");
  TestCredentials creds;
  if (have_cert != have_key) {
    return FailedPreconditionError("state folder " + dir + " has " + (have_cert ? "tls-cert.pem" : "tls-key.pem") +
                                   " without " + (have_cert ? "tls-key.pem" : "tls-cert.pem") +
                                   "; remove it to generate both");
  }
  if (!have_cert) {
    CredentialOptions options;
    options.valid_days = 3650;
    for (const std::string& name : host_names) {
      if (name.empty()) continue;
      (IsIpv4(name) ? options.ip_addresses : options.dns_names).push_back(name);
    }
    TACET_ASSIGN_OR_RETURN(creds, GenerateTestCredentials(options));
    // The key first: a crash between the two leaves a key without a certificate, refused above
    // with a message saying what to do, rather than a certificate whose key is lost.
    TACET_RETURN_IF_ERROR(WriteFileAtomically(
        dir, "tls-key.pem", ByteView(reinterpret_cast<const uint8_t*>(creds.key_pem.data()), creds.key_pem.size()),
        0600));
    TACET_RETURN_IF_ERROR(WriteFileAtomically(
        dir, "tls-cert.pem",
        ByteView(reinterpret_cast<const uint8_t*>(creds.cert_pem.data()), creds.cert_pem.size()), 0644));
  } else {
    TACET_ASSIGN_OR_RETURN(crypto::SecretBytes key, ReadSmallFile(dir, "tls-key.pem", 16 << 10, true));
    TACET_ASSIGN_OR_RETURN(crypto::SecretBytes cert, ReadSmallFile(dir, "tls-cert.pem", 64 << 10, false));
    creds.key_pem.assign(reinterpret_cast<const char*>(key.data()), key.size());
    creds.cert_pem.assign(reinterpret_cast<const char*>(cert.data()), cert.size());
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    const int rc = mbedtls_x509_crt_parse(&crt, reinterpret_cast<const unsigned char*>(creds.cert_pem.c_str()),
                                          creds.cert_pem.size() + 1);
    if (rc != 0) {
      mbedtls_x509_crt_free(&crt);
      return InvalidArgumentError(Join(dir, "tls-cert.pem") + " is not a PEM certificate: " +
                                  platform::MbedTlsError(rc));
    }
    creds.cert_der.assign(crt.raw.p, crt.raw.p + crt.raw.len);
    creds.spki_sha256 = platform::SpkiSha256(crt);
    mbedtls_x509_crt_free(&crt);
  }
  const std::string pin = HexEncode(creds.spki_sha256) + "\n";
  TACET_RETURN_IF_ERROR(WriteFileAtomically(
      dir, "tls-spki.sha256", ByteView(reinterpret_cast<const uint8_t*>(pin.data()), pin.size()), 0644));
  return creds;
}

Status WritePortFile(const std::string& dir, uint16_t port) {
  const std::string text = std::to_string(port) + "\n";
  return WriteFileAtomically(dir, "port", ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
                             0644);
}

}  // namespace tacet::net
