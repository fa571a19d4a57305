#include "chunk_ledger.hpp"

#include <algorithm>

namespace tessera::detail {

ChunkLedger::ChunkLedger(Schedule schedule, std::size_t total, std::size_t granule,
                         std::vector<double> power, std::vector<std::size_t> max_chunk)
    : schedule_(std::move(schedule)),
      total_(total),
      granule_(std::max<std::size_t>(granule, 1)),
      power_(std::move(power)),
      chunks_taken_(power_.size(), 0),
      max_chunk_(std::move(max_chunk)),
      owed_(power_.size(), 0) {
  max_chunk_.resize(power_.size(), 0);
}

std::optional<Chunk> ChunkLedger::take(std::size_t device) {
  if (cancelled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  const std::size_t remaining = total_ - next_;
  if (remaining == 0) return std::nullopt;
  const ScheduleState state{total_, remaining, power_.size(), &power_, &chunks_taken_};
  std::size_t size = owed_[device] > 0 ? owed_[device] : schedule_.next_chunk(state, device);
  if (size == 0) return std::nullopt;
  size = (size + granule_ - 1) / granule_ * granule_;  // whole work-groups only
  const std::size_t limit = max_chunk_[device];
  owed_[device] = 0;
  if (limit > 0 && size > limit) {
    owed_[device] = std::min(size, remaining) - limit;
    size = limit;
  }
  if (size + granule_ > remaining && (limit == 0 || remaining <= limit)) {
    size = remaining;  // the last chunk takes the remainder
  }
  size = std::min(size, remaining);
  const Chunk chunk{next_, size, device, sequence_++};
  next_ += size;
  ++chunks_taken_[device];
  return chunk;
}

}  // namespace tessera::detail
