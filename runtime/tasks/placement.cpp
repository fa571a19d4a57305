// Placement: whole launches by earliest expected finish, split launches along kept partitions.

#include "tasks/placement.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tessera::detail {
namespace {

constexpr double bytes_per_ns = 4.0;            // a transfer's assumed bandwidth (4 GB/s)
constexpr double items_per_power_s = 1.0e4;     // unmeasured devices: items/s per unit of power

// Boundaries of `extent` indices cut proportionally to `weights`, multiples of `granule` (the
// last reaches extent).
std::vector<std::size_t> cut(std::size_t extent, std::size_t granule, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::size_t> bounds{0};
  double acc = 0;
  for (std::size_t d = 0; d + 1 < weights.size(); ++d) {
    acc += weights[d];
    const double at = sum > 0 ? acc / sum * static_cast<double>(extent) : 0;
    std::size_t b = static_cast<std::size_t>(std::llround(at / static_cast<double>(granule))) * granule;
    bounds.push_back(std::clamp(b, bounds.back(), extent));
  }
  bounds.push_back(extent);
  return bounds;
}

}  // namespace

std::uint64_t estimate_ns(const DeviceOutlook& d, std::size_t items) {
  const double rate = d.rate ? *d.rate : std::max(d.power, 1.0) * items_per_power_s;
  return static_cast<std::uint64_t>(static_cast<double>(items) / rate * 1e9);
}

std::vector<Placed> Placement::place(const LaunchShape& shape, const Schedule& schedule,
                                     const std::vector<DeviceOutlook>& outlooks, std::uint64_t device_set,
                                     std::uint64_t now_ns) {
  const std::size_t n = outlooks.size();
  const std::size_t items = shape.extent * shape.items_per_index;
  if (const auto* single = std::get_if<policy::Single>(&schedule.policy())) {
    if (single->device != policy::Single::fastest) return whole(shape, outlooks, single->device, now_ns);
    return whole(shape, outlooks, std::nullopt, now_ns);
  }
  const bool splittable = n > 1 && shape.extent >= 2 * shape.granule;
  if (const auto* st = std::get_if<policy::Static>(&schedule.policy()); st != nullptr && splittable) {
    if (!st->weights.empty()) return split(shape, outlooks, st->weights, device_set, false);
    std::vector<double> w;
    for (const auto& d : outlooks) w.push_back(d.rate ? *d.rate : d.power * items_per_power_s);
    return split(shape, outlooks, w, device_set, true);
  }
  const auto* dynamic = std::get_if<policy::Dynamic>(&schedule.policy());
  if (dynamic == nullptr && (!splittable || items < split_items * n)) {
    return whole(shape, outlooks, std::nullopt, now_ns);
  }
  std::vector<double> w;
  for (const auto& d : outlooks) w.push_back(d.rate ? *d.rate : d.power * items_per_power_s);
  std::vector<Placed> shares = n > 1 ? split(shape, outlooks, w, device_set, true)
                                     : whole(shape, outlooks, std::nullopt, now_ns);
  if (dynamic == nullptr || dynamic->chunk == 0) return shares;
  // dynamic: each device's share in chunks of the policy's size (their transfers overlap the
  // kernels before them), in order.
  const std::size_t size = std::max(dynamic->chunk / shape.granule, std::size_t{1}) * shape.granule;
  std::vector<Placed> out;
  for (const Placed& share : shares) {
    for (std::size_t at = share.chunk.offset; at < share.chunk.offset + share.chunk.size; at += size) {
      const std::size_t piece = std::min(size, share.chunk.offset + share.chunk.size - at);
      out.push_back({share.device, {at, piece, share.device, out.size()},
                     estimate_ns(outlooks[share.device], piece * shape.items_per_index)});
    }
  }
  return out;
}

