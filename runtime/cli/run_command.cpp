// tessera run JOB.toml... [--devices SEL] [--cpu-split N] [--scheduler S] [--set k=v]...
//                         [--dry-run] [--check] [--verify] [--report F.json] [--quiet]
// tessera validate JOB.toml... [--set k=v]...

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"
#include "cli/held_stderr.hpp"
#include "cli/job_summary.hpp"
#include "cli/progress.hpp"
#include "common/atomic_file.hpp"
#include "job/interrupter.hpp"
#include "job/job_loader.hpp"
#include "job/job_runner.hpp"
#include "job/step_walk.hpp"
#include "cli/log.hpp"
#include "cli/oclgrind_log.hpp"
#include "job/write_findings.hpp"
#include "tessera/error.hpp"

namespace tessera::cli {
namespace {

using detail::JobSpec;

// The scheduler --scheduler names instead of the jobs' own, if any.
std::optional<std::string> scheduler_of(const RunOptions& options) {
  return options.scheduler.empty() ? std::nullopt : std::optional(options.scheduler);
}

// Every job, validated before any runs. Throws JobError.
std::vector<JobSpec> load_all(const ValidateOptions& options) {
  std::vector<JobSpec> specs;
  for (const std::string& file : options.jobs)
    specs.push_back(detail::load_job_spec(file, options.sets));
  return specs;
}

// The file --report replaces, checked before anything runs: a file (not a folder) whose folder is
// there or can be made, and none of the jobs' outputs. Throws Error(invalid_argument).
std::filesystem::path report_target(std::string_view flag, const std::string& report, const std::vector<JobSpec>& specs) {
  namespace fs = std::filesystem;
  const auto refuse = [&](const std::string& why) {
    throw Error(Errc::invalid_argument, fmt::format("{} {}: {}", flag, report, why));
  };
  fs::path target;
  try {
    target = detail::replaced_file(report);
  } catch (const std::system_error&) {
    refuse("a loop of symbolic links");
  }
  if (const auto why = detail::cannot_write(target)) refuse(*why);
  for (const JobSpec& job : specs) {
    for (const auto& b : job.buffers) {
      if (b.output && b.output->target == target) {
        refuse(fmt::format("{} is the output of buffer '{}' of {}", target.string(), b.name, job.file));
      }
    }
  }
  return target;
}

// SIGINT and SIGTERM turn into an interrupt request on a watcher thread (both signals are blocked
// in every other thread, which inherit the mask from the constructor on): no further chunk starts
// and the chunks in flight drain. A kernel cannot be stopped once running, so when draining takes
// longer than `grace`, or at a second signal (either one), the process leaves at once — unless it
// is writing outputs (a critical section), which it then finishes first. Nothing is written after
// an interrupt either way, and the exit code is the first signal's: 130 for SIGINT, 143 for
// SIGTERM.
class SignalWatcher {
 public:
  explicit SignalWatcher(detail::Interrupter& interrupter) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this, &interrupter] { watch(interrupter); });
  }
  ~SignalWatcher() {
    stop_.store(true);
    pthread_kill(thread_.native_handle(), SIGINT);  // wakes the watcher now, not at its next tick
    thread_.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  /// After an interrupt request: prints that `job` was interrupted and wrote nothing, and returns
  /// the exit code of the signal that asked for it.
  int interrupted(const std::string& job) const {
    const int signal = first_signal_.load();
    fmt::print(stderr, "error: {}: interrupted by {}; no output written\n", job,
               signal_name(signal));
    return exit_code_for_signal(signal);
  }

  /// While one lives, an interrupt never ends the process early (outputs are being written).
  class Critical {
   public:
    explicit Critical(SignalWatcher& w) : w_(w) { w_.critical_.store(true); }
    ~Critical() { w_.critical_.store(false); }
    Critical(const Critical&) = delete;
    Critical& operator=(const Critical&) = delete;

   private:
    SignalWatcher& w_;
  };

 private:
  static constexpr std::chrono::milliseconds grace{2000};

  static const char* signal_name(int signal) { return signal == SIGTERM ? "SIGTERM" : "SIGINT"; }
  static int exit_code_for_signal(int signal) {
    return signal == SIGTERM ? exit_terminated : exit_interrupted;
  }

  void watch(detail::Interrupter& interrupter) {
    const timespec tick{0, 50'000'000};
    std::optional<std::chrono::steady_clock::time_point> deadline;
    while (!stop_.load()) {
      const int received = sigtimedwait(&set_, nullptr, &tick);
      if (received == SIGINT || received == SIGTERM) {
        if (stop_.load()) break;  // the destructor's wake-up
        if (deadline) {
          deadline = std::chrono::steady_clock::now();  // a second signal: now
        } else {
          deadline = std::chrono::steady_clock::now() + grace;
          // Kept before the request, so that whoever sees the request sees the signal.
          first_signal_.store(received);
        }
        interrupter.request();
      }
      if (deadline && std::chrono::steady_clock::now() >= *deadline && !critical_.load() && !stop_.load()) {
        const int signal = first_signal_.load();
        write_stderr_now(fmt::format("error: interrupted by {}; chunks still running were abandoned; no output written\n",
                                     signal_name(signal)));
        std::_Exit(exit_code_for_signal(signal));
      }
    }
  }

  sigset_t set_{};
  std::atomic<bool> stop_{false};
  std::atomic<bool> critical_{false};
  std::atomic<int> first_signal_{0};
  std::thread thread_;
};

