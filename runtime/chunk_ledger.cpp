#include "chunk_ledger.hpp"

#include <algorithm>

namespace tessera::detail {

ChunkLedger::ChunkLedger(Schedule schedule, std::size_t total, std::size_t granule,
                         std::vector<double> power)
    : schedule_(std::move(schedule)),
      total_(total),
      granule_(std::max<std::size_t>(granule, 1)),
      power_(std::move(power)),
      chunks_taken_(power_.size(), 0) {}

std::optional<Chunk> ChunkLedger::take(std::size_t device) {
  if (cancelled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  const std::size_t remaining = total_ - next_;
  if (remaining == 0) return std::nullopt;
  const ScheduleState state{total_, remaining, power_.size(), &power_, &chunks_taken_};
  std::size_t size = schedule_.next_chunk(state, device);
  if (size == 0) return std::nullopt;
  size = (size + granule_ - 1) / granule_ * granule_;  // whole work-groups only
  if (size + granule_ > remaining) size = remaining;   // the last chunk takes the remainder
  const Chunk chunk{next_, size, device, sequence_++};
  next_ += size;
  ++chunks_taken_[device];
  return chunk;
}

}  // namespace tessera::detail
