// RunTotals: runs' statistics summed as they end.

#include <algorithm>

#include "tessera/jobs.hpp"

namespace tessera {
namespace {

// `from`'s sums added to `to` (the same device).
void add_device(DeviceRunStats& to, const DeviceRunStats& from) {
  to.chunks += from.chunks;
  to.items += from.items;
  to.busy_s += from.busy_s;
  to.finished_s += from.finished_s;
  to.bytes_in += from.bytes_in;
  to.bytes_out += from.bytes_out;
  to.moved += from.moved;
}

// Sums of `from`'s devices added to `to`'s, by position; devices `to` lacks are taken as they are.
void add_devices(std::vector<DeviceRunStats>& to, const std::vector<DeviceRunStats>& from) {
  for (std::size_t d = 0; d < from.size(); ++d) {
    if (d == to.size()) {
      to.push_back(from[d]);
    } else {
      add_device(to[d], from[d]);
    }
  }
}

// The earlier of two host clock readings, 0 standing for none.
std::uint64_t earliest(std::uint64_t a, std::uint64_t b) noexcept { return a == 0 ? b : b == 0 ? a : std::min(a, b); }

}  // namespace

void RunTotals::add(const RunStats& run) {
  ++runs;
  items += run.items;
  wall_s += run.wall_s;
  balance_sum += run.balance();
  submitted_ns = earliest(submitted_ns, run.submitted_ns);
  ended_ns = std::max(ended_ns, run.ended_ns);
  add_devices(devices, run.devices);
}

RunTotals& RunTotals::operator+=(const RunTotals& other) {
  runs += other.runs;
  items += other.items;
  wall_s += other.wall_s;
  balance_sum += other.balance_sum;
  submitted_ns = earliest(submitted_ns, other.submitted_ns);
  ended_ns = std::max(ended_ns, other.ended_ns);
  add_devices(devices, other.devices);
  return *this;
}

}  // namespace tessera
