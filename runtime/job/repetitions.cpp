// A job's repetitions: the window of tasks in flight, and where each one's statistics go.

#include "job/repetitions.hpp"

#include <fmt/format.h>

namespace tessera::detail {

RunRecorder::RunRecorder(const Runtime& rt, const JobSpec& job, JobReport& report, Options options)
    : rt_(rt), job_(job), report_(report), options_(std::move(options)), replay_(job) {}

void RunRecorder::record(const Repetition& rep, RunStats run) {
  StepReport& s = report_.steps[rep.step];
  const std::size_t repetition = s.totals.runs;
  s.totals.add(run);
  if (options_.spans && job_.steps[rep.step].repeat > 1) {
    rt_.annotate({fmt::format("{} repetition {}", job_.steps[rep.step].path, repetition), "repetition",
                  run.submitted_ns, run.ended_ns});
  }
  replay_.repetition(rep.step, run, *rep.slices);
  if (options_.on_repetition) options_.on_repetition(run);
  if (options_.keep_runs) s.runs.push_back(std::move(run));
}

void RunRecorder::annotate_steps() const {
  if (!options_.spans) return;
  for (std::size_t k = 0; k < report_.steps.size(); ++k) {
    const RunTotals& t = report_.steps[k].totals;
    if (t.runs == 0) continue;
    rt_.annotate({fmt::format("{} {}", job_.steps[k].path, job_.steps[k].kernel), "step", t.submitted_ns, t.ended_ns});
  }
}

void TaskWindow::add(Submission task, const Repetition& rep) {
  pending_.push_back({std::move(task), rep});
  if (pending_.size() > window_) wait_oldest();
}

void TaskWindow::wait_all() {
  while (!pending_.empty()) wait_oldest();
}

void TaskWindow::wait_oldest() {
  Pending p = std::move(pending_.front());
  pending_.pop_front();
  recorder_.record(p.rep, p.task.wait());
}

}  // namespace tessera::detail
