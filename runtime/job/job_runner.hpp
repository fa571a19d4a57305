#pragma once
// Internal: running a validated job (job_spec.hpp) on a Runtime's devices: host buffers, the
// program, every step with its repetitions and swaps, then outputs and checks as separate
// steps, so that a caller can compare results (--verify) before anything is written.
//
//   JobData data = run_job(rt, spec, {});
//   write_outputs(spec, data);              // atomically, each file whole or not at all
//   for (const CheckResult& c : run_checks(spec, data)) ...

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "job/interrupter.hpp"
#include "job/job_loader.hpp"
#include "job/job_spec.hpp"
#include "job/program_memo.hpp"
#include "tessera/run_stats.hpp"
#include "tessera/runtime.hpp"

namespace tessera::detail {

/// A job buffer's bytes on the host: page-aligned memory of its own, or the host view of the
/// resident array the job ran on (kept alive with it).
class HostArray {
 public:
  explicit HostArray(std::size_t bytes);
  /// The host view of `array` (ArrayBase::host_view: it synchronises).
  explicit HostArray(ArrayBase array);
  unsigned char* data() noexcept { return data_; }
  const unsigned char* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  struct Free {
    void operator()(unsigned char* p) const noexcept;
  };
  std::unique_ptr<unsigned char, Free> own_;
  ArrayBase array_;
  unsigned char* data_ = nullptr;
  std::size_t bytes_;
};

/// The buffers after a run, in JobSpec::buffers order, and what the run measured.
struct JobData {
  std::vector<HostArray> buffers;
  JobReport report;
};

struct JobRunOptions {
  /// Overrides [job] scheduler (the policy's settings from the job still apply when it names
  /// the same policy).
  std::optional<std::string> scheduler;
  /// When it is requested, no further chunk starts, the chunks in flight finish, and run_job
  /// returns with report.interrupted set.
  Interrupter* interrupt = nullptr;
  /// Every repetition runs through Runtime::check: its findings are in the report's RunStats
  /// (describe_findings phrases them).
  bool check = false;
  /// Every repetition's RunStats kept in its step's runs (a checked run keeps them always);
  /// false: only each step's totals, which a long repeat keeps fast and small.
  bool keep_runs = true;
  /// Each step's and repetition's span (submission to end) to the runtime's observers
  /// (Runtime::annotate); false saves formatting them when nothing records spans.
  bool spans = true;
  /// Called on the calling thread with each repetition's statistics as it is recorded (in
  /// submission order; a task's once it is waited for, as observers hear of its chunks).
  std::function<void(const RunStats&)> on_repetition;
  /// Where the job's program is built: a memo shared by many jobs of the runtime reuses a program
  /// built before (null: compiled anew, through the binary cache).
  ProgramMemo* programs = nullptr;
};

/// Builds `job`'s program on `rt` and checks every step against its kernel's signature (an
/// unknown kernel, an argument count or kind that does not fit: JobError at the step or
/// argument) and static's weights against the devices the program runs on (JobError at
/// job.weights), running nothing. `scheduler` overrides [job] scheduler as in JobRunOptions.
/// Returns the program.
Program check_kernels(const Runtime& rt, const JobSpec& job, const std::optional<std::string>& scheduler = {},
                      ProgramMemo* programs = nullptr);

/// Builds `job`'s program on `rt`, checks every step (check_kernels) and then runs the steps. What only the kernels can tell (an unknown
/// kernel, an argument that does not fit its parameter) is a JobError at the step or argument;
/// failures of the devices are Errors as the engine throws them.
JobData run_job(const Runtime& rt, const JobSpec& job, const JobRunOptions& options = {});

/// Every buffer that has an `output` written to its temporary file beside the output's target
/// (missing folders are made): .npy, raw .bin, or a .png/.ppm image (scalar data through its
/// colormap; uchar data whose last dimension is 3 or 4 as RGB/RGBA). Nothing is renamed yet:
/// when one fails (a full disk), the files staged so far are removed and no output changes.
std::vector<AtomicFile> stage_outputs(const JobSpec& job, const JobData& data);

/// stage_outputs, then every file renamed into place. Returns the files written (the targets:
/// an output that is a symbolic link keeps the link, and its target is replaced).
std::vector<std::filesystem::path> write_outputs(const JobSpec& job, const JobData& data);

/// Every [[checks]] entry against the buffers.
std::vector<CheckResult> run_checks(const JobSpec& job, const JobData& data);

/// Elements of buffer `index` that differ between two runs' data (bitwise for integers, with
/// rtol 1e-5 / atol 1e-6 for floating types), for --verify; the first index that differs.
struct Difference {
  std::size_t count = 0;
  std::size_t first = 0;
};
Difference compare_buffers(const BufferSpec& buffer, const HostArray& a, const HostArray& b);

}  // namespace tessera::detail
