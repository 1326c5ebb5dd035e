#include "raw_client.h"

#include <mbedtls/ssl.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "crypto/drbg.h"
#include "posix/posix_entropy.h"
#include "posix/tls_socket.h"

namespace tacet::net {

using Clock = std::chrono::steady_clock;

RawExchangeResult RawExchange(uint16_t port, bool tls, const std::vector<RawChunk>& chunks, int read_timeout_ms) {
  RawExchangeResult result;
  StatusOr<int> fd = platform::ConnectTcp("127.0.0.1", port, Clock::now() + std::chrono::seconds(5));
  if (!fd.ok()) return result;
  result.connected = true;
  platform::SocketBio bio{*fd, Clock::now() + std::chrono::seconds(5), false};

  platform::PosixEntropy entropy;
  StatusOr<std::unique_ptr<crypto::Drbg>> drbg = crypto::Drbg::Create(entropy, "tacet raw test client");
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config_init(&conf);
  mbedtls_ssl_init(&ssl);
  bool ok = drbg.ok();
  if (tls && ok) {
    ok = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                     MBEDTLS_SSL_PRESET_DEFAULT) == 0;
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);  // test-only, see the header
    mbedtls_ssl_conf_rng(&conf, crypto::Drbg::MbedtlsRandom, drbg->get());
    ok = ok && mbedtls_ssl_setup(&ssl, &conf) == 0;
    if (ok) {
      mbedtls_ssl_set_bio(&ssl, &bio, platform::SocketBioSend, nullptr, platform::SocketBioRecv);
      int rc;
      do {
        rc = mbedtls_ssl_handshake(&ssl);
      } while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
      ok = rc == 0;
      result.handshake_ok = ok;
    }
  }
  if (ok || !tls) {
    for (const RawChunk& chunk : chunks) {
      if (chunk.delay_ms_before > 0) std::this_thread::sleep_for(std::chrono::milliseconds(chunk.delay_ms_before));
      bio.deadline = Clock::now() + std::chrono::seconds(5);
      const auto* data = reinterpret_cast<const unsigned char*>(chunk.bytes.data());
      size_t done = 0;
      while (done < chunk.bytes.size()) {
        const int n = tls ? mbedtls_ssl_write(&ssl, data + done, chunk.bytes.size() - done)
                          : platform::SocketBioSend(&bio, data + done, chunk.bytes.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
      }
      if (done < chunk.bytes.size()) break;
    }
    bio.deadline = Clock::now() + std::chrono::milliseconds(read_timeout_ms);
    unsigned char buf[4096];
    for (;;) {
      const int n = tls ? mbedtls_ssl_read(&ssl, buf, sizeof(buf)) : platform::SocketBioRecv(&bio, buf, sizeof(buf), 0);
      if (n > 0) {
        result.received.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
        continue;
      }
      result.peer_closed = !bio.timed_out;
      break;
    }
  }
  mbedtls_ssl_free(&ssl);
  mbedtls_ssl_config_free(&conf);
  close(*fd);
  return result;
}

}  // namespace tacet::net
