#pragma once
// Internal: what a program's runs measured per (kernel, global range, device): work-items per
// busy second. `static` without weights sizes its chunks from it: each run of the same launch
// re-weights the devices by the pace they kept on their own chunks in the runs before. Safe to
// call from every thread.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace tessera::detail {

class PerfHistory {
 public:
  /// Work-items per second of `kernel` over the range `range` on `device` (an index into the
  /// program's devices), if a run measured it.
  std::optional<double> rate(std::string_view kernel, std::string_view range, std::size_t device) const;

  /// Adds a measurement: the first is kept as is, later ones are averaged with the history
  /// (equal weights), so one disturbed run moves it only halfway.
  void record(std::string_view kernel, std::string_view range, std::size_t device,
              double items_per_second);

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, std::size_t>, double, std::less<>> rates_;
};

}  // namespace tessera::detail
