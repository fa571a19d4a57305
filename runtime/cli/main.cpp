// The tessera command: parses the command line, runs one subcommand, maps errors to exit codes.

#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <sstream>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  using namespace tessera::cli;
  const CommandLine command = parse_command_line(argc, argv);
  if (command.exit) return *command.exit;
  try {
    init_log_from_environment();
    return command.action();
  } catch (const tessera::Error& e) {
    return report_failure(e);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "error: out of host memory\n");
    return exit_runtime_failure;
  } catch (const std::exception& e) {
    // Every failure the command knows of is a tessera::Error: this is a bug.
    fmt::print(stderr, "error: internal error, please report it: {}\n", e.what());
    return exit_runtime_failure;
  }
}
