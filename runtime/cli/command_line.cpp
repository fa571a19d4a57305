// The command line, declared once for every subcommand: the only source that includes CLI11.

#include "cli/command_line.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"
#include "job/schedule_from_job.hpp"
#include "tessera/version.hpp"

namespace tessera::cli {
namespace {

using Action = std::function<int()>;

void add_device_options(CLI::App& command, RuntimeOptions& options) {
  command.add_option("--devices", options.devices,
                     "Device selector: all, cpu, gpu, accelerator, INDEX, platform=TEXT, "
                     "name=TEXT, comma-separated; '-' excludes (default: $TESSERA_DEVICES or all)")
      ->type_name("SEL");
  command.add_option("--cpu-split", options.cpu_split,
                     "Split CPU devices into sub-devices of N compute units (device fission)")
      ->type_name("N")
      ->check(CLI::Range(1u, 4096u));
}

// Adds subcommand `name`, whose options `declare` adds to a fresh Options; once parsed, `action`
// runs `command` with them.
template <typename Options, typename Declare>
void add_command(CLI::App& app, Action& action, const char* name, const char* description,
                 int (*command)(const Options&), Declare declare) {
  auto options = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(name, description);
  declare(*sub, *options);
  add_device_options(*sub, options->runtime);
  sub->callback([options, command, &action] { action = [options, command] { return command(*options); }; });
}

void declare_devices(CLI::App& c, DevicesOptions& o) { c.add_flag("--json", o.json, "Print JSON instead of a table"); }

void declare_build(CLI::App& c, BuildOptions& o) {
  c.add_option("file", o.file, "Kernel file, or builtin:NAME for a builtin kernel")->required()->type_name("FILE.cl");
  c.add_option("-D", o.defines, "Define a macro: -D NAME=VALUE or -D NAME")
      ->type_name("NAME[=VALUE]")
      ->allow_extra_args(false);
  c.add_option("--options", o.compiler_options, "Compiler options")->type_name("S");
  c.add_flag("--json", o.json, "Print JSON instead of text");
}

void declare_jobs(CLI::App& c, JobsOptions& o) {
  c.add_option("jobs", o.jobs, "Job files")->required()->type_name("JOB.toml");
  c.add_option("--set", o.sets, "Override a [params] entry: --set n=4096")->type_name("NAME=INT");
  c.add_flag("--quiet", o.quiet, "Print only errors");
}

void declare_run(CLI::App& c, JobsOptions& o) {
  declare_jobs(c, o);
  c.add_option("--scheduler", o.scheduler, "single, static, dynamic or hguided (overrides [job])")
      ->type_name("S")
      ->check(CLI::IsMember(detail::scheduler_names()));
  c.add_flag("--dry-run", o.dry_run, "Validate and print the plan; run nothing");
  c.add_flag("--check", o.check,
             "Run every chunk through device copies with guard values: exit 3 when a kernel writes outside its "
             "buffers' roles; under Oclgrind, exit 1 when it finds an invalid access");
  c.add_flag("--verify", o.verify, "Also run checked (--check) and on one device, and compare every output");
  c.add_option("--report", o.report, "Write a JSON report")->type_name("F.json");
}

bool has_subcommand(const CLI::App& app, const std::string& name) {
  try {
    return app.get_subcommand(name) != nullptr;
  } catch (const CLI::OptionNotFound&) {
    return false;
  }
}

}  // namespace

CommandLine parse_command_line(int argc, char** argv) {
  CLI::App app{"Tessera: one OpenCL kernel launch across every device of the machine", "tessera"};
  app.set_version_flag("--version", fmt::format("tessera {}", version_string));
  app.require_subcommand(1);
  app.fallthrough(false);

  CommandLine out;
  add_command(app, out.action, "devices", "List every OpenCL platform and device (or those a selector picks)",
              devices_command, declare_devices);
  add_command(app, out.action, "build", "Compile an OpenCL C file on each selected device and print the build logs",
              build_command, declare_build);
  add_command(app, out.action, "run", "Run TOML batch jobs across the selected devices", run_command, declare_run);
  add_command(app, out.action, "validate",
              "Check TOML job files and their kernels' signatures (builds the programs, runs nothing)",
              validate_command, declare_jobs);

  if (argc > 1 && argv[1][0] != '-' && !has_subcommand(app, argv[1])) {
    fmt::print(stderr, "error: unknown command '{}'\nRun 'tessera --help' for usage.\n", argv[1]);
    out.exit = exit_invalid_input;
    return out;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    out.exit = app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "error: {}\nRun 'tessera --help' for usage.\n", e.what());
    out.exit = exit_invalid_input;
  }
  if (!out.exit && !out.action) out.exit = exit_invalid_input;
  return out;
}

}  // namespace tessera::cli
