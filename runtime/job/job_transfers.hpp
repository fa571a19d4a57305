#pragma once
// Internal: a job's bytes moved against the least its steps needed (JobTransfers, jobs.hpp).
//
//   const auto before = rt.transfers();
//   TransferReplay replay(job);
//   ... every repetition, as it ends, in submission order: replay.repetition(step, stats, slices) ...
//   ... every buffer read back ...
//   report.transfers = replay.result(moved_since(before, rt.transfers()));

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "engine/launch_plan.hpp"
#include "job/job_spec.hpp"
#include "tessera/launch.hpp"
#include "tessera/jobs.hpp"
#include "tessera/run_stats.hpp"

namespace tessera::detail {

/// Per argument of a launch: the slice geometry of a split or halo buffer (none for the others).
using LaunchSlices = std::vector<std::optional<BufferPlan>>;

/// The slices of `launch`'s arguments (a launch the engine has accepted).
LaunchSlices slices_of(const Launch& launch);

/// What moved between two readings of Runtime::transfers(), summed over devices.
TransferBytes moved_since(const std::vector<TransferBytes>& before, const std::vector<TransferBytes>& after);

/// The job's steps replayed, chunk by chunk on the devices they ran on, with swaps followed, over
/// where each byte's newest version is: JobTransfers::minimum. Costs nothing per repetition when
/// every device works in place.
class TransferReplay {
 public:
  explicit TransferReplay(const JobSpec& job);
  ~TransferReplay();
  TransferReplay(const TransferReplay&) = delete;
  TransferReplay& operator=(const TransferReplay&) = delete;

  /// The next repetition, of step `step` with its buffers' `slices`, ran as `run` says (its
  /// chunks and devices).
  void repetition(std::size_t step, const RunStats& run, const LaunchSlices& slices);
  /// `moved` against the minimum, every buffer read back at the end. Call once, last.
  JobTransfers result(const TransferBytes& moved);

 private:
  class Replay;
  const JobSpec& job_;
  std::vector<std::size_t> array_of_;  ///< per buffer name: the array it names now (swaps)
  bool in_place_ = false;              ///< no device copies: nothing is needed
  std::unique_ptr<Replay> replay_;
};

}  // namespace tessera::detail
