#pragma once
// Internal: the scheduler names a job (and `tessera run --scheduler`) may give, and the
// Schedule a job's [job] table stands for.

#include <cstddef>
#include <string>
#include <vector>

#include "job/job_spec.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {

/// The contract's scheduler names, in its order: the engine's policies, then "adaptive" (named
/// by the contract, not available yet).
const std::vector<std::string>& scheduler_names();

/// The schedule called `name` with the job's settings (they apply when the job names the same
/// policy; else that policy's defaults); `extent` is the step's split extent (dynamic's default
/// chunk is 1/64 of it). Settings accepted but not honoured add a line to `warnings`. Throws
/// JobError at [job] scheduler for "adaptive" and unknown names.
Schedule schedule_from_job(const JobSpec& job, const std::string& name, std::size_t extent,
                           std::vector<std::string>& warnings);

}  // namespace tessera::detail
