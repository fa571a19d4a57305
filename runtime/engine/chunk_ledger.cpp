#include "engine/chunk_ledger.hpp"

#include <algorithm>

namespace tessera::detail {

ChunkLedger::ChunkLedger(Schedule schedule, Setup setup)
    : schedule_(std::move(schedule)),
      total_(setup.total),
      granule_(std::max<std::size_t>(setup.granule, 1)),
      items_per_index_(std::max<std::size_t>(setup.items_per_index, 1)),
      zero_copy_(std::move(setup.zero_copy)),
      power_(std::move(setup.power)),
      outstanding_(power_.size(), 0),
      active_(power_.size(), true),
      chunks_taken_(power_.size(), 0),
      max_chunk_(std::move(setup.max_chunk)),
      owed_(power_.size(), 0) {
  max_chunk_.resize(power_.size(), 0);
  zero_copy_.resize(power_.size(), false);
}

void ChunkLedger::report(std::size_t device, std::size_t indices) {
  std::lock_guard lock(mutex_);
  outstanding_[device] -= std::min(outstanding_[device], indices);
}

std::optional<Chunk> ChunkLedger::take(std::size_t device) {
  if (cancelled()) return std::nullopt;
  std::lock_guard lock(mutex_);
  const std::size_t remaining = total_ - next_;
  if (remaining == 0) return std::nullopt;
  const ScheduleState state{total_,         remaining,     power_.size(), granule_,
                            items_per_index_, &power_,       &chunks_taken_, &outstanding_,
                            &active_,         &zero_copy_};
  std::size_t size = owed_[device] > 0 ? owed_[device] : schedule_.next_chunk(state, device);
  if (size == 0) {
    const bool last = std::count(active_.begin(), active_.end(), true) == 1 && active_[device];
    if (!last) {
      if (outstanding_[device] == 0) active_[device] = false;
      return std::nullopt;
    }
    size = granule_;
  }
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
  outstanding_[device] += size;
  return chunk;
}

}  // namespace tessera::detail
