#include "tcp_recorder.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace tacet::e2e {
namespace {

Status Errno(const std::string& what) {
  return UnavailableError("tcp recorder: " + what + ": " + std::strerror(errno));
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Writes all of `data`; false when the peer is gone.
bool WriteAll(int fd, const uint8_t* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<TcpRecorder>> TcpRecorder::Start(uint16_t upstream_port) {
  std::unique_ptr<TcpRecorder> r(new TcpRecorder(upstream_port));
  r->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (r->listen_fd_ < 0) return Errno("socket");
  sockaddr_in a = Loopback(0);
  if (::bind(r->listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return Errno("bind");
  if (::listen(r->listen_fd_, 64) != 0) return Errno("listen");
  socklen_t len = sizeof(a);
  if (::getsockname(r->listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) return Errno("getsockname");
  r->port_ = ntohs(a.sin_port);
  if (::pipe2(r->wake_pipe_, O_CLOEXEC) != 0) return Errno("pipe");
  TcpRecorder* self = r.get();
  r->acceptor_ = std::thread([self] { self->AcceptLoop(); });
  return r;
}

TcpRecorder::~TcpRecorder() {
  Stop();
  for (int fd : {listen_fd_, wake_pipe_[0], wake_pipe_[1]}) {
    if (fd >= 0) ::close(fd);
  }
}

void TcpRecorder::Stop() {
  if (stopping_.exchange(true)) return;
  if (wake_pipe_[1] >= 0) {
    const uint8_t b = 1;
    (void)!::write(wake_pipe_[1], &b, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::list<Link> links;
  {
    std::lock_guard<std::mutex> lock(mu_);
    links.swap(links_);
  }
  for (Link& l : links) {
    if (l.thread.joinable()) l.thread.join();
  }
}

void TcpRecorder::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    const int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    ++connections_;
    links_.emplace_back();
    links_.back().client_fd = fd;
    links_.back().thread = std::thread([this, fd] { Pump(fd); });
  }
}

void TcpRecorder::Pump(int client_fd) {
  const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(upstream_port_);
  if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    if (upstream >= 0) ::close(upstream);
    ::close(client_fd);
    return;
  }
  uint8_t buf[16 << 10];
  bool open = true;
  while (open && !stopping_.load()) {
    pollfd fds[3] = {{client_fd, POLLIN, 0}, {upstream, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    const int n = ::poll(fds, 3, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[2].revents & POLLIN) != 0) break;
    for (int i = 0; i < 2 && open; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t got = ::recv(fds[i].fd, buf, sizeof(buf), 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        open = false;
        break;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        Bytes& record = i == 0 ? up_ : down_;
        record.insert(record.end(), buf, buf + got);
      }
      if (!WriteAll(i == 0 ? upstream : client_fd, buf, static_cast<size_t>(got))) open = false;
    }
  }
  ::close(upstream);
  ::close(client_fd);
}

Bytes TcpRecorder::client_to_upstream() const {
  std::lock_guard<std::mutex> lock(mu_);
  return up_;
}

Bytes TcpRecorder::upstream_to_client() const {
  std::lock_guard<std::mutex> lock(mu_);
  return down_;
}

int TcpRecorder::connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}

}  // namespace tacet::e2e
