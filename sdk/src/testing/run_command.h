// Runs a command line through the shell and captures what it printed, for tests that need a shell
// (a script around several processes, another tool such as python3). Tests that run tacetctl use
// tacetctl_fixture.h, which runs it without a shell.
#ifndef TACET_TESTING_RUN_COMMAND_H_
#define TACET_TESTING_RUN_COMMAND_H_

#include <string>
#include <string_view>

namespace tacet::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the program did not exit normally (signal) or could not start
  std::string output;  // stdout and stderr together, in the order written
};

// Runs `command_line` with /bin/sh (popen), stderr redirected into stdout, and waits for it.
// Fails the calling test (ADD_FAILURE) when the shell cannot be started. Arguments must already
// be quoted (ShellQuote). Blocks; safe to call from any test thread.
CommandResult RunCommand(const std::string& command_line);

// `text` as one single-quoted shell word ('it'\''s').
std::string ShellQuote(std::string_view text);

}  // namespace tacet::testing

#endif  // TACET_TESTING_RUN_COMMAND_H_