// Runtimes by (selector, cpu split): jobs that select the same devices share one, and with it
// its programs' pools.
class Runtimes {
 public:
  /// Every runtime made reports to `observer` (if any); none traces by itself (TESSERA_TRACE is
  /// the command's: trace_of).
  explicit Runtimes(std::vector<std::shared_ptr<Observer>> observers = {}) : observers_(std::move(observers)) {}

  /// The runtime for `job`'s devices; a selector of the job's that matches no device is a
  /// JobError at job.devices.
  const Runtime& for_job(const ValidateOptions& options, const JobSpec& job) {
    RuntimeOptions o = options.runtime;
    o.trace = "off";
    const bool job_selector = o.devices.empty() && !job.devices.empty();
    if (job_selector) o.devices = job.devices;
    if (o.cpu_split == 0 && job.scheduler.cpu_split) o.cpu_split = static_cast<unsigned>(*job.scheduler.cpu_split);
    const auto key = std::pair{o.devices, o.cpu_split};
    auto it = runtimes_.find(key);
    if (it == runtimes_.end()) {
      it = runtimes_.emplace(key, make_runtime(o, job, job_selector)).first;
      for (const auto& observer : observers_) it->second->observe(observer);
      report_warnings(*it->second);
    }
    return *it->second;
  }

 private:
  static std::unique_ptr<Runtime> make_runtime(const RuntimeOptions& options, const JobSpec& job, bool job_selector) {
    try {
      return std::make_unique<Runtime>(options);
    } catch (const Error& e) {
      if (!job_selector || e.code() != Errc::no_matching_device) throw;
      throw JobError(e.code(), job.file, job.devices_pos.line, job.devices_pos.column, "job.devices", e.message());
    }
  }

  std::vector<std::shared_ptr<Observer>> observers_;
  std::map<std::pair<std::string, unsigned>, std::unique_ptr<Runtime>> runtimes_;
};

// The trace file: --trace, else $TESSERA_TRACE; "" for none.
std::string trace_of(const RunOptions& options) {
  if (!options.trace.empty()) return options.trace;
  const char* env = std::getenv("TESSERA_TRACE");
  return env == nullptr || std::string_view(env) == "off" ? std::string() : std::string(env);
}

// The indices of the split dimension a job's steps run, repetitions included.
std::uint64_t split_indices(const JobSpec& job) {
  std::uint64_t sum = 0;
  for (const detail::StepCount& c : detail::count_steps(job)) sum += c.split_indices;
  return sum;
}

std::uint64_t total_bytes(const JobSpec& job) {
  std::uint64_t sum = 0;
  for (const auto& b : job.buffers) sum += b.bytes();
  return sum;
}

