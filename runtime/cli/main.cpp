// The tessera command: parses the command line, runs one subcommand, maps errors to exit codes.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <sstream>
#include <string>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"
#include "cli/log.hpp"
#include "tessera/error.hpp"
#include "tessera/version.hpp"

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

bool has_subcommand(const CLI::App& app, const std::string& name) {
  try {
    return app.get_subcommand(name) != nullptr;
  } catch (const CLI::OptionNotFound&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tessera::cli;
  CLI::App app{"Tessera: one OpenCL kernel launch across every device of the machine", "tessera"};
  app.set_version_flag("--version", fmt::format("tessera {}", tessera::version_string));
  app.require_subcommand(1);
  app.fallthrough(false);

  Action action;
  add_devices_command(app, action);
  add_build_command(app, action);
  add_run_command(app, action);
  add_validate_command(app, action);

  if (argc > 1 && argv[1][0] != '-' && !has_subcommand(app, argv[1])) {
    fmt::print(stderr, "error: unknown command '{}'\nRun 'tessera --help' for usage.\n", argv[1]);
    return exit_invalid_input;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\nRun 'tessera --help' for usage.\n", e.what());
    return exit_invalid_input;
  }

  try {
    init_log_from_environment();
    return action ? action() : static_cast<int>(exit_invalid_input);
  } catch (const tessera::Error& e) {
    return report_failure(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return exit_runtime_failure;
  }
}
