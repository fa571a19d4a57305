#pragma once
// Internal: where a task's launch runs. Policy only: it sees estimates, never queues or events.
//
// A launch too small to be worth splitting (fewer than split_items work-items per device, or a
// `single` schedule) goes whole to the device expected to finish it first: its queued work, the
// moment the launch's inputs are ready there, the transfers it would need, and the run time
// measured for the kernel (or estimated from compute units x clock). A larger launch is split
// into one chunk per device along a partition of the split dimension kept per (extent, devices):
// the same rows go to the same devices launch after launch (their data stays where it is), and
// the boundaries move by bounded steps when measured finish times diverge.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tessera/range.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {

/// What placement knows of one device of the launch's program.
struct DeviceOutlook {
  double power = 1;                  ///< compute units x clock
  std::optional<double> rate;        ///< work-items per second measured for the kernel here
  std::uint64_t backlog_ns = 0;      ///< estimated run time of the work queued here
  std::uint64_t inputs_ready_ns = 0;  ///< when the launch's inputs are expected to be ready here
  std::uint64_t missing_bytes = 0;   ///< inputs it lacks, if it ran the whole launch
};

struct LaunchShape {
  std::size_t extent = 0;           ///< indices of the split dimension
  std::size_t granule = 1;          ///< chunk boundaries are multiples of it
  std::size_t items_per_index = 1;
};

/// A chunk of the placement: `device` indexes the outlooks.
struct Placed {
  std::size_t device = 0;
  Chunk chunk;
  std::uint64_t estimate_ns = 0;  ///< expected run time
};

/// Work-items per device below which a launch is not split (automatic schedules).
inline constexpr std::size_t split_items = std::size_t{1} << 15;

class Placement {
 public:
  /// Chunks for a launch of `shape` on devices `outlooks` under `schedule`, `now_ns` on the host
  /// clock. `single` runs whole (on its device, or the earliest finish); `static` splits by its
  /// weights (or the devices' measured pace); `hguided` is automatic; `dynamic` splits as
  /// `static` does and cuts each device's share into chunks of its size.
  /// `device_set` names the set of devices (a bit per runtime device): partitions are kept per
  /// extent and device set.
  std::vector<Placed> place(const LaunchShape& shape, const Schedule& schedule,
                            const std::vector<DeviceOutlook>& outlooks, std::uint64_t device_set,
                            std::uint64_t now_ns);
  /// What split chunk `device` of a launch measured (its kernel's busy time): once every device of
  /// the partition has 3 measures, boundaries move halfway towards the measured pace (averaged)
  /// when the expected finish times differ by more than 30 % (noise must not move rows).
  void measured(std::size_t extent, std::uint64_t device_set, std::size_t device, std::size_t indices,
                double busy_s);

 private:
  struct Partition {
    std::vector<std::size_t> bounds;  ///< devices + 1 boundaries, from 0 to extent
    std::vector<double> pace;          ///< per device: indices per busy second (a moving average)
    std::vector<std::size_t> samples;  ///< per device: measures since the boundaries last moved
    std::size_t granule = 1;
  };
  std::vector<Placed> whole(const LaunchShape& shape, const std::vector<DeviceOutlook>& outlooks,
                            std::optional<std::size_t> device, std::uint64_t now_ns) const;
  std::vector<Placed> split(const LaunchShape& shape, const std::vector<DeviceOutlook>& outlooks,
                            const std::vector<double>& weights, std::uint64_t device_set, bool keep);
  std::map<std::pair<std::size_t, std::uint64_t>, Partition> partitions_;
};

/// Expected run time of `items` work-items on a device.
std::uint64_t estimate_ns(const DeviceOutlook& d, std::size_t items);

}  // namespace tessera::detail
