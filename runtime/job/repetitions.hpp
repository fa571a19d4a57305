#pragma once
// Internal: a job's repetitions from submission to what they measured. Tasks are waited for in
// submission order, a bounded number behind the newest; each repetition's statistics go, as it
// ends, into its step's totals (and its runs, when kept), its span to the runtime's observers,
// and the replay of the job's transfers.
//
//   RunRecorder recorder(rt, job, report, {.keep_runs = false});
//   TaskWindow tasks(256, recorder);
//   tasks.add(rt.submit(launch, schedule), {k, slices});   // every repetition of every step
//   tasks.wait_all();
//   recorder.annotate_steps();

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>

#include "job/job_spec.hpp"
#include "job/job_transfers.hpp"
#include "tessera/jobs.hpp"
#include "tessera/runtime.hpp"

namespace tessera::detail {

/// A repetition of a kernel step: the step, and where its buffers' slices lie.
struct Repetition {
  std::size_t step = 0;
  std::shared_ptr<const LaunchSlices> slices;
};

/// Where each repetition's statistics go. `report.steps[k]` must exist before step k's first
/// repetition is recorded; repetitions are recorded in submission order.
class RunRecorder {
 public:
  /// What JobRunOptions asks: `keep_runs`, every repetition's RunStats kept in its step's runs
  /// too (else only the totals); `spans`, the repetitions' and steps' spans to the observers;
  /// `on_repetition` (if any) hears of each.
  struct Options {
    bool keep_runs = true;
    bool spans = true;
    std::function<void(const RunStats&)> on_repetition;
  };
  RunRecorder(const Runtime& rt, const JobSpec& job, JobReport& report, Options options);

  /// The next repetition of step `rep.step` ended with `run`.
  void record(const Repetition& rep, RunStats run);
  /// Once every repetition is recorded: each step's span (its first submission to its last end)
  /// to the runtime's observers.
  void annotate_steps() const;
  /// Once every repetition is recorded: `moved` against the least the steps needed.
  JobTransfers transfers(const TransferBytes& moved) { return replay_.result(moved); }

 private:
  const Runtime& rt_;
  const JobSpec& job_;
  JobReport& report_;
  Options options_;
  TransferReplay replay_;
};

/// The tasks a job has submitted and not yet waited for. At most `window` wait: beyond, the
/// oldest is waited for (usually long finished) and recorded, which keeps a long job's memory
/// bounded without making the host wait between tasks it depends on.
class TaskWindow {
 public:
  TaskWindow(std::size_t window, RunRecorder& recorder) : window_(window), recorder_(recorder) {}
  TaskWindow(const TaskWindow&) = delete;
  TaskWindow& operator=(const TaskWindow&) = delete;

  /// A repetition, submitted.
  void add(Submission task, const Repetition& rep);
  /// Waits for and records every task still pending.
  void wait_all();

 private:
  struct Pending {
    Submission task;
    Repetition rep;
  };
  void wait_oldest();

  std::size_t window_;
  RunRecorder& recorder_;
  std::deque<Pending> pending_;
};

}  // namespace tessera::detail
