#pragma once
// Internal: the coherence map of one array: for each run of elements, which memory nodes hold a
// valid copy, the command each valid copy waits for (`ready`), and the commands that still use
// each node's copy (`busy`: what must finish before that copy is overwritten). Node 0 is the
// host (and every device working on host memory in place); node 1 + d is device d's own memory.
// The map is a sorted set of segments covering [0, count); neighbours in the same state are
// merged, so a launch split over k devices leaves about k segments.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "tasks/event_set.hpp"

namespace tessera::detail {

struct TaskState;

struct NodeCopy {
  bool valid = false;
  EventSet ready;  ///< the command that produced this copy (empty: it is there now)
  EventSet busy;   ///< commands reading or writing this copy (includes `ready`)
  bool operator==(const NodeCopy&) const = default;
};

struct Segment {
  std::vector<NodeCopy> nodes;
  /// The task that last wrote these elements (none: host data), to name it when it failed.
  std::weak_ptr<TaskState> writer;
  std::uint64_t writer_number = 0;
  bool same_state(const Segment& o) const { return nodes == o.nodes && writer_number == o.writer_number; }
};

class Coherence {
 public:
  using Map = std::map<std::size_t, Segment>;
  using Iterator = Map::iterator;

  /// `count` elements valid on the host only.
  Coherence(std::size_t count, std::size_t nodes);

  /// The segments covering [a, b) exactly (split at a and b as needed).
  std::pair<Iterator, Iterator> range(std::size_t a, std::size_t b);
  /// One past the last element of `it`'s segment.
  std::size_t end_of(Iterator it) const;
  /// Merges neighbouring segments in the same state in and around [a, b).
  void coalesce(std::size_t a, std::size_t b);
  std::size_t nodes() const noexcept { return nodes_; }
  std::size_t count() const noexcept { return count_; }
  std::size_t segments() const noexcept { return map_.size(); }

 private:
  Iterator split(std::size_t at);
  std::size_t count_;
  std::size_t nodes_;
  Map map_;
};

}  // namespace tessera::detail
