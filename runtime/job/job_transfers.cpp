// A job's bytes moved against the least its steps needed: the steps replayed, chunk by chunk on
// the devices they ran on, over a map of where each byte's newest version is.

#include "job/job_transfers.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>

namespace tessera {

double JobTransfers::ratio() const noexcept {
  const std::uint64_t least = minimum.total();
  const std::uint64_t all = moved.total();
  if (least == 0) return all == 0 ? 1.0 : std::numeric_limits<double>::infinity();
  return static_cast<double>(all) / static_cast<double>(least);
}

namespace detail {
namespace {

// Where a range of a buffer's bytes has its newest version: on the host (its initial contents,
// or what a device working in place or a reduction's fold wrote), and on which devices that copy.
struct Copies {
  bool host = true;
  std::vector<bool> device;  ///< per program device (only devices that copy are ever set)
  bool operator==(const Copies&) const = default;
};

// One buffer's bytes as segments of equal Copies.
class Versions {
 public:
  Versions(std::size_t bytes, std::size_t devices) : bytes_(bytes) {
    segments_.emplace(0, Copies{true, std::vector<bool>(devices, false)});
  }
  std::size_t bytes() const noexcept { return bytes_; }

  /// f(copies, bytes) for each segment of [lo, hi), split at both ends.
  template <typename F>
  void each(std::size_t lo, std::size_t hi, F&& f) {
    if (lo >= hi) return;
    split_at(lo);
    split_at(hi);
    for (auto it = segments_.find(lo); it != segments_.end() && it->first < hi; ++it) {
      const auto next = std::next(it);
      f(it->second, (next == segments_.end() ? bytes_ : next->first) - it->first);
    }
  }
  /// Neighbouring segments that hold the same copies merged.
  void coalesce() {
    for (auto it = segments_.begin(); it != segments_.end();) {
      const auto next = std::next(it);
      if (next != segments_.end() && next->second == it->second) {
        segments_.erase(next);
      } else {
        it = next;
      }
    }
  }

 private:
  void split_at(std::size_t pos) {
    if (pos >= bytes_) return;
    const auto it = std::prev(segments_.upper_bound(pos));  // the segment at 0 is always there
    if (it->first != pos) segments_.emplace_hint(std::next(it), pos, it->second);
  }

  std::size_t bytes_;
  std::map<std::size_t, Copies> segments_;
};

}  // namespace

// One repetition of a step replayed: what its chunks read, then the reductions folded on the
// host, then what the chunks wrote, as the task engine orders them. Adds what had to move to
// `least` (loads and read-backs).
class TransferReplay::Replay {
 public:
  Replay(const JobSpec& job, std::vector<bool> copies) : copies_(std::move(copies)) {
    for (const BufferSpec& b : job.buffers) arrays_.emplace_back(b.bytes(), copies_.size());
  }

  /// `array_of`: per buffer name, the array it names in this repetition (swaps).
  void repetition(const StepSpec& step, const RunStats& run, const LaunchSlices& slices,
                  const std::vector<std::size_t>& array_of) {
    const auto each_buffer = [&](auto&& f) {
      for (std::size_t i = 0; i < step.args.size(); ++i) {
        if (const auto* ref = std::get_if<BufferRef>(&step.args[i].arg)) {
          f(*ref, slices[i], arrays_[array_of[ref->index]]);
        }
      }
    };
    each_buffer([&](const BufferRef& ref, const auto& slice, Versions& v) {
      if (reads(ref)) read(slice, run, v);
    });
    each_buffer([&](const BufferRef& ref, const auto&, Versions& v) {
      if (private_copies(ref)) fold(v);
    });
    each_buffer([&](const BufferRef& ref, const auto& slice, Versions& v) {
      if (writes(ref)) write(*slice, run, v);
    });
    for (Versions& v : arrays_) v.coalesce();
  }

  /// Every buffer read back once at the end: what only devices hold.
  void read_back_all() {
    for (Versions& v : arrays_) {
      v.each(0, v.bytes(), [&](Copies& c, std::size_t n) {
        if (!c.host) least.read_back += n;
        c.host = true;
      });
    }
  }

  TransferBytes least;

 private:
  // Reduce and scatter buffers: every chunk writes a private copy, merged on the host.
  static bool private_copies(const BufferRef& ref) {
    return ref.role == BufferRef::Role::reduce || ref.role == BufferRef::Role::scatter;
  }
  static bool reads(const BufferRef& ref) { return !private_copies(ref) && ref.access != Access::write; }
  // A whole buffer is read-only; a halo is read-only; a reduction writes through its fold.
  static bool writes(const BufferRef& ref) { return ref.role == BufferRef::Role::split && ref.access != Access::read; }

