// The tessera command: parses the command line, runs one subcommand, maps errors to exit codes.

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <sstream>
#include <string>

#include "cli/command_line.hpp"
#include "cli/exit_code.hpp"
#include "cli/held_stderr.hpp"
#include "cli/log.hpp"
#include "common/cache_home.hpp"
#include "tessera/error.hpp"

namespace {

// The first compiler error in `log` as "FILE:LINE:COL: MESSAGE", if there is one. Drivers write
// either "FILE:L:C: error: MESSAGE" (clang; "fatal error" when it stops at once) or
// "error: FILE:L:C: MESSAGE" (PoCL).
std::optional<std::string> first_diagnostic(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    for (const std::string kind : {"error: ", "fatal error: "}) {
      if (line.rfind(kind, 0) == 0) return line.substr(kind.size());
      if (const auto at = line.find(": " + kind); at != std::string::npos) {
        return line.substr(0, at) + ": " + line.substr(at + 2 + kind.size());
      }
    }
  }
  return std::nullopt;
}

// The first compiler error of any device's log.
std::optional<std::string> first_diagnostic(const tessera::BuildError& build) {
  for (const auto& entry : build.logs()) {
    if (auto diagnostic = first_diagnostic(entry.log)) return diagnostic;
  }
  return std::nullopt;
}

int report_failure(const tessera::Error& e) {
  const auto* build = dynamic_cast<const tessera::BuildError*>(&e);
  const auto diagnostic = build != nullptr ? first_diagnostic(*build) : std::nullopt;
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

}  // namespace

int main(int argc, char** argv) {
  using namespace tessera::cli;
  const CommandLine command = parse_command_line(argc, argv);
  if (command.exit) return *command.exit;
  try {
    init_log_from_environment();
    ignore_unusable_cache_home();
    return command.action();
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
