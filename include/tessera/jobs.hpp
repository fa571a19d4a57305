#pragma once
// Batch jobs from C++: the job files `tessera run` runs (the format is in the README), run by the
// same engine. Link tessera::jobs: find_package(Tessera COMPONENTS jobs).
//
//   tessera::Runtime rt;
//   const tessera::Job job = tessera::Job::load("saxpy.toml", {{"n", 4096}});   // --set n=4096
//   const tessera::JobResult result = tessera::run_job(rt, job);
//   for (const tessera::CheckResult& c : result.checks()) std::puts(c.message.c_str());
//   result.write_outputs();                                   // each file whole or not at all
//   std::span<const float> y = result.buffer<float>("y");

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/element_type.hpp"
#include "tessera/error.hpp"
#include "tessera/run_stats.hpp"
#include "tessera/runtime.hpp"

namespace tessera {

namespace detail {
struct JobSpec;
struct JobData;
}  // namespace detail

class JobResult;
struct JobOptions;

/// A job file that cannot be read or is not a valid job. what() is one line, compiler style:
/// "FILE:LINE:COL: KEY: REASON" ("FILE: KEY: REASON" without a place, "FILE:LINE:COL: REASON"
/// for a TOML syntax error). code() is Errc::io for files that cannot be read,
/// Errc::write_conflict for a step whose scatter buffer two chunks changed differently (at the
/// step), else Errc::invalid_argument.
class JobError : public Error {
 public:
  JobError(Errc code, std::string file, std::uint32_t line, std::uint32_t column, std::string key,
           std::string reason);

  const std::string& file() const noexcept { return file_; }
  /// 1-based; 0 when the mistake has no place (the file cannot be read, a --set names no param).
  std::uint32_t line() const noexcept { return line_; }
  std::uint32_t column() const noexcept { return column_; }
  /// The dotted key path: "buffers.x.type", "steps[0].args[1].buffer" (indices from 0).
  const std::string& key() const noexcept { return key_; }
  /// The message alone, without file, place and key.
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string file_;
  std::uint32_t line_;
  std::uint32_t column_;
  std::string key_;
  std::string reason_;
};

/// A job file, read and validated: every expression evaluated, every name resolved, every file it
/// reads checked. Cheap to copy.
class Job {
 public:
  /// Param overrides, as `--set NAME=VALUE` gives them.
  using Params = std::map<std::string, std::int64_t, std::less<>>;

  /// Reads and validates `file`; relative paths inside it are resolved against its folder.
  /// Throws JobError.
  static Job load(const std::filesystem::path& file, const Params& params = {});
  /// Validates `text` as if it were the job file `file` (which is not read). Throws JobError.
  static Job parse(std::string_view text, const std::filesystem::path& file, const Params& params = {});

  /// [job] name, or the file's stem.
  const std::string& name() const noexcept;
  /// The file as named to load() or parse().
  const std::string& file() const noexcept;

 private:
  friend class JobResult;
  friend JobResult run_job(const Runtime&, const Job&, const JobOptions&);
  explicit Job(std::shared_ptr<const detail::JobSpec> spec);
  std::shared_ptr<const detail::JobSpec> spec_;
};

/// RunStats summed over runs (a step's repetitions, or a whole job's), without keeping each: the
/// runs of one job share its program's devices, in the same order.
struct RunTotals {
  std::size_t runs = 0;
  std::size_t items = 0;
  double wall_s = 0;               ///< the runs' wall times summed (runs that overlap count twice)
  double balance_sum = 0;          ///< RunStats::balance() summed
  std::uint64_t submitted_ns = 0;  ///< the earliest submission (host_clock_ns(), observer.hpp)
  std::uint64_t ended_ns = 0;      ///< the latest end
  /// Per device of the runs: chunks, items, busy_s, finished_s, bytes and moved summed; device
  /// and zero_copy as the runs give them.
  std::vector<DeviceRunStats> devices;

