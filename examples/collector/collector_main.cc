// tacet-collector: the reference Oblivious Gateway on loopback (docs/collector.md).
//
//   tacet-collector --state-dir DIR [--port N] [--host-name NAME] [--max-body BYTES]
//   tacet-collector --state-dir DIR --dump FILE
//
// Serves until SIGTERM or SIGINT (exit 0). Exit 2 for a bad command line, 1 when it cannot start.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "collector.h"
#include "https_server.h"
#include "serve.h"

namespace {

int Usage(const std::string& problem) {
  std::fprintf(stderr,
               "tacet-collector: %s\n"
               "usage: tacet-collector --state-dir DIR [--port N] [--host-name NAME] [--max-body BYTES]\n"
               "       tacet-collector --state-dir DIR --dump FILE\n",
               problem.c_str());
  return 2;
}

// A whole decimal number in [min, max], or false.
bool ParseNumber(const char* text, unsigned long long min, unsigned long long max, unsigned long long* out) {
  if (text == nullptr || *text < '0' || *text > '9') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max) return false;
  *out = value;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string state_dir, dump_path;
  tacet::collector::CollectorOptions options;
  unsigned long long port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) return Usage(std::string(arg) + " needs a value");
    unsigned long long number = 0;
    if (arg == "--state-dir") {
      state_dir = value;
    } else if (arg == "--dump") {
      dump_path = value;
    } else if (arg == "--host-name") {
      options.host_name = value;
    } else if (arg == "--port") {
      if (!ParseNumber(value, 0, 65535, &port)) return Usage("--port needs a number from 0 to 65535");
    } else if (arg == "--max-body") {
      if (!ParseNumber(value, 64, 1ull << 30, &number)) return Usage("--max-body needs a number from 64 to 2^30");
      options.max_body_bytes = static_cast<size_t>(number);
    } else {
      return Usage("unknown argument " + std::string(arg));
    }
    ++i;
  }
  if (state_dir.empty()) return Usage("--state-dir is required");

  // Before any thread starts (the collector's own, the server's).
  const tacet::net::StopSignals stop = tacet::net::BlockStopSignals();
  options.log = tacet::net::StderrLog("tacet-collector");
  const bool dumping = !dump_path.empty();
  if (!dumping) ::unlink((state_dir + "/port").c_str());  // a stale port file is not a ready server
  auto collector = tacet::collector::Collector::Open(state_dir, options);
  if (!collector.ok()) {
    std::fprintf(stderr, "tacet-collector: cannot open %s: %s\n", state_dir.c_str(),
                 collector.status().ToString().c_str());
    return 1;
  }
  if (dumping) {
    const tacet::Status dumped = (*collector)->Dump(dump_path);
    if (!dumped.ok()) {
      std::fprintf(stderr, "tacet-collector: %s\n", dumped.ToString().c_str());
      return 1;
    }
    return 0;
  }

  tacet::net::HttpsServerOptions server_options;
  server_options.cert_pem = (*collector)->tls().cert_pem;
  server_options.key_pem = (*collector)->tls().key_pem;
  server_options.port = static_cast<uint16_t>(port);
  server_options.max_body_bytes = options.max_body_bytes;
  tacet::collector::Collector* c = collector->get();
  const int exit_code = tacet::net::ServeUntilSignal(
      stop, "tacet-collector", state_dir, std::move(server_options),
      [c](const tacet::net::HttpRequest& r) { return c->Handle(r); }, "state in " + state_dir);
  collector->reset();  // wipes the gateway's private key and the TLS key
  return exit_code;
}
