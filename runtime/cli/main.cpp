// The tessera command: parses the command line, runs one subcommand, maps errors to exit codes.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "cli/command.hpp"
#include "cli/command_line.hpp"
#include "cli/exit_code.hpp"
#include "cli/log.hpp"
#include "tessera/error.hpp"

namespace {

// The first compiler diagnostic in `log` as "FILE:LINE:COL: MESSAGE", if there is one. Drivers
// write either "FILE:L:C: error: MESSAGE" (clang) or "error: FILE:L:C: MESSAGE" (PoCL).
std::optional<std::string> first_diagnostic(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("error: ", 0) == 0) return line.substr(7);
    if (const auto at = line.find(": error: "); at != std::string::npos) {
      return line.substr(0, at) + ": " + line.substr(at + 9);
    }
  }
  return std::nullopt;
}

int report_failure(const tessera::Error& e) {
  const auto* build = dynamic_cast<const tessera::BuildError*>(&e);
  const auto diagnostic = build != nullptr && !build->logs().empty()
                              ? first_diagnostic(build->logs().front().log)
                              : std::nullopt;
  if (diagnostic) {
    fmt::print(stderr, "error: {}\n{}\n", *diagnostic, e.what());
  } else {
    fmt::print(stderr, "error: {}\n", e.what());
  }
  if (build != nullptr) {
    for (const auto& entry : build->logs()) {
      fmt::print(stderr, "--- build log, {} ---\n{}\n", entry.device, entry.log);
    }
  }
  return tessera::cli::exit_code_for(e.code());
}

// Runs what the command line asks for; returns the exit code.
struct Execute {
  int operator()(const tessera::cli::Answer& answer) const {
    fmt::print("{}", answer.text);
    return tessera::cli::exit_ok;
  }
  int operator()(const tessera::cli::DevicesOptions& o) const {
    return tessera::cli::devices_command(o);
  }
  int operator()(const tessera::cli::BuildOptions& o) const {
    return tessera::cli::build_command(o);
  }
  int operator()(const tessera::cli::RunOptions& o) const { return tessera::cli::run_command(o); }
  int operator()(const tessera::cli::ValidateOptions& o) const {
    return tessera::cli::validate_command(o);
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace tessera::cli;
  CommandLine command;
  try {
    command = parse_command_line(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
  } catch (const UsageError& e) {
    fmt::print(stderr, "error: {}\nRun 'tessera --help' for usage.\n", e.what());
    return exit_invalid_input;
  }
  // --help and --version answer before the environment is read.
  if (const auto* answer = std::get_if<Answer>(&command)) return Execute{}(*answer);
  try {
    init_log_from_environment();
    return std::visit(Execute{}, command);
  } catch (const tessera::Error& e) {
    return report_failure(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return exit_runtime_failure;
  }
}
