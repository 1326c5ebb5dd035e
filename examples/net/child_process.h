// ChildProcess: starts a server binary (tacet-collector, tacet-relay) for a test, with its stderr
// going to a file the test reads, and waits for the port file the server writes when ready.
// Test-only helper; posix.
//
// Ownership: a ChildProcess owns its child: the destructor sends SIGKILL if it is still running
// and reaps it. Move-only; one thread at a time.
#ifndef TACET_EXAMPLES_NET_CHILD_PROCESS_H_
#define TACET_EXAMPLES_NET_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace tacet::net {

class ChildProcess {
 public:
  // fork + execv(argv[0], argv), stdin from /dev/null, stdout and stderr appended to
  // `output_path`. kUnavailable when fork fails; a program that cannot be executed exits 127.
  static StatusOr<ChildProcess> Start(const std::vector<std::string>& argv, const std::string& output_path);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Sends `signal`; false when the child is already reaped.
  bool Signal(int signal);
  // Waits at most timeout_ms for the child to end: its wait status (as waitpid gives it), or
  // nullopt when it is still running.
  std::optional<int> Wait(int timeout_ms);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// Reads dir/port once it exists and holds a whole line; kUnavailable after
// timeout_ms.
StatusOr<uint16_t> WaitForPortFile(const std::string& dir, int timeout_ms);

// The whole content of a text file ("" when it cannot be read).
std::string ReadTextFile(const std::string& path);

}  // namespace tacet::net

#endif  // TACET_EXAMPLES_NET_CHILD_PROCESS_H_
