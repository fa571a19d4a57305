#pragma once
// Internal: a job's steps in the order they run, loops unrolled. One walk serves the loader
// (which evaluates every launch to validate the job), the command line (launch counts, dry runs)
// and the runner (which submits them), so all three see the same iterations.
//
//   walk_steps(job, [&](std::size_t k, const Scope& scope) {
//     const StepValues v = step_values(job, job.steps[k], scope);   // then run it v.repeat times
//     return true;                                                    // false: stop here
//   });

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "job/job_spec.hpp"
#include "job/step_values.hpp"

namespace tessera::detail {

/// Calls visit(k, scope) each time kernel step JobSpec::steps[k] runs (once for all of its
/// `repeat` launches), in order, with the loop counters in scope. A loop evaluates its bounds
/// each time it starts (in the scope around it) and runs its counter from begin while below
/// end, by stride. Stops when visit returns false, and then returns false.
///
/// Throws JobError at the loop: a bound or stride that cannot be evaluated, a stride below 1, an
/// empty range whose bounds use no enclosing counter (a loop that never runs), and, at the step
/// or loop where it happens, more than StepSpec::max_repeat launches, or loop iterations, in all.
bool walk_steps(const JobSpec& job, const std::function<bool(std::size_t, const Scope&)>& visit);

/// Per kernel step: how many launches it makes and how many indices of its split dimension they
/// cover in all (for progress and plans). Walks the whole job.
struct StepCount {
  std::uint64_t launches = 0;
  std::uint64_t split_indices = 0;
};
std::vector<StepCount> count_steps(const JobSpec& job);

}  // namespace tessera::detail
