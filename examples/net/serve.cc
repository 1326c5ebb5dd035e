#include "serve.h"

#include <pthread.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <utility>

#include "state_dir.h"

namespace tacet::net {

StopSignals BlockStopSignals() {
  StopSignals stop;
  sigemptyset(&stop.set);
  sigaddset(&stop.set, SIGTERM);
  sigaddset(&stop.set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop.set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return stop;
}

std::function<void(std::string_view line)> StderrLog(std::string program) {
  auto mu = std::make_shared<std::mutex>();
  return [mu, program = std::move(program)](std::string_view line) {
    std::lock_guard<std::mutex> lock(*mu);
    std::fprintf(stderr, "%s: %.*s\n", program.c_str(), static_cast<int>(line.size()), line.data());
    std::fflush(stderr);
  };
}

int ServeUntilSignal(const StopSignals& stop, const std::string& program, const std::string& state_dir,
                     HttpsServerOptions options, HttpHandler handler, const std::string& note) {
  auto server = HttpsServer::Start(std::move(options), std::move(handler));
  if (!server.ok()) {
    std::fprintf(stderr, "%s: cannot serve: %s\n", program.c_str(), server.status().ToString().c_str());
    return 1;
  }
  const Status ready = WritePortFile(state_dir, (*server)->port());
  if (!ready.ok()) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), ready.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: listening on 127.0.0.1:%u, %s\n", program.c_str(),
               static_cast<unsigned>((*server)->port()), note.c_str());
  int signal_number = 0;
  while (sigwait(&stop.set, &signal_number) != 0) {
  }
  (*server)->Stop();
  server->reset();
  std::fprintf(stderr, "%s: stopped (signal %d)\n", program.c_str(), signal_number);
  return 0;
}

}  // namespace tacet::net