void print_plan(const Runtime& rt, const JobSpec& job, const RunOptions& options) {
  fmt::print("job '{}' ({}): scheduler {}, {} step(s), {} buffer(s), {:.1f} MiB of host data\n", job.name,
             job.file, options.scheduler.empty() ? job.scheduler.name : options.scheduler, job.steps.size(),
             job.buffers.size(), static_cast<double>(total_bytes(job)) / (1 << 20));
  for (const Device& d : rt.devices()) {
    const bool zero_copy = d.info().unified_memory && rt.options().zero_copy.value_or(true);
    fmt::print("  device {:<5} {:<36} {}\n", d.info().label(), d.name(),
               zero_copy ? "host memory in place: moves nothing"
                         : fmt::format("at most {:.1f} MiB on the device per step, transfers per chunk",
                                       static_cast<double>(total_bytes(job)) / (1 << 20)));
  }
  for (const auto& b : job.buffers) {
    if (b.output && std::filesystem::is_symlink(std::filesystem::symlink_status(b.output->path))) {
      fmt::print("  output of buffer '{}': {} is a symbolic link: writes {}\n", b.name, b.output->path.string(),
                 b.output->target.string());
    }
  }
  const std::vector<detail::StepCount> counts = detail::count_steps(job);
  for (std::size_t k = 0; k < job.steps.size(); ++k) {
    const auto& s = job.steps[k];
    // Extents as values, or as written when they use loop counters.
    std::vector<std::string> global;
    for (const detail::IntField& g : s.global) {
      bool counted = false;
      for (const auto& use : g.expr.names()) counted = counted || !job.params.contains(use.name);
      global.push_back(counted ? g.expr.text() : std::to_string(g.expr.evaluate(job.params)));
    }
    std::uint64_t in = 0, out = 0;
    for (const auto& a : s.args) {
      const auto* ref = std::get_if<detail::BufferRef>(&a.arg);
      if (ref == nullptr) continue;
      const std::uint64_t bytes = job.buffers[ref->index].bytes();
      if (ref->access != Access::write) in += bytes;
      if (ref->access != Access::read) out += bytes;
    }
    fmt::print("  {}: {} over [{}] x{}: {:.1f} MiB in, {:.1f} MiB out per launch on devices that "
               "copy at most (halo rows and whole buffers add to it)\n",
               s.path, s.kernel, fmt::join(global, ", "), counts[k].launches,
               static_cast<double>(in) / (1 << 20),
               static_cast<double>(out) / (1 << 20));
  }
}

// A checked run's findings (one line each, at the argument) and what Oclgrind logged, printed;
// exit_check_failed for findings, exit_runtime_failure for Oclgrind's; exit_ok when none.
int report_findings(const JobSpec& job, const detail::JobData& data, OclgrindLog& oclgrind, std::string_view flag) {
  int code = exit_ok;
  for (const std::string& line : detail::describe_findings(job, data.report)) {
    fmt::print(stderr, "error: {}\n", line);
    code = exit_check_failed;
  }
  if (const auto found = oclgrind.take()) {
    fmt::print(stderr, "error: {}: {}: Oclgrind found an error in a kernel: {}\n", job.file, flag, *found);
    code = exit_runtime_failure;
  }
  return code;
}

// --verify: runs `job` again through Runtime::check (unless the run was checked already),
// printing its findings, then on the fastest single device, comparing its outputs (every buffer
// when it has none) with `data`'s; exit_check_failed (or exit_runtime_failure for Oclgrind's
// findings), with each printed, or exit_ok. An interrupted run compares nothing: the caller sees
// the request in `interrupter`.
int verify(const Runtime& rt, const JobSpec& job, const detail::JobData& data, const RunOptions& options,
           detail::Interrupter& interrupter, OclgrindLog& oclgrind) {
  int code = exit_ok;
  if (!options.check) {
    const detail::JobData checked = detail::run_job(rt, job, {scheduler_of(options), &interrupter, true});
    if (checked.report.interrupted) return exit_ok;
    code = report_findings(job, checked, oclgrind, "--verify");
  }
  const detail::JobRunOptions single{.scheduler = "single", .interrupt = &interrupter, .keep_runs = false};
  const detail::JobData reference = detail::run_job(rt, job, single);
  if (reference.report.interrupted) return exit_ok;  // nothing to compare
  const bool any_output =
      std::any_of(job.buffers.begin(), job.buffers.end(), [](const auto& b) { return b.output.has_value(); });
  for (std::size_t i = 0; i < job.buffers.size(); ++i) {
    if (any_output && !job.buffers[i].output) continue;  // every output, or every buffer when there is none
    const auto d = detail::compare_buffers(job.buffers[i], data.buffers[i], reference.buffers[i]);
    if (d.count == 0) continue;
    fmt::print(stderr,
               "error: {}: --verify: buffer '{}': {} of {} elements differ from a single-device run; first at {} "
               "(a chunk is a launch of its own: get_global_size, get_num_groups and get_group_id describe the "
               "chunk, not the whole range)\n",
               job.file, job.buffers[i].name, d.count, job.buffers[i].count(), d.first);
    if (code == exit_ok) code = exit_check_failed;
  }
  return code;
}

}  // namespace

