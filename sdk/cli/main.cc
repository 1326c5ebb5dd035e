// tacetctl: Tacet's command-line tool. `tacetctl help` lists the commands.
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"

namespace tacet::cli {
namespace {

// One line per command; a new command adds its <name>_command.cc and a line here.
const Command* const kCommands[] = {
    &kPolicyCommand,
    &kConsentCommand,
};

int Help() {
  std::printf("usage: tacetctl COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command* command : kCommands) {
    std::printf("  %-10s %s\n", std::string(command->name).c_str(),
                std::string(command->summary).c_str());
  }
  std::printf("\n`tacetctl COMMAND --help` describes a command.\n");
  return kExitOk;
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    Help();
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") return Help();
  for (const Command* command : kCommands) {
    if (command->name != name) continue;
    std::vector<std::string> args(argv + 2, argv + argc);
    if (!args.empty() && (args[0] == "--help" || args[0] == "help")) {
      std::printf("%s", std::string(command->usage).c_str());
      return kExitOk;
    }
    return command->run(args);
  }
  std::fprintf(stderr, "tacetctl: unknown command '%s'\n\n", name.c_str());
  Help();
  return kExitUsage;
}

}  // namespace
}  // namespace tacet::cli

int main(int argc, char** argv) { return tacet::cli::Main(argc, argv); }
