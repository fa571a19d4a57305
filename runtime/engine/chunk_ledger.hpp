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
  /// What the ledger knows of a launch and its devices (vectors: one entry per device).
  struct Setup {
    std::size_t total = 0;  ///< indices of the split dimension
    /// Chunk sizes are multiples of it (the local size along the split dimension), except the
    /// last chunk, which also takes the remainder total % granule.
    std::size_t granule = 1;
    std::size_t items_per_index = 1;
    std::vector<double> power;  ///< device speeds, any positive scale
    /// The largest chunk a device can hold (0: no bound); a policy's larger decision is handed
    /// out in pieces of that size, the rest owed to the same device.
    std::vector<std::size_t> max_chunk;
    std::vector<bool> zero_copy;  ///< the device works on host memory in place
  };

  ChunkLedger(Schedule schedule, Setup setup);

  /// The next chunk for `device`, or nothing when the range is exhausted, the policy has
  /// nothing for this device, or the run was cancelled. A device refused with no chunk
  /// outstanding has left the run (its executor stops); the last device in the run is never
  /// refused, so the range is always covered.
  std::optional<Chunk> take(std::size_t device);

  /// `device` finished `indices` handed out to it earlier.
  void report(std::size_t device, std::size_t indices);

  void cancel() noexcept { cancelled_.store(true); }
  bool cancelled() const noexcept { return cancelled_.load(); }

 private:
  Schedule schedule_;
  std::size_t total_;
  std::size_t granule_;
  std::size_t items_per_index_;
  std::vector<bool> zero_copy_;
  std::atomic<bool> cancelled_{false};

  mutable std::mutex mutex_;
  std::vector<double> power_;
  std::vector<std::size_t> outstanding_;
  std::vector<bool> active_;  // false once refused a chunk with none outstanding
  std::size_t next_ = 0;
  std::size_t sequence_ = 0;
  std::vector<std::size_t> chunks_taken_;
  std::vector<std::size_t> max_chunk_;
  std::vector<std::size_t> owed_;
};

}  // namespace tessera::detail
