// RawExchange: a deliberately careless client for testing servers: it writes whatever bytes it is
// given, as slowly as it is told, and reports what came back. With TLS it does NOT authenticate
// the server (test-only: it pokes at a server's robustness; it must never carry real data).
#ifndef TACET_EXAMPLES_NET_RAW_CLIENT_H_
#define TACET_EXAMPLES_NET_RAW_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tacet::net {

struct RawChunk {
  std::string bytes;
  int delay_ms_before = 0;
};

struct RawExchangeResult {
  bool connected = false;
  bool handshake_ok = false;  // with TLS
  std::string received;       // everything the server sent (decrypted with TLS)
  bool peer_closed = false;   // the server ended the connection before the read timeout
};

// Connects to 127.0.0.1:port; with `tls`, makes a TLS 1.2 handshake; writes the chunks in order,
// each after its delay (stopping at the first failed write); then reads until the server closes
// or `read_timeout_ms` passes.
RawExchangeResult RawExchange(uint16_t port, bool tls, const std::vector<RawChunk>& chunks, int read_timeout_ms);

}  // namespace tacet::net

#endif  // TACET_EXAMPLES_NET_RAW_CLIENT_H_
