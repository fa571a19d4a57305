#pragma once
// Scheduling policies. A policy is a small value type with one decision: how many indices of
// the split dimension the next chunk for a device gets. Queues, events, data movement and
// retries live in the executor, not here.
//
//   rt.run(launch, tessera::Schedule::hguided());
//   rt.run(launch, tessera::Schedule::dynamic(4096));
//   rt.run(launch, tessera::Schedule::static_split({3, 1}));

#include <cstddef>
#include <span>
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
  std::size_t items_per_index = 1;  ///< work-items in one index of the split dimension
  /// Device speeds: for `static` without weights, indices per second its earlier runs of the
  /// launch measured; else estimates from compute units x clock. Any positive scale.
  const std::vector<double>* power = nullptr;
  const std::vector<std::size_t>* chunks_taken = nullptr;
  const std::vector<std::size_t>* outstanding = nullptr;  ///< indices handed out, not finished
  /// False for a device that has left the run: it was refused a chunk with none outstanding.
  const std::vector<bool>* active = nullptr;
  /// True for a device that works on host memory in place: cutting its work into chunks
  /// overlaps no transfers.
  const std::vector<bool>* zero_copy = nullptr;
};

namespace policy {

/// The whole range on one device: `device`, or by default the fastest by power (the first of
/// equals).
struct Single {
  static constexpr std::size_t fastest = static_cast<std::size_t>(-1);
  std::size_t device = fastest;
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;
};

/// One chunk per device, proportional to `weights`. Without weights: the first run of a launch
/// (kernel and global range) uses estimated powers (compute units x clock); every later run of
/// it re-weights the devices by the pace each kept on its own chunk in the runs before
/// (work-items per busy second, averaged over runs), so repeated runs converge to balance.
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
/// chunk = max(min_chunk, remaining * min(power_i / sum(power), 1 / devices) / k)
/// (a share above an equal one is not trusted: it would let an overrated device make the others
/// wait). A device slower than another one still in the run never starts a chunk it is not
/// expected to finish before the others would finish all the rest without it (with a safety
/// factor of 2 on its power): a very slow device takes a share it
/// can finish, or nothing, and never makes the others wait at the end. Powers come from
/// estimates, not from measurement within the run: on irregular kernels the pace of a chunk
/// says more about where it lies than about the device. A zero-copy device left alone in the
/// run takes all the rest at once (chunks would overlap nothing).
struct HGuided {
  /// 0: total / (16 * devices), and at least 4096 work-items (a smaller chunk costs more to
  /// hand out than it saves)
  std::size_t min_chunk = 0;
  double k = 4.0;  ///< larger: smaller chunks, more of them; 4 keeps irregular kernels balanced
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;
};

}  // namespace policy

class Schedule {
 public:
  using Policy = std::variant<policy::Single, policy::Static, policy::Dynamic, policy::HGuided>;

  static Schedule single(std::size_t device = policy::Single::fastest) {
    return Schedule(policy::Single{device});
  }
  static Schedule static_split(std::vector<double> weights = {}) {
    return Schedule(policy::Static{std::move(weights)});
  }
  static Schedule dynamic(std::size_t chunk) { return Schedule(policy::Dynamic{chunk}); }
  static Schedule hguided(std::size_t min_chunk = 0, double k = 4.0) {
    return Schedule(policy::HGuided{min_chunk, k});
  }

  /// "single", "static", "dynamic" or "hguided".
  std::string_view name() const noexcept;
  /// Every policy's name, in the order of Policy's alternatives.
  static std::span<const std::string_view> names() noexcept;
  const Policy& policy() const noexcept { return policy_; }
  /// The policy's decision, unrounded; 0 means "nothing for this device".
  std::size_t next_chunk(const ScheduleState& s, std::size_t device) const;

  /// Chunks in flight per device (pipelining): 1 to max_pipeline.
  std::size_t pipeline = 2;

  static constexpr std::size_t max_pipeline = 64;
  /// The most chunks a launch is cut into: a run records every chunk, so a schedule that would cut
  /// more (dynamic with a tiny chunk over a huge range) is refused.
  static constexpr std::size_t max_chunks = std::size_t{1} << 20;

 private:
  explicit Schedule(Policy p) : policy_(std::move(p)) {}
  Policy policy_;
};

}  // namespace tessera
