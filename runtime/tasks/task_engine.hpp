#pragma once
// Internal: the task engine of a runtime. It owns the runtime's arrays' coherence and, per
// device, two in-order queues (kernels; transfers) that every task shares. A task is enqueued on
// the calling thread, at once: its chunks' transfers and kernels wait for what they depend on
// through event wait lists (the sub-devices of a device share a context), so the host never
// waits between tasks; only a dependency on another device (another context) makes the host
// wait for it before enqueueing. One mutex guards the coherence maps and the queues; completion callbacks
// never take it.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <span>
#include <vector>

#include "common/cl.hpp"
#include "engine/launch_plan.hpp"
#include "tasks/array_state.hpp"
#include "tasks/faults.hpp"
#include "tasks/placement.hpp"
#include "tasks/task_state.hpp"
#include "tessera/launch.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {

struct EngineDevice {
  Device device;
  cl::Context context;
  bool zero_copy = false;          ///< works on the arrays' host memory in place
  std::uint64_t memory_limit = 0;  ///< bytes of arrays it may hold
  std::uint64_t alloc_limit = 0;   ///< largest array it may hold
};

/// Where tasks find their observers and their numbers: the runtime's (which outlives every
/// use the engine makes of them: it closes the engine first).
struct EngineWatch {
  std::mutex* observers_mutex = nullptr;
  const std::vector<std::shared_ptr<Observer>>* observers = nullptr;
  std::atomic<std::uint64_t>* launches = nullptr;  ///< launch numbers, shared with host-array runs
};

class TaskEngine : public std::enable_shared_from_this<TaskEngine> {
 public:
  TaskEngine(std::vector<EngineDevice> devices, EngineWatch watch, Faults faults = {});
  TaskEngine(const TaskEngine&) = delete;
  TaskEngine& operator=(const TaskEngine&) = delete;

  /// An array of `count` elements: a copy of `data`, or zeros when it is null.
  std::shared_ptr<ArrayState> make_array(std::size_t count, ElementType type, const void* data);
  /// An array of `count` elements whose host memory `fill` writes (bytes of it), in place.
  std::shared_ptr<ArrayState> make_array(std::size_t count, ElementType type,
                                         const std::function<void(void*)>& fill);
  /// Enqueues `launch` (every buffer an array of this engine) and returns at once; a launch
  /// with a reduce or scatter buffer returns once it has finished and its copies are merged (a
  /// scatter buffer's array is first made valid on the host, its writers waited for). Throws
  /// Error(invalid_argument) for a launch that does not fit, Error(opencl) when enqueueing fails
  /// or a task whose data it needs failed, Error(write_conflict) when two parts changed an element
  /// of a scatter buffer to different values.
  std::shared_ptr<TaskState> submit(const Launch& launch, const Schedule& schedule);
  /// Whether `launch` (over arrays) runs as a task on the devices: false when it is windowed
  /// (tessera::window_base()) or when a device of its program that copies cannot hold its arrays
  /// together (its largest allocation, its memory); such a launch runs on the host's copies
  /// through the streaming windows of host-array launches instead.
  bool resident(const Launch& launch) const;
  /// Waits for the tasks `launch` runs after (Launch::after); throws Error(opencl) naming one that
  /// failed or was cancelled.
  void wait_after(const Launch& launch) const;
  /// A task that ran on the host's copies (see resident()) and ended: done, with `stats`.
  std::shared_ptr<TaskState> ran_on_host(const Launch& launch, RunStats stats);
  /// Host access (see ArrayBase::read_bytes and write_bytes).
  void read(ArrayState& array, void* out);
  /// The array's host copy, made valid (see ArrayBase::host_view).
  const void* host_view(ArrayState& array);
  void write(ArrayState& array, const void* data);
  /// Waits for every command enqueued and every completion callback; later calls throw
  /// Error(invalid_argument): the runtime is gone. Idempotent.
  void close() noexcept;
  /// Bytes moved so far, per runtime device.
  std::vector<TransferBytes> transfers() const;

