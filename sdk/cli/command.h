// tacetctl's command table. Each top-level command ("policy", later "consent", "profile",
// "export", ...) lives in its own <name>_command.cc, defines a Command, and is listed once in
// kCommands (main.cc).
#ifndef TACET_CLI_COMMAND_H_
#define TACET_CLI_COMMAND_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace tacet::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the check failed / the operation was refused
inline constexpr int kExitUsage = 2;    // the command line was wrong

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `tacetctl help`
  std::string_view usage;    // the command's full usage text
  // args excludes "tacetctl" and the command name. Writes results to stdout, errors to stderr.
  int (*run)(const std::vector<std::string>& args);
};

extern const Command kPolicyCommand;
extern const Command kConsentCommand;

// Command-line helpers shared by the commands.
class Args {
 public:
  explicit Args(std::vector<std::string> args) : args_(std::move(args)) {}
  // Removes "--name" if present.
  bool TakeFlag(std::string_view name);
  // Removes "--name VALUE"; false with a message on stderr if the value is missing.
  bool TakeOption(std::string_view name, std::string* value);
  // The remaining arguments; any left starting with "--" is an unknown option.
  const std::vector<std::string>& rest() const { return args_; }
  // Prints "unknown option" for a leftover "--x" and returns false.
  bool NoUnknownOptions() const;

 private:
  std::vector<std::string> args_;
};

// Prints "tacetctl: <status>" to stderr and returns kExitFailure.
int Fail(const Status& status);
// Prints the usage to stderr and returns kExitUsage.
int UsageError(const Command& command, std::string_view problem);

StatusOr<Bytes> ReadFile(const std::string& path, size_t max_bytes);
// Writes with the given mode (0600 for private keys), replacing any existing file.
Status WriteFile(const std::string& path, ByteView bytes, unsigned mode = 0644);

}  // namespace tacet::cli

#endif  // TACET_CLI_COMMAND_H_
