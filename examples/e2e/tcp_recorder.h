// TcpRecorder: a loopback TCP proxy for tests that records every byte it forwards, both ways.
// It listens on 127.0.0.1 (an ephemeral port), and for each connection it accepts opens one to
// 127.0.0.1:upstream_port and copies bytes between the two until either side closes, appending
// what went each way to a per-direction record (all connections concatenated in arrival order of
// their chunks). It reads nothing: TLS passes through untouched, so what it records is exactly what
// a listener on the loopback interface would see.
//
// Threads: an acceptor thread and one thread per connection; the accessors are thread-safe.
// Stop() (or the destructor) closes the listener and every connection and joins the threads.
// Test-only helper; posix.
#ifndef TACET_EXAMPLES_E2E_TCP_RECORDER_H_
#define TACET_EXAMPLES_E2E_TCP_RECORDER_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::e2e {

class TcpRecorder {
 public:
  // kUnavailable naming errno when the listener cannot be set up.
  static StatusOr<std::unique_ptr<TcpRecorder>> Start(uint16_t upstream_port);
  ~TcpRecorder();
  TcpRecorder(const TcpRecorder&) = delete;
  TcpRecorder& operator=(const TcpRecorder&) = delete;

  uint16_t port() const { return port_; }
  // Everything clients sent (towards upstream) and everything upstream answered, so far.
  Bytes client_to_upstream() const;
  Bytes upstream_to_client() const;
  // Connections accepted so far.
  int connections() const;
  void Stop();

 private:
  struct Link {
    std::thread thread;
    int client_fd = -1;
  };
  explicit TcpRecorder(uint16_t upstream_port) : upstream_port_(upstream_port) {}
  void AcceptLoop();
  void Pump(int client_fd);

  const uint16_t upstream_port_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  mutable std::mutex mu_;
  std::list<Link> links_;  // guarded by mu_
  Bytes up_;               // guarded by mu_
  Bytes down_;             // guarded by mu_
  int connections_ = 0;    // guarded by mu_
};

}  // namespace tacet::e2e

#endif  // TACET_EXAMPLES_E2E_TCP_RECORDER_H_
