#include "policy/policy_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "policy/policy.h"

namespace tacet::policy {
namespace {

constexpr char kMagic[4] = {'T', 'P', 'S', 'T'};
constexpr uint8_t kFormat = 1;
constexpr uint8_t kNoticeRequiredFlag = 0x01;
constexpr size_t kHeaderSize = 4 + 1 + 1 + 2 + 4;
// A DER ECDSA P-256 signature is at most 72 bytes; leave room, refuse absurd lengths.
constexpr size_t kMaxSignatureSize = 256;

uint32_t ReadBe(const uint8_t* p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

Status ErrnoError(const std::string& what, const std::string& path) {
  return UnavailableError(what + " '" + path + "' failed: " + std::strerror(errno));
}

Status WriteAll(int fd, ByteView bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("writing", path);
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

}  // namespace

Bytes EncodePolicyState(const PolicyState& state) {
  Bytes out(kMagic, kMagic + sizeof(kMagic));
  out.push_back(kFormat);
  out.push_back(state.notice_required ? kNoticeRequiredFlag : 0);
  AppendU16Be(out, static_cast<uint16_t>(state.signature.size()));
  AppendU32Be(out, static_cast<uint32_t>(state.policy.size()));
  Append(out, state.signature);
  Append(out, state.policy);
  return out;
}

StatusOr<PolicyState> DecodePolicyState(ByteView bytes) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return DataLossError("not a policy state file (no 'TPST' header)");
  }
  if (bytes[4] != kFormat) {
    return DataLossError("policy state format " + std::to_string(bytes[4]) + " is not supported");
  }
  if ((bytes[5] & ~kNoticeRequiredFlag) != 0) {
    return DataLossError("policy state has unknown flags " + std::to_string(bytes[5]));
  }
  const size_t signature_size = ReadBe(bytes.data() + 6, 2);
  const size_t policy_size = ReadBe(bytes.data() + 8, 4);
  if (signature_size == 0 || signature_size > kMaxSignatureSize || policy_size == 0 ||
      policy_size > kMaxPolicyBytes ||
      bytes.size() != kHeaderSize + signature_size + policy_size) {
    return DataLossError("policy state is truncated or inconsistent: " +
                         std::to_string(bytes.size()) + " bytes for a " +
                         std::to_string(signature_size) + "-byte signature and a " +
                         std::to_string(policy_size) + "-byte policy");
  }
  PolicyState state;
  state.notice_required = (bytes[5] & kNoticeRequiredFlag) != 0;
  state.signature = bytes.subview(kHeaderSize, signature_size).ToBytes();
  state.policy = bytes.subview(kHeaderSize + signature_size).ToBytes();
  return state;
}

Status WriteFileAtomically(const std::string& path, ByteView bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError("creating", tmp);
  Status written = WriteAll(fd, bytes, tmp);
  if (written.ok() && ::fsync(fd) != 0) written = ErrnoError("fsync of", tmp);
  if (::close(fd) != 0 && written.ok()) written = ErrnoError("closing", tmp);
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status renamed = ErrnoError("renaming " + tmp + " to", path);
    ::unlink(tmp.c_str());
    return renamed;
  }
  // Make the rename itself durable.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoError("opening directory", dir);
  const int synced = ::fsync(dir_fd);
  ::close(dir_fd);
  if (synced != 0) return ErrnoError("fsync of directory", dir);
  return OkStatus();
}

}  // namespace tacet::policy