std::vector<Placed> Placement::whole(const LaunchShape& shape, const std::vector<DeviceOutlook>& outlooks,
                                     std::optional<std::size_t> device, std::uint64_t now_ns) const {
  const std::size_t items = shape.extent * shape.items_per_index;
  if (device) return {{*device, {0, shape.extent, *device, 0}, estimate_ns(outlooks[*device], items)}};
  std::size_t best = 0;
  double best_finish = std::numeric_limits<double>::infinity();
  for (std::size_t d = 0; d < outlooks.size(); ++d) {
    const DeviceOutlook& o = outlooks[d];
    const double start = std::max({static_cast<double>(now_ns + o.backlog_ns), static_cast<double>(o.inputs_ready_ns)});
    const double finish = start + static_cast<double>(o.missing_bytes) / bytes_per_ns +
                          static_cast<double>(estimate_ns(o, items));
    if (finish < best_finish) best = d, best_finish = finish;
  }
  return {{best, {0, shape.extent, best, 0}, estimate_ns(outlooks[best], items)}};
}

std::vector<Placed> Placement::split(const LaunchShape& shape, const std::vector<DeviceOutlook>& outlooks,
                                     const std::vector<double>& weights, std::uint64_t device_set, bool keep) {
  std::vector<std::size_t> bounds;
  if (keep) {
    auto [it, fresh] = partitions_.try_emplace({shape.extent, device_set});
    if (fresh || it->second.bounds.size() != weights.size() + 1) {
      it->second.bounds = cut(shape.extent, shape.granule, weights);
      it->second.pace.assign(weights.size(), 0.0);
      it->second.samples.assign(weights.size(), 0);
      it->second.granule = shape.granule;
    }
    bounds = it->second.bounds;
    // Kept for launches of another work-group size: its bounds rounded down to this one's, so
    // that no chunk cuts a work-group (the extent is a multiple of it).
    if (shape.granule != it->second.granule) {
      for (std::size_t d = 1; d + 1 < bounds.size(); ++d) bounds[d] = bounds[d] / shape.granule * shape.granule;
    }
  } else {
    bounds = cut(shape.extent, shape.granule, weights);
  }
  std::vector<Placed> out;
  for (std::size_t d = 0; d + 1 < bounds.size(); ++d) {
    if (bounds[d + 1] == bounds[d]) continue;
    const std::size_t size = bounds[d + 1] - bounds[d];
    out.push_back({d, {bounds[d], size, d, out.size()}, estimate_ns(outlooks[d], size * shape.items_per_index)});
  }
  return out;
}

void Placement::measured(std::size_t extent, std::uint64_t device_set, std::size_t device, std::size_t indices,
                         double busy_s) {
  const auto it = partitions_.find({extent, device_set});
  if (it == partitions_.end() || busy_s <= 0 || device >= it->second.pace.size()) return;
  Partition& p = it->second;
  const double pace = static_cast<double>(indices) / busy_s;
  p.pace[device] = p.samples[device] == 0 ? pace : 0.5 * p.pace[device] + 0.5 * pace;
  ++p.samples[device];
  if (std::any_of(p.samples.begin(), p.samples.end(), [](std::size_t k) { return k < 3; })) return;
  // Expected finish of each device's share at its pace; move only when they diverge.
  double slowest = 0, fastest = std::numeric_limits<double>::infinity();
  for (std::size_t d = 0; d < p.pace.size(); ++d) {
    const double t = static_cast<double>(p.bounds[d + 1] - p.bounds[d]) / p.pace[d];
    slowest = std::max(slowest, t), fastest = std::min(fastest, t);
  }
  std::fill(p.samples.begin(), p.samples.end(), 0);
  if (slowest <= 1.3 * fastest) return;
  const std::size_t granule = p.granule;
  const std::vector<std::size_t> target = cut(extent, granule, p.pace);
  for (std::size_t d = 1; d + 1 < p.bounds.size(); ++d) {
    const std::size_t halfway = (p.bounds[d] + target[d]) / 2 / granule * granule;
    p.bounds[d] = std::clamp(halfway, p.bounds[d - 1], extent);
  }
}

}  // namespace tessera::detail
