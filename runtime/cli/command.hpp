#pragma once
// The tessera command's subcommands: what each takes (filled by the command line parser,
// cli/command_line.cpp, the only source that sees CLI11) and what each does. Each returns the
// exit code; errors are thrown to main's single handler.

#include <cstddef>
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

/// tessera worker --broker URL [--queue Q] [--concurrency N] [--data-root DIR] [--scratch DIR]
/// [--visibility-timeout S] [--max-retries N] [--max-message-bytes N] [--hostname NAME]
/// [device options]
struct WorkerCommandOptions {
  RuntimeOptions runtime;
  std::string broker;
  std::string queue = "celery";
  unsigned concurrency = 1;
  std::string data_root;  ///< jobs given by path are read here; empty: none
  std::string scratch;    ///< task folders go here; empty: a folder of the worker's own in $TMPDIR
  double visibility_timeout = 3600;
  unsigned max_retries = 3;
  std::size_t max_message_bytes = std::size_t{64} << 20;
  std::string hostname;
};
int worker_command(const WorkerCommandOptions& options);

/// tessera submit JOB.toml --broker URL [--queue Q] [--set NAME=INT]... [--wait] [--timeout S]
/// [--quiet]
struct SubmitOptions {
  RuntimeOptions runtime;  ///< unused: the workers' devices run the job
  std::string job;
  std::string broker;
  std::string queue = "celery";
  Job::Params sets;
  bool wait = false;
  double timeout = 0;  ///< seconds --wait waits at most; 0: no limit
  bool quiet = false;
};
int submit_command(const SubmitOptions& options);

/// Prints the runtime's warnings through the log.
void report_warnings(const Runtime& runtime);

}  // namespace tessera::cli
