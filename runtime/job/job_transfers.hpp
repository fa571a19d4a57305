#pragma once
// Internal: a job's bytes moved against the least its steps needed (JobTransfers, jobs.hpp).
//
//   const auto before = rt.transfers();
//   ... run the steps, read every buffer back ...
//   report.transfers = job_transfers(job, report, moved_since(before, rt.transfers()));

#include <vector>

#include "job/job_spec.hpp"
#include "tessera/jobs.hpp"
#include "tessera/run_stats.hpp"

namespace tessera::detail {

/// What moved between two readings of Runtime::transfers(), summed over devices.
TransferBytes moved_since(const std::vector<TransferBytes>& before, const std::vector<TransferBytes>& after);

/// `moved` against the minimum of the steps `report` ran of `job` (every repetition's chunks, on
/// the devices they ran on, with swaps followed): see JobTransfers::minimum. Every buffer is
/// taken to be read back at the end.
JobTransfers job_transfers(const JobSpec& job, const JobReport& report, const TransferBytes& moved);

}  // namespace tessera::detail