int run_command(const RunOptions& options) {
  const std::vector<JobSpec> specs = load_all(options);
  const std::filesystem::path report =
      options.report.empty() ? std::filesystem::path() : report_target("--report", options.report, specs);
  const std::string trace_path = trace_of(options);
  const std::filesystem::path trace_file =
      trace_path.empty() ? std::filesystem::path() : report_target("--trace", trace_path, specs);
  if (!trace_file.empty() && trace_file == report) {
    throw Error(Errc::invalid_argument, fmt::format("--trace {}: it is the --report file", trace_path));
  }
  const std::filesystem::path timeline =
      options.timeline.empty() ? std::filesystem::path() : report_target("--timeline", options.timeline, specs);
  const auto trace = (trace_file.empty() && timeline.empty()) || options.dry_run
                         ? nullptr
                         : std::make_shared<TraceWriter>(trace_file);
  detail::Interrupter interrupter;
  SignalWatcher watcher(interrupter);
  OclgrindLog oclgrind(options.check || options.verify);  // before any device is opened
  // The progress display, unless --quiet (or nothing runs). Checked runs (--check, --verify)
  // report their chunks as they end: it observes them. Otherwise the job runner hands it each
  // repetition when it waits for it, when observers would hear of its chunks too, and the tasks
  // go unobserved (observing a task costs a little of every one).
  const auto progress = options.quiet || options.dry_run ? nullptr : std::make_shared<Progress>();
  const bool observe_progress = progress && (options.check || options.verify);
  std::vector<std::shared_ptr<Observer>> observers;
  if (trace) observers.push_back(trace);
  if (observe_progress) observers.push_back(progress);
  Runtimes runtimes(observers);
  // Every job's kernels checked before any job runs; the drivers' own words come after an error.
  {
    const HeldStderr held;
    for (const JobSpec& job : specs) detail::check_kernels(runtimes.for_job(options, job), job, scheduler_of(options));
  }
  nlohmann::json reports = nlohmann::json::array();
  int code = exit_ok;
  for (const JobSpec& job : specs) {
    const Runtime& rt = runtimes.for_job(options, job);
    if (options.dry_run) {
      print_plan(rt, job, options);
      continue;
    }
    // The report needs each step's totals only (a checked run keeps its runs for its findings);
    // spans, only a trace.
    detail::JobRunOptions run_options{.scheduler = scheduler_of(options),
                                      .interrupt = &interrupter,
                                      .check = options.check,
                                      .keep_runs = false,
                                      .spans = trace != nullptr};
    if (progress && !observe_progress) run_options.on_repetition = [&](const RunStats& run) { progress->add(run); };
    info("{}: running{}", job.file, options.check ? " (checked)" : "");
    if (progress) progress->begin(split_indices(job));
    const detail::JobData data = detail::run_job(rt, job, run_options);
    if (progress) progress->end();
    for (const auto& w : data.report.warnings) warn("{}", w);
    if (interrupter.requested()) return watcher.interrupted(job.file);
    if (const int found = report_findings(job, data, oclgrind, options.check ? "--check" : "run"); found != exit_ok) {
      code = found;
      continue;  // a result the checks found fault with is not written
    }
    const int verified = options.verify && !interrupter.requested()
                             ? verify(rt, job, data, options, interrupter, oclgrind)
                             : exit_ok;
    // Interrupted in the run, in --verify's, or since: nothing is written.
    if (interrupter.requested()) return watcher.interrupted(job.file);
    if (verified != exit_ok) {
      code = verified;
      continue;  // a result that does not verify is not written
    }
    std::vector<std::filesystem::path> outputs;
    {
      const SignalWatcher::Critical writing(watcher);
      outputs = detail::write_outputs(job, data);
    }
    const auto checks = detail::run_checks(job, data);
    for (const auto& c : checks) {
      if (c.passed) continue;
      fmt::print(stderr, "error: {}: check of buffer '{}' failed: {}\n", job.file, c.buffer, c.message);
      code = exit_check_failed;
    }
    if (!options.quiet) fmt::print("{}", summary_text(data.report, outputs.size(), checks));
    reports.push_back(report_json(data.report, checks, outputs));
  }
  if (!report.empty() && !options.dry_run) {
    const SignalWatcher::Critical writing(watcher);
    const std::string text = reports.dump(2) + "\n";
    std::filesystem::create_directories(report.parent_path());
    detail::write_file_atomically(report, std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
  }
  if (trace && !trace->path().empty()) {
    std::filesystem::create_directories(trace->path().parent_path());
    trace->write();
  }
  if (trace && !timeline.empty()) {
    std::filesystem::create_directories(timeline.parent_path());
    std::string jobs;
    for (const JobSpec& job : specs) jobs += (jobs.empty() ? "" : ", ") + job.name;
    trace->write_timeline(timeline, jobs);
  }
  return code;
}

// Each job parsed and checked, its program built and every step checked against its kernel.
int validate_command(const ValidateOptions& options) {
  Runtimes runtimes;
  for (const JobSpec& job : load_all(options)) {
    {
      const HeldStderr held;  // the drivers' own words come after an error
      detail::check_kernels(runtimes.for_job(options, job), job);
    }
    if (!options.quiet) fmt::print("{}: valid ({} step(s), {} buffer(s))\n", job.file, job.steps.size(), job.buffers.size());
  }
  return exit_ok;
}

}  // namespace tessera::cli
