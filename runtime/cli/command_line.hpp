#pragma once
// The tessera command's command line (the contract's "Command line" table), parsed into what it
// asks for: one subcommand with its options, or a text to print (--help, --version). Parsing
// reads its arguments alone: it prints nothing and touches no device and no file.

#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "cli/command.hpp"

namespace tessera::cli {

/// A command line that does not follow the usage (exit 2). what() is one line, without the
/// leading "error: ".
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// --help or --version: the text to print on stdout, after which the command exits 0.
struct Answer {
  std::string text;
};

using CommandLine = std::variant<Answer, DevicesOptions, BuildOptions, RunOptions, ValidateOptions, WorkerCommandOptions,
                                 SubmitOptions>;

/// Parses `args`, the arguments after the program's name. Throws UsageError, and nothing else
/// but std::bad_alloc.
CommandLine parse_command_line(const std::vector<std::string>& args);

}  // namespace tessera::cli
