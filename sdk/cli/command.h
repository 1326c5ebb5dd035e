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
// vault_command.cc
extern const Command kProfileCommand;
extern const Command kExportCommand;
extern const Command kReportCommand;
extern const Command kEraseCommand;
extern const Command kAuditCommand;

// Command-line helpers shared by the commands.
//
// Options are "--name VALUE" or "--name=VALUE" and may come before, between or after the
// positional arguments. A lone "--" ends the options: everything after it is positional, even
// when it starts with '-' ("--" itself is dropped). Before "--", an argument that starts with '-'
// is an option unless it is "-" or looks like a negative number ("-33.8688,151.2093", "-.5"), so
// such values need no "--".
class Args {
 public:
  explicit Args(std::vector<std::string> args);
  // Removes "--name" if present.
  bool TakeFlag(std::string_view name);
  // Removes "--name VALUE" or "--name=VALUE". False with a message on stderr naming the option
  // when the value is missing, when the separate VALUE starts with "--" (an option name, not a
  // value: write "--name=--VALUE" to mean it) or when the option is given more than once.
  bool TakeOption(std::string_view name, std::string* value);
  // The value of the first "--name VALUE" or "--name=VALUE" (before "--"), leaving it in place
  // and printing nothing; false when there is none.
  bool PeekOption(std::string_view name, std::string* value) const;
  // The remaining arguments in order, the options not taken yet included.
  const std::vector<std::string>& rest() const { return args_; }
  // Prints "unknown option" for a leftover option (before "--") and returns false.
  bool NoUnknownOptions() const;

 private:
  std::vector<std::string> args_;
  size_t options_end_ = 0;  // args_[options_end_...] came after "--": positional only
};

// True for an argument that looks like a negative number ("-1", "-33.8688,151.2093", "-.5"):
// a value, not an option.
bool IsNegativeNumber(std::string_view arg);

// Prints "tacetctl: <status>" to stderr and returns kExitFailure.
int Fail(const Status& status);
// Prints the usage to stderr and returns kExitUsage.
int UsageError(const Command& command, std::string_view problem);

StatusOr<Bytes> ReadFile(const std::string& path, size_t max_bytes);
// Writes `bytes` to a new file created with `mode` (0600 for private keys; reduced by the umask)
// and renamed over `path` only once complete (output_file.h): a failed write leaves an existing
// file as it was, and a symbolic link, directory or device at `path` is refused.
Status WriteFile(const std::string& path, ByteView bytes, unsigned mode = 0644);

}  // namespace tacet::cli

#endif  // TACET_CLI_COMMAND_H_
