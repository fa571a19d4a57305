#pragma once
// Internal: one task (a launch over arrays) from its submission to its completion: its chunks'
// commands, and what completion callbacks count. A task keeps the arrays it uses alive until its
// commands have finished.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/cl.hpp"
#include "tasks/event_set.hpp"
#include "tessera/array.hpp"
#include "tessera/observer.hpp"
#include "tessera/range.hpp"
#include "tessera/run_stats.hpp"

namespace tessera::detail {

class TaskEngine;

struct TaskState {
  /// One chunk: its kernel on one device, and the transfers that brought what it lacked.
  struct Part {
    std::size_t device = 0;  ///< runtime device index
    std::size_t program_device = 0;  ///< index into the program's devices (RunStats::devices)
    Chunk chunk;
    QueueEvent kernel_event;
    std::uint64_t estimate_ns = 0;  ///< what placement expected it to take
    TransferBytes moved;           ///< what its transfers moved
    /// Observed tasks only: the copies that brought its inputs. And the offset from its device's
    /// profiling clock to the host clock.
    struct Copy {
      cl::Event event;
      std::uint64_t bytes = 0;
      TransferReason reason = TransferReason::load;
    };
    std::vector<Copy> writes;
    std::int64_t clock_offset_ns = 0;
    int injected = 0;  ///< an injected fault: the status its command ends with (see faults.hpp)
  };

  /// Why a task's results are not to be used: it failed, it was cancelled, or a task whose data
  /// it needs did (the root: the first such task).
  struct Cause {
    std::string root;  ///< "task N 'kernel'"
    int status = 0;    ///< the failure's status; 0 when cancelled
    std::string device;  ///< where it failed: "device 1 'name'"
    bool cancelled() const noexcept { return status == 0; }
    /// "failed on device 1 'name' (CL_OUT_OF_RESOURCES)" or "was cancelled".
    std::string what() const;
  };

  std::uint64_t number = 0;            ///< from 1, per runtime
  std::string kernel;
  NDRange global{1};
  std::uint64_t submit_ns = 0;
  std::vector<Device> devices;  ///< the program's devices
  std::vector<bool> zero_copy;  ///< per program device
  std::uint64_t device_set = 0;  ///< a bit per runtime device of the program (placement's key)
  std::vector<Part> parts;
  /// A launch that ran on the host's copies of its arrays (TaskEngine::resident): no parts; what
  /// that run measured.
  std::optional<RunStats> ran_on_host;
  std::vector<ArrayBase> arrays;  ///< kept alive while commands use them
  /// Tasks whose data this one reads, and those it runs after: held until it is settled.
  std::vector<std::shared_ptr<TaskState>> producers;
  std::vector<std::uint64_t> depends_on;  ///< observed tasks: the producers' numbers

  std::weak_ptr<TaskEngine> engine;         ///< to account parts wait() finds finished first
  std::unique_ptr<std::atomic<bool>[]> counted;  ///< per part: its completion was accounted
  std::atomic<std::size_t> pending{0};      ///< parts whose kernel has not completed
  std::atomic<std::size_t> done_indices{0};  ///< indices of the split dimension completed
  std::atomic<int> failure{0};              ///< the first negative execution status seen
  std::atomic<std::size_t> failed_part{0};  ///< the part it was seen on
  std::atomic<std::uint64_t> complete_ns{0};
  std::atomic<bool> cancel_requested{false};
  std::atomic<bool> settled{false};  ///< every part counted, the cause decided (set once)
  std::mutex settle_mutex;           ///< guards settling, `producers` after submission, `cause`
  std::shared_ptr<const Cause> cause;  ///< set when settled with a cause
  /// Who watches (the runtime's observers at submission): they hear of its chunks and its end
  /// once it is settled (waited for, read, or passed by later submissions).
  std::vector<std::shared_ptr<Observer>> observers;

  /// "task N 'kernel'".
  std::string name() const;
  bool failed() const noexcept { return failure.load(std::memory_order_acquire) < 0; }
  bool done() const noexcept { return pending.load(std::memory_order_acquire) == 0; }
  /// Part p's status, from its event's `event_status` (an injected fault shows once it completed).
  int status_of(std::size_t p, int event_status) const noexcept {
    return event_status == CL_COMPLETE && parts[p].injected < 0 ? parts[p].injected : event_status;
  }
  /// Settles this task and, first, the tasks it depends on (never blocks): once it and they are
  /// done, its cause is decided — its own failure, its cancellation, or its producers' cause —
  /// and its producers are released. False while something is still running.
  bool settle() noexcept;
  /// "task 5 'k', which failed (CL_X)", "..., which was cancelled", or "task 7 'j', which has no
  /// results: it needs data from task 5 'k', which ...".
  std::string fault_text(const Cause& cause) const;
  /// The cause, once settled (null: its results stand).
  std::shared_ptr<const Cause> fault();
  /// Submission::cancel(): a task that has not finished has its results discarded, and so do
  /// the tasks that depend on it (wait() reports them cancelled; their arrays refuse reads).
  void cancel() noexcept;
  /// Counts the parts whose kernel has ended (for tasks without callbacks, and drivers that call
  /// back late); then done().
  bool poll() noexcept;
  /// Sizes `counted` and `pending` for the parts (once they are all enqueued).
  void arm();
  /// Accounts part `p`'s end with `status` (its callback, or wait() when the driver did not call
  /// back yet); true the first time only.
  bool count_part(std::size_t p, int status) noexcept;
  /// Waits for every part's kernel; throws Error(opencl) naming the task (and the task it depends
  /// on that failed, when that is why) if one failed. Returns what it measured.
  RunStats wait();
  /// What it measured (once it has ended).
  RunStats stats() const;
  /// When it ended on the host clock: its submission plus the longest time a part's kernel took
  /// from its enqueueing to its end, or later if its kernels' ends aligned to the host clock are
  /// (when the host counted it, without profiling times).
  std::uint64_t end_ns() const;

 private:
  /// Settles this task if it has ended (its producers settled; settle_mutex held).
  bool settle_one() noexcept;
  /// Observed tasks, once settled: every chunk with its commands, then its end (failed: without
  /// statistics), to every observer.
  void report() noexcept;
};

}  // namespace tessera::detail
