// Scheduling policies: each decides the size of a device's next chunk, nothing else.

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tessera/scheduler.hpp"

namespace tessera {
namespace policy {
namespace {

double share(const std::vector<double>& weights, std::size_t device) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  return sum > 0 && device < weights.size() ? weights[device] / sum : 0.0;
}

}  // namespace

std::size_t Single::next_chunk(const ScheduleState& s, std::size_t d) const {
  const std::vector<double>& p = *s.power;
  const std::size_t chosen =
      device != fastest ? device : static_cast<std::size_t>(std::max_element(p.begin(), p.end()) - p.begin());
  return d == chosen ? s.remaining : 0;
}

std::size_t Static::next_chunk(const ScheduleState& s, std::size_t d) const {
  const std::vector<double>& w = weights.empty() ? *s.power : weights;
  if ((*s.chunks_taken)[d] > 0 || w[d] <= 0) return 0;
  std::size_t without_chunk = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (w[i] > 0 && (*s.chunks_taken)[i] == 0) ++without_chunk;
  }
  if (without_chunk == 1) return s.remaining;  // the last device takes what rounding left
  const double wanted = static_cast<double>(s.total) * share(w, d);
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(wanted)));
}

std::size_t Dynamic::next_chunk(const ScheduleState&, std::size_t) const {
  return std::max<std::size_t>(chunk, 1);
}

std::size_t HGuided::next_chunk(const ScheduleState& s, std::size_t d) const {
  const std::vector<double>& p = *s.power;
  const std::vector<bool>& active = *s.active;
  // Sums over the devices still in the run (a device that left has no say in the shares).
  std::size_t peers = 1;  // devices in the run at least 1/16 as fast as this one, itself included
  bool slower = false;    // than another device in the run
  double total_power = p[d];
  double others_work = static_cast<double>(s.remaining);  // if this device takes nothing more
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i == d || !active[i]) continue;
    if (16 * p[i] >= p[d]) ++peers;
    slower = slower || p[i] > p[d];
    total_power += p[i];
    others_work += static_cast<double>((*s.outstanding)[i]);
  }
  if (total_power == p[d] && (*s.zero_copy)[d]) return s.remaining;  // alone, nothing to overlap
  const std::size_t least = (4096 + s.items_per_index - 1) / std::max<std::size_t>(s.items_per_index, 1);
  const std::size_t floor_chunk = min_chunk > 0 ? min_chunk : std::max(least, s.total / (16 * peers));
  // A power share above an equal one among peers is not trusted: a device whose power is
  // overrated would otherwise take a chunk that makes the others wait.
  const double weight = std::min(total_power > 0 ? p[d] / total_power : 0.0, 1.0 / static_cast<double>(peers));
  const double guided = static_cast<double>(s.remaining) * weight / std::max(k, 1.0);
  std::size_t chunk = std::max(floor_chunk, static_cast<std::size_t>(guided));
  if (!slower) return chunk;  // the fastest device in the run is never refused
  if (p[d] <= 0) return 0;

  // When the others would be done with everything left if this device took nothing more; it
  // takes only what it finishes by then at half its estimated power, in whole granules.
  const double horizon = others_work / (total_power - p[d]);
  const double budget = p[d] * horizon / 2.0 - static_cast<double>((*s.outstanding)[d]);
  const auto granule = static_cast<double>(std::max<std::size_t>(s.granule, 1));
  if (budget < granule) return 0;
  const auto affordable = static_cast<std::size_t>(std::floor(budget / granule) * granule);
  return std::min(chunk, affordable);
}

}  // namespace policy

namespace {
constexpr std::string_view policy_names[] = {"single", "static", "dynamic", "hguided"};
static_assert(std::size(policy_names) == std::variant_size_v<Schedule::Policy>);
}  // namespace

std::string_view Schedule::name() const noexcept { return policy_names[policy_.index()]; }

std::span<const std::string_view> Schedule::names() noexcept { return policy_names; }

std::size_t Schedule::next_chunk(const ScheduleState& s, std::size_t device) const {
  return std::visit([&](const auto& p) { return p.next_chunk(s, device); }, policy_);
}

}  // namespace tessera
