#pragma once
// How subcommands plug into the tessera command.

#include <CLI/CLI.hpp>

#include <functional>

#include "tessera/runtime.hpp"

namespace tessera::cli {

/// What a parsed subcommand does; returns the exit code. Set by the subcommand's parse callback
/// and run by main() after parsing, so that errors leave through main's single handler.
using Action = std::function<int()>;

/// Adds --devices SEL and --cpu-split N, filling `options`.
void add_device_options(CLI::App& command, RuntimeOptions& options);

/// Prints the runtime's warnings through the log.
void report_warnings(const Runtime& runtime);

void add_devices_command(CLI::App& app, Action& action);
void add_build_command(CLI::App& app, Action& action);
void add_run_command(CLI::App& app, Action& action);
void add_validate_command(CLI::App& app, Action& action);

}  // namespace tessera::cli
