#pragma once
// Internal: a job's bytes moved against the least its steps needed (JobTransfers, jobs.hpp).
//
//   const auto before = rt.transfers();
//   TransferReplay replay(job);
//   ... every repetition, as it ends, in submission order: replay.repetition(step, stats, first, end) ...
//   ... every buffer read back ...
//   report.transfers = replay.result(moved_since(before, rt.transfers()));

#include <cstddef>
#include <memory>
#include <vector>

#include "job/job_spec.hpp"
#include "tessera/jobs.hpp"
#include "tessera/run_stats.hpp"

namespace tessera::detail {

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

  /// The next repetition, of step `step` over split indices [first, end) (its offset and its
  /// offset + global extent), ran as `run` says (its chunks, relative to `first`, and devices).
  void repetition(std::size_t step, const RunStats& run, std::size_t first, std::size_t end);
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
