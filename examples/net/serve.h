// The end of tacet-collector's and tacet-relay's main: serve on loopback until SIGTERM or SIGINT.
//
//   int main() {
//     const tacet::net::StopSignals stop = tacet::net::BlockStopSignals();  // before any thread
//     ...open what the handler needs...
//     return tacet::net::ServeUntilSignal(stop, "tacet-relay", state_dir, std::move(options),
//                                         handler, "forwarding to " + url);
//   }
#ifndef TACET_EXAMPLES_NET_SERVE_H_
#define TACET_EXAMPLES_NET_SERVE_H_

#include <signal.h>

#include <functional>
#include <string>
#include <string_view>

#include "https_server.h"

namespace tacet::net {

// The signals that stop a server, blocked so that only ServeUntilSignal's sigwait takes them.
struct StopSignals {
  sigset_t set;
};

// Blocks SIGTERM and SIGINT in the calling thread and ignores SIGPIPE (a client that goes away
// must not kill the server). Call it first in main, before any thread starts: threads inherit the
// mask, so none of them is chosen to run the default action of a stop signal.
StopSignals BlockStopSignals();

// One line per call, "<program>: <line>", on stderr, whole lines from any thread.
std::function<void(std::string_view line)> StderrLog(std::string program);

// Starts an HttpsServer on 127.0.0.1 with `options` and `handler`, writes `state_dir`/port (the
// sign that the server is ready), says "<program>: listening on 127.0.0.1:PORT, <note>", waits for
// one of `stop`'s signals, then stops the server (no handler runs after this returns) and says
// "<program>: stopped (signal N)". Returns the process's exit code: 0 after a stop signal, 1 when
// it could not serve (the reason on stderr).
int ServeUntilSignal(const StopSignals& stop, const std::string& program, const std::string& state_dir,
                     HttpsServerOptions options, HttpHandler handler, const std::string& note);

}  // namespace tacet::net

#endif  // TACET_EXAMPLES_NET_SERVE_H_
