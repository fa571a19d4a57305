#pragma once
// Internal: what a program's runs measured per (kernel, device): work-items per busy second.
// Schedulers start the next run of the kernel from it instead of estimating. Safe to call from
// every thread.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::detail {

class PerfHistory {
 public:
  /// Work-items per second of `kernel` on `device` (an index into the program's devices), if
  /// a run measured it.
  std::optional<double> rate(std::string_view kernel, std::size_t device) const;

  /// Adds a measurement: the first is kept as is, later ones are averaged with the history
  /// (equal weights), so one disturbed run moves it only halfway.
  void record(std::string_view kernel, std::size_t device, double items_per_second);

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::size_t>, double, std::less<>> rates_;
};

}  // namespace tessera::detail
