#pragma once
// Scheduling policies. A policy is a small value type with one decision: how many indices of
// the split dimension the next chunk for a device gets. Queues, events, data movement and
// retries live in the executor, not here.
//
//   rt.run(launch, tessera::Schedule::hguided());
//   rt.run(launch, tessera::Schedule::dynamic(4096));
//   rt.run(launch, tessera::Schedule::static_split({3, 1}));

#include <cstddef>
#include <string_view>
#include <variant>
#include <vector>

namespace tessera {

/// What a policy may look at when it decides. Vectors hold one entry per device of the run.
struct ScheduleState {
  std::size_t total = 0;      ///< indices of the split dimension in the launch
  std::size_t remaining = 0;  ///< indices not yet handed out
  std::size_t devices = 0;    ///< devices in the run
  std::size_t granule = 1;    ///< decisions are rounded up to multiples of it (whole work-groups)
  /// Device speeds on one common scale: indices per second measured in this run, or from the
  /// program's earlier runs of the kernel, or (until a device is measured) estimated from
  /// compute units x clock and rescaled to the measured devices. Any positive scale.
  const std::vector<double>* power = nullptr;
  const std::vector<bool>* measured = nullptr;  ///< whether power[i] comes from measurement
  const std::vector<std::size_t>* chunks_taken = nullptr;
  const std::vector<std::size_t>* outstanding = nullptr;  ///< indices handed out, not finished
  /// False for a device that has left the run: it was refused a chunk with none outstanding.
  const std::vector<bool>* active = nullptr;
};

namespace policy {

/// The whole range on one device.
struct Single {
  std::size_t device = 0;
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;
};

/// One chunk per device, proportional to `weights` (default: device powers).
struct Static {
  std::vector<double> weights;
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;
};

/// Equal chunks of `chunk` indices, pulled by whichever device is free.
struct Dynamic {
  std::size_t chunk = 0;
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;
};

/// Guided self-scheduling weighted by power:
/// chunk = max(min_chunk, remaining * power_i / (k * sum(power))).
/// A device slower than the fastest never starts a chunk it is not expected to finish before
/// the other devices would finish all the rest without it (with a safety factor of 1.5 on a
/// measured power, 4 on an estimate): so a very slow device takes a share it can finish, or
/// nothing, and never makes the others wait at the end. The fastest device still in the run is
/// never refused.
struct HGuided {
  std::size_t min_chunk = 0;  ///< 0: total / (16 * devices), at least 1
  double k = 2.0;
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;
};

}  // namespace policy

class Schedule {
 public:
  using Policy = std::variant<policy::Single, policy::Static, policy::Dynamic, policy::HGuided>;

  static Schedule single(std::size_t device = 0) { return Schedule(policy::Single{device}); }
  static Schedule static_split(std::vector<double> weights = {}) {
    return Schedule(policy::Static{std::move(weights)});
  }
  static Schedule dynamic(std::size_t chunk) { return Schedule(policy::Dynamic{chunk}); }
  static Schedule hguided(std::size_t min_chunk = 0, double k = 2.0) {
    return Schedule(policy::HGuided{min_chunk, k});
  }

  /// "single", "static", "dynamic" or "hguided".
  std::string_view name() const noexcept;
  const Policy& policy() const noexcept { return policy_; }
  /// The policy's decision, unrounded; 0 means "nothing for this device".
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;

  /// Chunks in flight per device (pipelining); at least 1.
  std::size_t pipeline = 2;

 private:
  explicit Schedule(Policy p) : policy_(std::move(p)) {}
  Policy policy_;
};

}  // namespace tessera
