// Pieces shared by the posix HTTPS transport and the loopback HTTPS server of examples/net: a TCP
// socket bound by a deadline as mbedTLS's I/O (BIO), TCP connect with a deadline, the SHA-256 of
// a certificate's SubjectPublicKeyInfo, and mbedTLS error text.
#ifndef TACET_PLATFORM_POSIX_TLS_SOCKET_H_
#define TACET_PLATFORM_POSIX_TLS_SOCKET_H_

#include <mbedtls/x509_crt.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace tacet::platform {

using SteadyTime = std::chrono::steady_clock::time_point;

// Milliseconds from now until `deadline`, at least 0 and at most INT32_MAX.
int MillisUntil(SteadyTime deadline);

// A connected TCP socket used as mbedTLS's BIO: every send and receive waits at most until
// `deadline` (move it forward between phases). Not owned: the caller closes `fd`.
struct SocketBio {
  int fd = -1;
  SteadyTime deadline;
  // Set by the callbacks: the last failure was the deadline (not a reset or an error).
  bool timed_out = false;
};
// mbedtls_ssl_send_t / mbedtls_ssl_recv_timeout_t over a SocketBio (pass the SocketBio* as ctx).
// Send returns MBEDTLS_ERR_NET_SEND_FAILED / MBEDTLS_ERR_NET_CONN_RESET / MBEDTLS_ERR_SSL_TIMEOUT;
// receive returns 0 at end of stream, MBEDTLS_ERR_SSL_TIMEOUT at the deadline (its timeout_ms
// argument is ignored: the deadline rules), MBEDTLS_ERR_NET_CONN_RESET or _RECV_FAILED.
int SocketBioSend(void* ctx, const unsigned char* buf, size_t len);
int SocketBioRecv(void* ctx, unsigned char* buf, size_t len, uint32_t timeout_ms);

// Opens a TCP connection to host:port (name resolution, then each address in turn) before
// `deadline`. Returns the connected, blocking-mode-off file descriptor (close it), or
// kUnavailable naming the cause ("connection refused", "connect timed out", "cannot resolve").
StatusOr<int> ConnectTcp(const std::string& host, uint16_t port, SteadyTime deadline);

// SHA-256 of the DER SubjectPublicKeyInfo of `crt` (the value HTTP public key pinning and
// `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum` use).
std::array<uint8_t, 32> SpkiSha256(const mbedtls_x509_crt& crt);

// "SSL - The connection indicated an EOF (-0x7280)": mbedTLS's description of `code`.
std::string MbedTlsError(int code);

}  // namespace tacet::platform

#endif  // TACET_PLATFORM_POSIX_TLS_SOCKET_H_
