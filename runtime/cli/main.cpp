// The tessera command: parses the command line, runs one subcommand, maps errors to exit codes.

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <variant>
#include <vector>

#include "cli/command.hpp"
#include "cli/command_line.hpp"
#include "cli/error_line.hpp"
#include "cli/exit_code.hpp"
#include "cli/held_stderr.hpp"
#include "cli/log.hpp"
#include "common/cache_home.hpp"
#include "tessera/error.hpp"

namespace {

int report_failure(const tessera::Error& e) {
  const auto* build = dynamic_cast<const tessera::BuildError*>(&e);
  const std::string line = tessera::cli::error_line(e);
  if (line != e.what()) {
    fmt::print(stderr, "error: {}\n{}\n", line, e.what());
  } else {
    fmt::print(stderr, "error: {}\n", e.what());
  }
  if (build != nullptr) {
    for (const auto& entry : build->logs()) {
      fmt::print(stderr, "--- build log, {} ---\n{}\n", entry.device, entry.log);
    }
  }
  tessera::cli::print_held_stderr();
  return tessera::cli::exit_code_for(e.code());
}

// An XDG_CACHE_HOME that cannot hold caches is ignored, with a warning, as the XDG rule ignores an
// invalid one: caches go under $HOME/.cache instead, Tessera's and the OpenCL drivers' (PoCL
// finds no device without its own). Called before any thread starts.
void ignore_unusable_cache_home() {
  const auto home = tessera::detail::cache_home();
  if (!home || home->variable != "XDG_CACHE_HOME") return;
  if (const auto why = tessera::detail::cache_home_problem()) {
    tessera::cli::warn("{}; ignored: caches go under $HOME/.cache", *why);
    ::unsetenv("XDG_CACHE_HOME");
  }
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
  int operator()(const tessera::cli::WorkerCommandOptions& o) const { return tessera::cli::worker_command(o); }
  int operator()(const tessera::cli::SubmitOptions& o) const { return tessera::cli::submit_command(o); }
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
    ignore_unusable_cache_home();
    return std::visit(Execute{}, command);
  } catch (const tessera::Error& e) {
    return report_failure(e);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "error: out of host memory\n");
    print_held_stderr();
    return exit_runtime_failure;
  } catch (const std::exception& e) {
    // Every failure the command knows of is a tessera::Error: this is a bug.
    fmt::print(stderr, "error: internal error, please report it: {}\n", e.what());
    print_held_stderr();
    return exit_runtime_failure;
  }
}
