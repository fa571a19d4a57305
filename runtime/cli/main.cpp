// The tessera command: parses the command line, runs one subcommand, maps errors to exit codes.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>

#include "command.hpp"
#include "exit_code.hpp"
#include "log.hpp"
#include "tessera/error.hpp"
#include "tessera/version.hpp"

namespace {

int report_failure(const tessera::Error& e) {
  fmt::print(stderr, "error: {}\n", e.what());
  for (const auto& entry : [&]() -> std::vector<tessera::BuildError::DeviceLog> {
         if (const auto* b = dynamic_cast<const tessera::BuildError*>(&e)) return b->logs();
         return {};
       }()) {
    fmt::print(stderr, "--- build log, {} ---\n{}\n", entry.device, entry.log);
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