  /// An array is destroyed: its buffers no longer count against its devices' memory. Takes no
  /// lock (an array may be released while the engine's mutex is held).
  void released(const ArrayState& array) noexcept;

  /// Completion callbacks: a part of `task` ended with `status`.
  void part_finished(TaskState& task, std::size_t part, cl_int status) noexcept;
  void callback_done() noexcept;

 private:
  struct Queues {
    cl::CommandQueue kernel, transfer;
  };
  struct Fetch;

  void require_open() const;
  /// Finishes `q` and waits (bounded) until the driver no longer holds its last event.
  static void drain(const cl::CommandQueue& q) noexcept;
  std::size_t node_of(std::size_t device) const { return devices_[device].zero_copy ? 0 : 1 + device; }
  std::size_t kernel_queue(std::size_t device) const { return 2 * device; }
  std::size_t transfer_queue(std::size_t device) const { return 2 * device + 1; }
  const cl::CommandQueue& queue(std::size_t q);
  const cl::Buffer& buffer(ArrayState& array, std::size_t device);
  cl::Kernel& kernel(const LaunchPlan& plan, std::size_t device);
  std::vector<cl::Event> wait_list(std::size_t q, const EventSet& deps) const;
  QueueEvent next(std::size_t q, cl::Event e) {
    unflushed_[q] = true;
    return {q, ++sequence_, std::move(e)};
  }
  /// Flushes queue `q` if a command was enqueued there (through next()) since it last was: a
  /// flush wakes the driver's threads even with nothing new to run.
  void flush(std::size_t q);

  /// Enqueues one copy on `device`'s transfer queue after `from`'s producer and `to`'s users;
  /// `to` becomes valid (produced by the copy), `from` is used by it.
  using Enqueue = std::function<cl_int(const cl::CommandQueue&, const std::vector<cl::Event>*, cl::Event*)>;
  QueueEvent transfer(std::size_t device, NodeCopy& from, NodeCopy& to, const char* call, const Enqueue& enqueue);
  /// The same for one command that copies several runs (a rectangular copy): each (from, to)
  /// pair is one run's copies.
  QueueEvent transfer(std::size_t device, std::span<const std::pair<NodeCopy*, NodeCopy*>> copies,
                      const char* call, const Enqueue& enqueue);
  /// Copies bytes [offset, offset + bytes) of `array` between the host and `device`'s own memory
  /// (`to_device`: host to device) through transfer().
  QueueEvent copy_between(ArrayState& array, std::size_t device, bool to_device, std::size_t offset,
                          std::size_t bytes, NodeCopy& from, NodeCopy& to);
  /// Copies bytes [offset, offset + bytes) of `array` from `source`'s buffer to `device`'s (one
  /// context), on `device`'s transfer queue.
  QueueEvent copy_on_device(ArrayState& array, std::size_t source, std::size_t device, std::size_t offset,
                            std::size_t bytes, NodeCopy& from, NodeCopy& to);
  /// Evicts least recently used arrays (not the task's own: pinned_) from `device` until `bytes`
  /// more fit its memory, or nothing is left to evict.
  void make_room(std::size_t device, std::uint64_t bytes);
  /// Releases `array`'s buffer on `device`: what only it holds is read back to the host first
  /// (reason evict); the host waits for the commands using the buffer.
  void evict(ArrayState& array, std::size_t device);
  /// Observers hear of `device`'s array memory now.
  void report_memory(std::size_t device);
  /// Another device of `device`'s context with its own valid copy of `s`, if any.
  std::optional<std::size_t> peer_holding(const Segment& s, std::size_t device) const;
  /// Makes the runs of `slab` (bytes of `array`) valid on `device`'s memory: one rectangular
  /// copy from the host when each run is one segment the host alone holds (a first load), else
  /// run by run through fetch(). What the chunk waits for goes to `waits`.
  void fetch_slab(ArrayState& array, std::size_t device, const Slab& slab, EventSet& waits, TaskState::Part& part,
                  bool observed);
  /// Makes [a, b) of `array` valid on `device`'s memory; what the chunk waits for goes to `waits`.
  void fetch(ArrayState& array, std::size_t device, std::size_t a, std::size_t b, EventSet& waits,
             TaskState::Part& part, bool observed);
  /// Observed tasks: the offset from `device`'s profiling clock to the host clock (measured once,
  /// a marker's completion against the host clock around it).
  std::int64_t clock_offset(std::size_t device);
  /// Makes [a, b) of `array` valid on the host (read back on the transfer queue of a device holding
  /// it); the host copy's producers go to `waits`, the copies made to `copies` if given.
  struct HostCopy {
    std::size_t device = 0;
    cl::Event event;
    std::uint64_t bytes = 0;
  };
  void gather_to_host(ArrayState& array, std::size_t a, std::size_t b, EventSet& waits, bool read_back,
                      TransferBytes* moved, std::vector<HostCopy>* copies = nullptr);
  /// The runtime's observers, now.
  std::vector<std::shared_ptr<Observer>> observers_now() const;
  /// "LABEL NAME" of a runtime device, as observers name it.
  std::string device_label(std::size_t device) const;
  /// Waits for `events`, which produce `array`'s copy; throws Error(opencl) naming the task that
  /// wrote it when one failed.
  void wait_events(const EventSet& events, ArrayState& array);
  /// Makes the host copy of `array` valid and visible (mutex_ held); returns it.
  const void* sync_host(ArrayState& array);
  std::vector<std::shared_ptr<ArrayState>> task_arrays(const LaunchPlan& plan) const;
  /// A part's private copy of a reduce or scatter buffer: on its device, then read back.
  struct PartCopy {
    std::size_t buffer = 0;  ///< index into the plan's buffers
    cl::Buffer device;
    std::vector<unsigned char> data;
  };
  /// Waits for `task`'s parts (throws Error(opencl) when one failed) and merges `copies` (per
  /// part) into the host copies of their arrays, which then alone are valid: reductions folded in
  /// part order; scatter buffers' changed elements over `before` (per buffer: the array's
  /// contents the copies started from), throwing Error(write_conflict) with every array as it
  /// was when two parts disagree.
  void merge_part_copies(TaskState& task, const LaunchPlan& plan, const std::vector<std::vector<PartCopy>>& copies,
                         const std::vector<std::shared_ptr<ArrayState>>& arrays,
                         const std::vector<std::vector<unsigned char>>& before);