  // What the chunks read: the slices (and halos) of split and halo buffers, all of a whole one.
  void read(const std::optional<BufferPlan>& slice, const RunStats& run, Versions& v) {
    for (const ChunkRecord& r : run.ledger) {
      const std::size_t d = r.chunk.device;
      const auto use = [&](std::size_t lo, std::size_t hi) {
        v.each(lo, hi, [&](Copies& c, std::size_t n) {
          if (copies_[d] && c.device[d]) return;  // it holds the newest version
          if (copies_[d] && c.host) least.load += n;
          // Held by devices only: staged through the host (a halo, as moved), which then holds it.
          c.host = true;
          if (copies_[d]) c.device[d] = true;
        });
      };
      if (!slice) {
        use(0, v.bytes());
      } else {
        slice->read_slab(r.chunk.offset, r.chunk.offset + r.chunk.size).for_each_run(use);
      }
    }
  }

  // A reduction folds its chunks' copies into the buffer on the host (a scatter buffer merges
  // them): what only devices hold is read back first; afterwards the host alone holds the result.
  void fold(Versions& v) {
    v.each(0, v.bytes(), [&](Copies& c, std::size_t n) {
      if (!c.host) least.read_back += n;
      c.host = true;
      std::fill(c.device.begin(), c.device.end(), false);
    });
  }

  void write(const BufferPlan& slice, const RunStats& run, Versions& v) {
    for (const ChunkRecord& r : run.ledger) {
      const std::size_t d = r.chunk.device;
      slice.own_slab(r.chunk.offset, r.chunk.offset + r.chunk.size).for_each_run([&](std::size_t lo, std::size_t hi) {
        v.each(lo, hi, [&](Copies& c, std::size_t) {
          std::fill(c.device.begin(), c.device.end(), false);
          c.host = !copies_[d];
          if (copies_[d]) c.device[d] = true;
        });
      });
    }
  }

  std::vector<bool> copies_;           ///< per program device: it copies (does not work in place)
  std::vector<Versions> arrays_;
};

TransferBytes moved_since(const std::vector<TransferBytes>& before, const std::vector<TransferBytes>& after) {
  TransferBytes sum;
  for (std::size_t d = 0; d < after.size() && d < before.size(); ++d) {
    sum.load += after[d].load - before[d].load;
    sum.halo += after[d].halo - before[d].halo;
    sum.read_back += after[d].read_back - before[d].read_back;
    sum.evict += after[d].evict - before[d].evict;
  }
  return sum;
}

TransferReplay::TransferReplay(const JobSpec& job) : job_(job), array_of_(job.buffers.size()) {
  std::iota(array_of_.begin(), array_of_.end(), std::size_t{0});
}
TransferReplay::~TransferReplay() = default;

LaunchSlices slices_of(const Launch& launch) {
  const NDRange offset = offset_of(launch);
  LaunchSlices out(launch.args().size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto* b = std::get_if<BufferArg>(&launch.args()[i]);
    if (b == nullptr || (b->role() != BufferArg::Role::split && b->role() != BufferArg::Role::halo)) continue;
    plan_slices(*b, launch.global(), offset, out[i].emplace(BufferPlan{i, *b}));
  }
  return out;
}

void TransferReplay::repetition(std::size_t step, const RunStats& run, const LaunchSlices& slices) {
  const StepSpec& spec = job_.steps.at(step);
  if (!in_place_ && !replay_ && !run.devices.empty()) {
    std::vector<bool> copies;
    for (const DeviceRunStats& d : run.devices) copies.push_back(!d.zero_copy);
    in_place_ = std::none_of(copies.begin(), copies.end(), [](bool c) { return c; });
    if (!in_place_) replay_ = std::make_unique<Replay>(job_, std::move(copies));
  }
  if (replay_) replay_->repetition(spec, run, slices, array_of_);
  if (spec.swap) std::swap(array_of_[spec.swap->first], array_of_[spec.swap->second]);
}

JobTransfers TransferReplay::result(const TransferBytes& moved) {
  JobTransfers out;
  out.moved = moved;
  out.minimum.halo = moved.halo;
  if (!replay_) return out;
  replay_->read_back_all();
  out.minimum.load = replay_->least.load;
  out.minimum.read_back = replay_->least.read_back;
  return out;
}

}  // namespace detail
}  // namespace tessera
