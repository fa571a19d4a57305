#pragma once
// The tessera command's command line (the contract's "Command line" table), parsed into one
// subcommand to run.

#include <functional>
#include <optional>

namespace tessera::cli {

struct CommandLine {
  /// The subcommand with its options, ready to run; empty when parsing ended the command.
  std::function<int()> action;
  /// The exit code when parsing ended the command: 0 after --help or --version, 2 after a usage
  /// error (already printed).
  std::optional<int> exit;
};

CommandLine parse_command_line(int argc, char** argv);

}  // namespace tessera::cli
