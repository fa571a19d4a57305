#include "engine/perf_history.hpp"

namespace tessera::detail {

std::optional<double> PerfHistory::rate(std::string_view kernel, std::string_view range,
                                        std::size_t device) const {
  std::lock_guard lock(mutex_);
  const auto it = rates_.find(std::tuple{std::string(kernel), std::string(range), device});
  if (it == rates_.end()) return std::nullopt;
  return it->second;
}

void PerfHistory::record(std::string_view kernel, std::string_view range, std::size_t device,
                         double items_per_second) {
  if (!(items_per_second > 0)) return;
  std::lock_guard lock(mutex_);
  auto [it, inserted] =
      rates_.try_emplace(std::tuple{std::string(kernel), std::string(range), device}, items_per_second);
  if (!inserted) it->second = 0.5 * (it->second + items_per_second);
}

}  // namespace tessera::detail