  void add(const RunStats& run);
  RunTotals& operator+=(const RunTotals& other);
  /// The mean of the runs' balance(); 0 without runs.
  double balance() const noexcept { return runs == 0 ? 0.0 : balance_sum / static_cast<double>(runs); }
};

struct StepReport {
  std::string step;  ///< its path in the job file: "steps[1]", "steps[0].do[2]" (inside a loop)
  std::string kernel;
  RunTotals totals;            ///< every launch's statistics, summed (repetitions and loop iterations)
  std::vector<RunStats> runs;  ///< one per launch (tessera run keeps them for --check only)
};

/// The bytes a job moved between host and device memory, summed over devices, against the least
/// its steps needed on the devices they ran on (see the README's `--report`).
struct JobTransfers {
  /// Every transfer of the job's buffers: tasks' loads and halos, reductions' folds, and the
  /// read-back of the buffers at the end (Runtime::transfers() before and after the job: tasks
  /// another thread submits to the same runtime meanwhile count too).
  TransferBytes moved;
  /// load: each element a device that copies reads, once per version of it held on the host
  /// only (its initial contents, or what a device working in place or a reduction's fold wrote
  /// since); halo: moved.halo (what the split needs between devices); read_back: each element
  /// whose newest version is on a device that copies, once, when a reduction folds into its
  /// buffer or the job ends. Devices that work on host memory in place need nothing.
  TransferBytes minimum;
  /// moved.total() / minimum.total(): 1 when neither moved anything, infinite when only the
  /// minimum is 0.
  double ratio() const noexcept;
};

/// What a job's run measured.
struct JobReport {
  std::string name;
  std::string scheduler;
  double wall_s = 0;
  std::vector<StepReport> steps;
  std::vector<std::string> warnings;  ///< settings accepted but not honoured, devices left out
  bool interrupted = false;
  /// Runs over resident arrays (not checked ones: those run on host copies).
  std::optional<JobTransfers> transfers;
};

struct CheckResult {
  std::string buffer;
  bool passed = false;
  std::string message;  ///< what was compared and, on failure, the first difference
};

struct JobOptions {
  /// Overrides [job] scheduler (the job's settings still apply when it names the same policy).
  std::optional<std::string> scheduler;
  /// Runs every step through Runtime::check: the findings are in each run's
  /// RunStats::findings, and JobResult::findings() phrases them in the job's terms.
  bool check = false;
};

/// The buffers of a job after its run, and what the run measured. Move-only.
class JobResult {
 public:
  JobResult(JobResult&&) noexcept;
  JobResult& operator=(JobResult&&) noexcept;
  ~JobResult();

  const JobReport& report() const noexcept;

  /// The bytes of buffer `name` (row-major). Throws Error(invalid_argument) for an unknown name.
  std::span<const std::byte> bytes(std::string_view name) const;
  /// Buffer `name` as elements of T. Throws Error(invalid_argument) for an unknown name or when
  /// T is not the buffer's element type.
  template <typename T>
  std::span<const T> buffer(std::string_view name) const {
    const std::span<const std::byte> b = typed_bytes(name, element_type_of<T>());
    return {reinterpret_cast<const T*>(b.data()), b.size() / sizeof(T)};
  }

  /// Every [[checks]] entry, evaluated against the buffers.
  std::vector<CheckResult> checks() const;
  /// With JobOptions::check: what the kernels wrote that their buffers' roles do not allow, one
  /// line per finding ("FILE:LINE:COL: steps[K].args[I]: buffer ..."), at the argument; empty
  /// when every step kept to its roles (or the run was not checked).
  std::vector<std::string> findings() const;
  /// Writes every buffer that has an `output` (.npy, .bin, .png, .ppm), each to a temporary file
  /// renamed into place. Returns the paths written.
  std::vector<std::filesystem::path> write_outputs() const;

 private:
  friend JobResult run_job(const Runtime&, const Job&, const JobOptions&);
  JobResult(Job job, std::unique_ptr<detail::JobData> data);
  std::span<const std::byte> typed_bytes(std::string_view name, ElementType type) const;

  Job job_;
  std::unique_ptr<detail::JobData> data_;
};

/// Builds the job's program on `rt`'s devices (through the binary cache), checks every step
/// against its kernel (JobError at the step or argument), and runs the steps in order. Device
/// failures are Errors as the engine throws them.
JobResult run_job(const Runtime& rt, const Job& job, const JobOptions& options = {});

}  // namespace tessera