  std::vector<EngineDevice> devices_;
  EngineWatch watch_;
  std::vector<std::optional<std::int64_t>> clock_offsets_;
  mutable std::mutex mutex_;  // guards everything below but the atomics and the model
  bool closed_ = false;
  std::vector<std::optional<Queues>> queues_;
  std::vector<bool> unflushed_;  ///< per queue (kernel_queue(), transfer_queue())
  std::vector<std::atomic<std::uint64_t>> resident_;  // per device: bytes of array buffers it holds
  std::vector<std::weak_ptr<ArrayState>> arrays_;     // every array made (the expired pruned)
  const std::vector<std::shared_ptr<ArrayState>>* pinned_ = nullptr;  // the arrays of the task enqueued
  std::uint64_t use_clock_ = 0;
  std::map<std::pair<const void*, std::string>, std::vector<cl::Kernel>> kernels_;
  std::vector<std::shared_ptr<const ProgramHandle>> programs_;  // keep the kernels' programs
  std::deque<std::shared_ptr<TaskState>> unsettled_;  // in submission order
  std::uint64_t submissions_ = 0;
  std::uint64_t sequence_ = 0;
  std::uint64_t arrays_made_ = 0;
  std::vector<TransferBytes> moved_;
  Faults faults_;

  // What callbacks update; model_mutex_ is taken after mutex_, never around a wait.
  mutable std::mutex model_mutex_;
  Placement placement_;
  std::map<std::pair<std::string, std::size_t>, double> rates_;  // (kernel, device): items per second
  std::vector<std::atomic<std::int64_t>> backlog_ns_;            // per device

  std::mutex callbacks_mutex_;
  std::condition_variable callbacks_cv_;
  std::size_t callbacks_ = 0;  // registered, not yet run
};

}  // namespace tessera::detail
