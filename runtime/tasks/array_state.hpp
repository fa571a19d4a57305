#pragma once
// Internal: what an Array handle shares: its host memory, its buffer on each device, and its
// coherence map. Everything but the constants is guarded by the owning TaskEngine's mutex.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/cl.hpp"
#include "tasks/coherence.hpp"
#include "tessera/element_type.hpp"

namespace tessera::detail {

class TaskEngine;

struct ArrayState {
  ArrayState(std::weak_ptr<TaskEngine> owner, const TaskEngine* owner_id, std::uint64_t number, std::size_t count,
             ElementType type, std::size_t devices, std::size_t nodes);
  ArrayState(const ArrayState&) = delete;
  ArrayState& operator=(const ArrayState&) = delete;
  ~ArrayState();

  std::weak_ptr<TaskEngine> owner;
  const TaskEngine* owner_id;  ///< which runtime made it, also once that runtime is gone
  std::uint64_t number;        ///< from 1, per runtime
  std::size_t count;
  ElementType type;
  std::size_t bytes;
  /// Page-aligned host memory: the host's copy, the staging area of transfers, and the memory
  /// that devices working in place use.
  unsigned char* host = nullptr;
  /// Per runtime device: its buffer over the whole array (created at first use, released when
  /// evicted), and when a command last used it (the engine's use clock: least recently used
  /// arrays are evicted first).
  std::vector<cl::Buffer> buffers;
  std::vector<std::uint64_t> last_use;
  /// Per runtime device working in place: whether a task wrote the array there since the host
  /// last synchronised with it (only then does a map have writes to make visible).
  std::vector<bool> written_in_place;
  Coherence coherence;
};

}  // namespace tessera::detail
