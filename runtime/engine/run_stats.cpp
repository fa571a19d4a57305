// RunStats: what a run measured.

#include <algorithm>

#include "tessera/run_stats.hpp"

namespace tessera {

double RunStats::balance() const noexcept {
  double sum = 0, worst = 0;
  std::size_t n = 0;
  for (const auto& d : devices) {
    if (d.chunks == 0) continue;
    sum += d.finished_s;
    worst = std::max(worst, d.finished_s);
    ++n;
  }
  return n == 0 || worst <= 0 ? 0.0 : sum / static_cast<double>(n) / worst;
}

}  // namespace tessera
