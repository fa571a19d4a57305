#pragma once
// The tessera command's subcommands: what each takes (filled by the command line parser,
// cli/command_line.cpp, the only source that sees CLI11) and what each does. Each returns the
// exit code; errors are thrown to main's single handler.

#include <string>
#include <vector>

#include "tessera/jobs.hpp"
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

/// tessera validate JOB.toml... [--set NAME=INT]... [--quiet] [device options]
struct ValidateOptions {
  RuntimeOptions runtime;
  std::vector<std::string> jobs;
  Job::Params sets;  ///< --set NAME=INT; of several for one NAME, the last
  bool quiet = false;
};
int validate_command(const ValidateOptions& options);

/// tessera run JOB.toml...: validate's options, and [--scheduler S] [--dry-run] [--verify]
/// [--report F.json]
struct RunOptions : ValidateOptions {
  std::string scheduler;  ///< one of detail::scheduler_names(); empty: each job's own
  std::string report;
  std::string trace;     ///< --trace F.json (Chrome Trace Event JSON)
  std::string timeline;  ///< --timeline F.svg
  bool dry_run = false;
  bool check = false;
  bool verify = false;
};
int run_command(const RunOptions& options);

/// Prints the runtime's warnings through the log.
void report_warnings(const Runtime& runtime);

}  // namespace tessera::cli
