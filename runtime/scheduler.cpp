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
  return d == device ? s.remaining : 0;
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
  const std::size_t floor_chunk =
      min_chunk > 0 ? min_chunk : std::max<std::size_t>(1, s.total / (16 * std::max<std::size_t>(s.devices, 1)));
  const double guided = static_cast<double>(s.remaining) * share(p, d) / std::max(k, 1.0);
  std::size_t chunk = std::max(floor_chunk, static_cast<std::size_t>(guided));
  // Refuse only a device slower than another one still in the run.
  const std::vector<bool>& active = *s.active;
  bool slower = false;
  double total_power = p[d];
  double others_work = static_cast<double>(s.remaining);  // if this device takes nothing more
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (i == d || !active[i]) continue;
    slower = slower || p[i] > p[d];
    total_power += p[i];
    others_work += static_cast<double>((*s.outstanding)[i]);
  }
  if (!slower) return chunk;
  if (p[d] <= 0) return 0;
  const double others_power = total_power - p[d];
  const double own = static_cast<double>((*s.outstanding)[d]);
  // The chunk after which this device and the others would finish together.
  const double even = (p[d] * others_work - own * others_power) / total_power;
  const std::size_t granule = std::max<std::size_t>(s.granule, 1);
  chunk = std::min(chunk, std::max(granule, static_cast<std::size_t>(std::max(even, 0.0))));
  chunk = (chunk + granule - 1) / granule * granule;
  const double caution = (*s.measured)[d] ? 1.5 : 4.0;
  const double finish = caution * (own + static_cast<double>(chunk)) / p[d];
  return finish <= others_work / others_power ? chunk : 0;
}

}  // namespace policy

std::string_view Schedule::name() const noexcept {
  static constexpr std::string_view names[] = {"single", "static", "dynamic", "hguided"};
  return names[policy_.index()];
}

std::size_t Schedule::next_chunk(const ScheduleState& s, std::size_t device) const {
  return std::visit([&](const auto& p) { return p.next_chunk(s, device); }, policy_);
}

}  // namespace tessera
