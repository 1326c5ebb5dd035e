#include "posix/tls_socket.h"

#include <fcntl.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace tacet::platform {

int MillisUntil(SteadyTime deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - std::chrono::steady_clock::now())
                        .count();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

namespace {

// Waits until `fd` is ready for `events` or the deadline passes. 1 ready, 0 deadline, -1 error.
int WaitFor(int fd, short events, SteadyTime deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, MillisUntil(deadline));
    if (n > 0) return 1;
    if (n == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

}  // namespace

int SocketBioSend(void* ctx, const unsigned char* buf, size_t len) {
  auto* bio = static_cast<SocketBio*>(ctx);
  for (;;) {
    const ssize_t n = send(bio->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int ready = WaitFor(bio->fd, POLLOUT, bio->deadline);
      if (ready > 0) continue;
      if (ready == 0) {
        bio->timed_out = true;
        return MBEDTLS_ERR_SSL_TIMEOUT;
      }
      return MBEDTLS_ERR_NET_SEND_FAILED;
    }
    if (errno == EPIPE || errno == ECONNRESET) return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_SEND_FAILED;
  }
}

int SocketBioRecv(void* ctx, unsigned char* buf, size_t len, uint32_t /*timeout_ms*/) {
  auto* bio = static_cast<SocketBio*>(ctx);
  for (;;) {
    const ssize_t n = recv(bio->fd, buf, len, 0);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      const int ready = WaitFor(bio->fd, POLLIN, bio->deadline);
      if (ready > 0) continue;
      if (ready == 0) {
        bio->timed_out = true;
        return MBEDTLS_ERR_SSL_TIMEOUT;
      }
      return MBEDTLS_ERR_NET_RECV_FAILED;
    }
    if (errno == ECONNRESET || errno == EPIPE) return MBEDTLS_ERR_NET_CONN_RESET;
    return MBEDTLS_ERR_NET_RECV_FAILED;
  }
}

StatusOr<int> ConnectTcp(const std::string& host, uint16_t port, SteadyTime deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* addrs = nullptr;
  const std::string service = std::to_string(port);
  const int gai = getaddrinfo(host.c_str(), service.c_str(), &hints, &addrs);
  if (gai != 0) {
    return UnavailableError("cannot resolve '" + host + "': " + gai_strerror(gai));
  }
  std::string last_error = "no address";
  int connected = -1;
  for (addrinfo* a = addrs; a != nullptr && connected < 0; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last_error = std::string("socket: ") + std::strerror(errno);
      continue;
    }
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      const int ready = WaitFor(fd, POLLOUT, deadline);
      if (ready == 0) {
        last_error = "connect timed out";
        close(fd);
        break;  // the deadline is shared by every address
      }
      int err = 0;
      socklen_t err_len = sizeof(err);
      if (ready < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) {
      // Requests and TLS flights are written whole: without this, Nagle's algorithm meets the
      // peer's delayed ACK and each exchange stalls for tens of milliseconds.
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      connected = fd;
    } else {
      last_error = errno == ECONNREFUSED ? std::string("connection refused")
                                         : std::string("connect: ") + std::strerror(errno);
      close(fd);
    }
  }
  freeaddrinfo(addrs);
  if (connected < 0) return UnavailableError(last_error + " (" + host + ":" + service + ")");
  return connected;
}

std::array<uint8_t, 32> SpkiSha256(const mbedtls_x509_crt& crt) {
  std::array<uint8_t, 32> digest{};
  // pk_raw is the DER SubjectPublicKeyInfo, as parsed from the certificate.
  if (mbedtls_sha256_ret(crt.pk_raw.p, crt.pk_raw.len, digest.data(), 0) != 0) digest.fill(0);
  return digest;
}

std::string MbedTlsError(int code) {
  char text[160];
  mbedtls_strerror(code, text, sizeof(text));
  char hex[16];
  std::snprintf(hex, sizeof(hex), "-0x%04x", static_cast<unsigned>(-code));
  return std::string(text) + " (" + hex + ")";
}

}  // namespace tacet::platform
