// The coherence map's segments: splitting at boundaries and merging neighbours.

#include "tasks/coherence.hpp"

#include <iterator>

namespace tessera::detail {

Coherence::Coherence(std::size_t count, std::size_t nodes) : count_(count), nodes_(nodes) {
  Segment s;
  s.nodes.resize(nodes);
  s.nodes[0].valid = true;
  map_.emplace(0, std::move(s));
}

Coherence::Iterator Coherence::split(std::size_t at) {
  if (at >= count_) return map_.end();
  auto it = map_.upper_bound(at);
  --it;  // the segment holding `at`: there is always one starting at 0
  if (it->first == at) return it;
  return map_.emplace_hint(std::next(it), at, it->second);
}

std::pair<Coherence::Iterator, Coherence::Iterator> Coherence::range(std::size_t a, std::size_t b) {
  const Iterator first = split(a);
  const Iterator last = split(b);
  return {first, last};
}

std::size_t Coherence::end_of(Iterator it) const {
  const auto next = std::next(it);
  return next == map_.end() ? count_ : next->first;
}

void Coherence::coalesce(std::size_t a, std::size_t b) {
  auto it = map_.upper_bound(a);
  if (it != map_.begin()) --it;
  if (it != map_.begin()) --it;
  while (it != map_.end()) {
    const auto next = std::next(it);
    if (next == map_.end() || it->first > b) break;
    if (it->second.same_state(next->second)) {
      map_.erase(next);
    } else {
      it = next;
    }
  }
}

}  // namespace tessera::detail
