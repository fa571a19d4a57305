// The command line, declared once for every subcommand: the only source that includes CLI11.

#include "cli/command_line.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "job/schedule_from_job.hpp"
#include "tessera/version.hpp"

namespace tessera::cli {
namespace {

// A count written in decimal digits, leading zeros dropped before CLI11 reads it: it reads
// integers as C does ("010" would be 8, "0x10" 16).
const CLI::Validator decimal_count(
    [](std::string& text) {
      const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) return fmt::format("'{}' is not a count in decimal digits", text);
      text.erase(0, std::min(text.find_first_not_of('0'), text.size() - 1));
      return std::string();
    },
    "");

void add_device_options(CLI::App& command, RuntimeOptions& options) {
  command.add_option("--devices", options.devices,
                     "Device selector: all, cpu, gpu, accelerator, INDEX, platform=TEXT, "
                     "name=TEXT, comma-separated; '-' excludes (default: $TESSERA_DEVICES or all)")
      ->type_name("SEL");
  command.add_option("--cpu-split", options.cpu_split,
                     "Split CPU devices into sub-devices of N compute units (device fission)")
      ->type_name("N")
      ->transform(decimal_count)
      ->check(CLI::Range(1u, 4096u));
}

// A --set value, NAME=INTEGER (decimal, a 64-bit signed integer like every param), as the pair
// it stands for; throws CLI::ValidationError saying what is wrong with it.
std::pair<std::string, std::int64_t> param_override(const std::string& set) {
  const auto fail = [&set](const std::string& why) {
    throw CLI::ValidationError(fmt::format("--set '{}': {}", set, why));
  };
  const auto eq = set.find('=');
  if (eq == 0 || eq == std::string::npos) fail("expected NAME=INTEGER, for example n=4096");
  std::int64_t value = 0;
  const char* first = set.data() + eq + 1;
  const char* last = set.data() + set.size();
  const auto [end, error] = std::from_chars(first, last, value);
  if (first != last && end == last && error == std::errc::result_out_of_range) {
    fail(fmt::format("{} is out of range: a param is a 64-bit signed integer, from {} to {}", std::string(first, last),
                     std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()));
  }
  if (first == last || error != std::errc() || end != last) fail("expected NAME=INTEGER, for example n=4096");
  return {set.substr(0, eq), value};
}

// Adds subcommand `name`, whose options `declare` binds to `options`; when the parse selects
// it, those options are what the command line asks for.
template <typename Options, typename Declare>
void add_command(CLI::App& app, std::optional<CommandLine>& parsed, const char* name,
                 const char* description, Options& options, Declare declare, bool device_options = true) {
  CLI::App* sub = app.add_subcommand(name, description);
  declare(*sub, options);
  if (device_options) add_device_options(*sub, options.runtime);
  sub->callback([&parsed, &options] { parsed.emplace(std::in_place_type<Options>, options); });
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

// --set NAME=INT, into `sets`: one value per --set, so that job files after it stay job files.
void declare_sets(CLI::App& c, Job::Params& sets) {
  c.add_option_function<std::vector<std::string>>(
       "--set",
       [&sets](const std::vector<std::string>& values) {
         for (const std::string& set : values) {
           auto [name, value] = param_override(set);
           sets.insert_or_assign(std::move(name), value);
         }
       },
       "Override a [params] entry: --set n=4096")
      ->type_name("NAME=INT")
      ->allow_extra_args(false);
}

void declare_validate(CLI::App& c, ValidateOptions& o) {
  c.add_option("jobs", o.jobs, "Job files")->required()->type_name("JOB.toml");
  declare_sets(c, o.sets);
  c.add_flag("--quiet", o.quiet, "Print only errors");
}

void declare_broker(CLI::App& c, std::string& broker, std::string& queue) {
  c.add_option("--broker", broker, "The Celery broker: redis://[:PASSWORD@]HOST[:PORT][/DB]")
      ->required()
      ->type_name("URL");
  c.add_option("--queue", queue, "The queue (default: celery, Celery's default)")->type_name("Q");
}

void declare_worker(CLI::App& c, WorkerCommandOptions& o) {
  declare_broker(c, o.broker, o.queue);
  c.add_option("--concurrency", o.concurrency, "Jobs run at once, sharing the devices (default 1)")
      ->type_name("N")
      ->transform(decimal_count)
      ->check(CLI::Range(1u, 256u));
  c.add_option("--data-root", o.data_root, "The folder jobs given by path are read from (and write to)")
      ->type_name("DIR");
  c.add_option("--scratch", o.scratch, "Where each task's private folder is made (default: under $TMPDIR)")
      ->type_name("DIR");
  c.add_option("--visibility-timeout", o.visibility_timeout,
               "Seconds a task may stay unacknowledged before another worker gets it (default 3600, as kombu)")
      ->type_name("S")
      ->check(CLI::Range(0.1, 1e7));
  c.add_option("--max-retries", o.max_retries, "Attempts after a device failure (default 3)")
      ->type_name("N")
      ->transform(decimal_count)
      ->check(CLI::Range(0u, 1000u));
  c.add_option("--max-message-bytes", o.max_message_bytes, "Larger messages are refused (default 64 MiB)")
      ->type_name("N")
      ->transform(decimal_count)
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  c.add_option("--hostname", o.hostname, "The worker's name in events (default: tessera.PID@HOST)")->type_name("NAME");
}

void declare_submit(CLI::App& c, SubmitOptions& o) {
  c.add_option("job", o.job, "Job file")->required()->type_name("JOB.toml");
  declare_broker(c, o.broker, o.queue);
  declare_sets(c, o.sets);
  c.add_flag("--wait", o.wait, "Wait for the result and write the outputs");
  c.add_option("--timeout", o.timeout, "Seconds --wait waits at most (default: no limit)")
      ->type_name("S")
      ->check(CLI::Range(0.0, 1e7));
  c.add_flag("--quiet", o.quiet, "Print only the task id and errors");
}

void declare_run(CLI::App& c, RunOptions& o) {
  declare_validate(c, o);
  c.add_option("--scheduler", o.scheduler, "single, static, dynamic or hguided (overrides [job])")
      ->type_name("S")
      ->check(CLI::IsMember(detail::scheduler_names()))
      ->check(CLI::Validator(
          [](const std::string& name) {
            return name == "adaptive" ? std::string("the 'adaptive' scheduler is not available yet; use 'hguided'")
                                      : std::string();
          },
          ""));
  c.add_flag("--dry-run", o.dry_run, "Validate and print the plan; run nothing");
  c.add_flag("--check", o.check,
             "Run every chunk through device copies with guard values: exit 3 when a kernel writes outside its "
             "buffers' roles; under Oclgrind, exit 1 when it finds an invalid access");
  c.add_flag("--verify", o.verify, "Also run checked (--check) and on one device, and compare every output");
  c.add_option("--report", o.report, "Write a JSON report")->type_name("F.json");
  c.add_option("--trace", o.trace, "Write a trace of every command on every device (opens in Perfetto)")
      ->type_name("F.json");
  c.add_option("--timeline", o.timeline, "Draw every command on every device as an SVG Gantt chart")
      ->type_name("F.svg");
}

bool has_subcommand(const CLI::App& app, const std::string& name) {
  try {
    return app.get_subcommand(name) != nullptr;
  } catch (const CLI::OptionNotFound&) {
    return false;
  }
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args) {
  // Declared before the parser, which binds them, so that they outlive it.
  DevicesOptions devices;
  BuildOptions build;
  RunOptions run;
  ValidateOptions validate;
  WorkerCommandOptions worker;
  SubmitOptions submit;
  std::optional<CommandLine> parsed;

  CLI::App app{"Tessera: one OpenCL kernel launch across every device of the machine", "tessera"};
  app.set_version_flag("--version", fmt::format("tessera {}", version_string));
  app.require_subcommand(1);
  app.fallthrough(false);
  add_command(app, parsed, "devices",
              "List every OpenCL platform and device (or those a selector picks)", devices,
              declare_devices);
  add_command(app, parsed, "build",
              "Compile an OpenCL C file on each selected device and print the build logs", build,
              declare_build);
  add_command(app, parsed, "run", "Run TOML batch jobs across the selected devices", run,
              declare_run);
  add_command(
      app, parsed, "validate",
      "Check TOML job files and their kernels' signatures (builds the programs, runs nothing)",
      validate, declare_validate);
  add_command(app, parsed, "worker",
              "Serve tessera.run tasks from a Celery broker (Redis) on the selected devices", worker,
              declare_worker);
  add_command(app, parsed, "submit", "Send a job to tessera workers as a Celery task", submit, declare_submit,
              false);

  if (!args.empty() && !args[0].starts_with('-') && !has_subcommand(app, args[0])) {
    throw UsageError(fmt::format("unknown command '{}'", args[0]));
  }
  try {
    // CLI11 takes the arguments last first.
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
  } catch (const CLI::Success& e) {  // --help, --version
    std::ostringstream out;
    std::ostringstream err;
    app.exit(e, out, err);
    return Answer{out.str()};
  } catch (const CLI::ParseError& e) {
    throw UsageError(e.what());
  }
  // require_subcommand(1) makes CLI11 say so first.
  if (!parsed) throw UsageError("a command is required");
  return std::move(*parsed);
}

}  // namespace tessera::cli
