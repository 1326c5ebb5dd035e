// tacet-relay: a minimal Oblivious HTTP relay on loopback (docs/collector.md).
//
//   tacet-relay --state-dir DIR --gateway https://127.0.0.1:PORT/gateway --gateway-spki HEX [--port N]
//
// Serves until SIGTERM or SIGINT (exit 0). Exit 2 for a bad command line, 1 when it cannot start.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "https_server.h"
#include "relay.h"
#include "serve.h"
#include "state_dir.h"

namespace {

int Usage(const std::string& problem) {
  std::fprintf(stderr,
               "tacet-relay: %s\n"
               "usage: tacet-relay --state-dir DIR --gateway https://HOST:PORT/PATH --gateway-spki HEX [--port N]\n",
               problem.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string state_dir, spki_hex;
  tacet::relay::RelayOptions options;
  unsigned long port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) return Usage(std::string(arg) + " needs a value");
    if (arg == "--state-dir") {
      state_dir = value;
    } else if (arg == "--gateway") {
      options.gateway_url = value;
    } else if (arg == "--gateway-spki") {
      spki_hex = value;
    } else if (arg == "--port") {
      errno = 0;
      char* end = nullptr;
      port = std::strtoul(value, &end, 10);
      if (*value < '0' || *value > '9' || errno != 0 || *end != '\0' || port > 65535) {
        return Usage("--port needs a number from 0 to 65535");
      }
    } else {
      return Usage("unknown argument " + std::string(arg));
    }
    ++i;
  }
  if (state_dir.empty() || options.gateway_url.empty() || spki_hex.empty()) {
    return Usage("--state-dir, --gateway and --gateway-spki are required");
  }
  auto pin = tacet::relay::ParseSpkiHex(spki_hex);
  if (!pin.ok()) return Usage(pin.status().message());
  options.gateway_spki = *pin;

  // Before any thread starts (the relay's transport, the server's).
  const tacet::net::StopSignals stop = tacet::net::BlockStopSignals();
  options.log = tacet::net::StderrLog("tacet-relay");
  ::unlink((state_dir + "/port").c_str());
  const tacet::Status dir = tacet::net::EnsurePrivateDir(state_dir);
  if (!dir.ok()) {
    std::fprintf(stderr, "tacet-relay: %s\n", dir.ToString().c_str());
    return 1;
  }
  auto creds = tacet::net::LoadOrCreateTlsCredentials(state_dir, {});
  if (!creds.ok()) {
    std::fprintf(stderr, "tacet-relay: cannot use %s: %s\n", state_dir.c_str(), creds.status().ToString().c_str());
    return 1;
  }
  auto relay = tacet::relay::Relay::Create(options);
  if (!relay.ok()) return Usage(relay.status().message());

  tacet::net::HttpsServerOptions server_options;
  server_options.cert_pem = creds->cert_pem;
  server_options.key_pem = creds->key_pem;
  server_options.port = static_cast<uint16_t>(port);
  server_options.max_body_bytes = options.max_body_bytes;
  tacet::relay::Relay* r = relay->get();
  const int exit_code = tacet::net::ServeUntilSignal(
      stop, "tacet-relay", state_dir, std::move(server_options),
      [r](const tacet::net::HttpRequest& q) { return r->Handle(q); }, "forwarding to " + options.gateway_url);
  relay->reset();
  return exit_code;
}
