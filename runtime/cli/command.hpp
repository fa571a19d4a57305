#pragma once
// The tessera command's subcommands: what each takes (filled by the command line parser,
// cli/command_line.cpp, the only source that sees CLI11) and what each does. Each returns the
// exit code; errors are thrown to main's single handler.

#include <string>
#include <vector>

#include "tessera/runtime.hpp"

namespace tessera::cli {

/// tessera devices [--json] [--devices SEL] [--cpu-split N]
struct DevicesOptions {
  RuntimeOptions runtime;
  bool json = false;
};
int devices_command(const DevicesOptions& options);

/// tessera build FILE.cl|builtin:NAME [-D NAME[=VALUE]]... [--options S] [--json] [device options]
struct BuildOptions {
  RuntimeOptions runtime;
  std::string file;
  std::vector<std::string> defines;
  std::string compiler_options;
  bool json = false;
};
int build_command(const BuildOptions& options);

/// tessera run JOB.toml... and tessera validate JOB.toml... (validate reads the job settings only)
struct JobsOptions {
  RuntimeOptions runtime;
  std::vector<std::string> jobs;
  std::vector<std::string> sets;
  std::string scheduler;
  std::string report;
  bool dry_run = false;
  bool check = false;
  bool verify = false;
  bool quiet = false;
};
int run_command(const JobsOptions& options);
int validate_command(const JobsOptions& options);

/// Prints the runtime's warnings through the log.
void report_warnings(const Runtime& runtime);

}  // namespace tessera::cli
