#pragma once
// Internal: a checked job run's findings (Runtime::check) in the job's own terms.

#include <string>
#include <vector>

#include "job/job_spec.hpp"
#include "tessera/jobs.hpp"

namespace tessera::detail {

/// One line per finding, the first of each kind for each argument of each step, in step order:
/// "FILE:LINE:COL: steps[K].args[I]: buffer 'y' (access "write"): chunk [A, B) on device L 'NAME'
/// wrote, outside its slice, N element(s), the first element E; fits: ...", at the argument.
std::vector<std::string> describe_findings(const JobSpec& job, const JobReport& report);

}  // namespace tessera::detail
