#pragma once
// Internal: what a command waits for, as the newest event of each in-order queue it depends on.
// Commands of an in-order queue finish in the order they were enqueued, so the newest event of a
// queue stands for every earlier one: a set never holds more events than there are queues.

#include <cstdint>
#include <vector>

#include "common/cl.hpp"

namespace tessera::detail {

/// An enqueued command: its queue (an index into the task engine's queues), its place in the
/// engine's enqueue order, and its event.
struct QueueEvent {
  std::size_t queue = 0;
  std::uint64_t sequence = 0;
  cl::Event event;
};

class EventSet {
 public:
  /// Adds `e`, or keeps the newer of it and the set's event of the same queue.
  void add(const QueueEvent& e) {
    for (QueueEvent& x : items_) {
      if (x.queue == e.queue) {
        if (e.sequence > x.sequence) x = e;
        return;
      }
    }
    items_.push_back(e);
  }
  void add(const EventSet& other) {
    for (const QueueEvent& e : other.items_) add(e);
  }
  void clear() noexcept { items_.clear(); }
  bool empty() const noexcept { return items_.empty(); }
  const std::vector<QueueEvent>& items() const noexcept { return items_; }
  /// The same newest command per queue (order aside).
  bool operator==(const EventSet& other) const noexcept {
    if (items_.size() != other.items_.size()) return false;
    for (const QueueEvent& e : items_) {
      bool found = false;
      for (const QueueEvent& o : other.items_) found = found || (o.queue == e.queue && o.sequence == e.sequence);
      if (!found) return false;
    }
    return true;
  }

 private:
  std::vector<QueueEvent> items_;
};

}  // namespace tessera::detail
