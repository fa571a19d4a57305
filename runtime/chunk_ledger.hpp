#pragma once
// Internal: the chunk ledger, the mechanism behind every policy. It hands out contiguous chunks
// of the split dimension front to back, asks the policy for each size, rounds sizes to whole
// work-groups, and stops on cancellation. Safe to call from every device thread.

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "tessera/range.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {

class ChunkLedger {
 public:
  /// `granule`: chunk sizes are multiples of it (the local size along the split dimension),
  /// except the last chunk, which also takes the remainder total % granule.
  /// `power`: device speeds, one per device, to start from: indices per second when
  /// `measured` (from earlier runs), else estimates on any scale. `max_chunk`: per device, the largest
  /// chunk it can hold (0: no bound); a policy's larger decision is handed out in pieces of
  /// that size, the rest owed to the same device.
  ChunkLedger(Schedule schedule, std::size_t total, std::size_t granule, std::vector<double> power,
              std::vector<std::size_t> max_chunk = {}, bool measured = false);

  /// The next chunk for `device`, or nothing when the range is exhausted, the policy has
  /// nothing for this device, or the run was cancelled. A device refused with no chunk
  /// outstanding has left the run (its executor stops); the last device in the run is never
  /// refused, so the range is always covered.
  std::optional<Chunk> take(std::size_t device);

  /// `device` finished `indices` handed out earlier, busy for `seconds` (0: not timed). From
  /// then on the device's power is what it measured in this run, and the devices not yet
  /// measured are rescaled to the same scale.
  void report(std::size_t device, std::size_t indices, double seconds);

  /// Current powers (for tests and statistics).
  std::vector<double> power() const;

  void cancel() noexcept { cancelled_.store(true); }
  bool cancelled() const noexcept { return cancelled_.load(); }

 private:
  Schedule schedule_;
  std::size_t total_;
  std::size_t granule_;
  std::atomic<bool> cancelled_{false};

  void rescale();  // power_ from initial_, done_ and busy_s_; mutex_ held

  mutable std::mutex mutex_;
  std::vector<double> initial_;  // powers given at construction
  std::vector<double> power_;
  std::vector<bool> measured_;   // power_[i] measured (in this run, or given as measured)
  std::vector<std::size_t> done_;  // indices finished and timed in this run
  std::vector<double> busy_s_;
  std::vector<std::size_t> outstanding_;
  std::vector<bool> active_;  // false once refused a chunk with none outstanding
  std::size_t next_ = 0;
  std::size_t sequence_ = 0;
  std::vector<std::size_t> chunks_taken_;
  std::vector<std::size_t> max_chunk_;
  std::vector<std::size_t> owed_;
};

}  // namespace tessera::detail
