#pragma once
// Internal: everything one run shares between its device threads and its Submission.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/chunk_ledger.hpp"
#include "engine/launch_plan.hpp"
#include "tessera/observer.hpp"
#include "tessera/run_stats.hpp"

namespace tessera::detail {

/// A reduce or scatter buffer's private copy from one finished chunk, merged after the run.
struct PrivateCopy {
  std::size_t buffer = 0;  ///< index into LaunchPlan::buffers
  Chunk chunk;
  std::vector<unsigned char> data;
};

/// Whether `schedule` is `static` weighted by measurement (no weights given): its runs record
/// the devices' pace in the program's PerfHistory and start from it.
bool calibrated_static(const Schedule& schedule);

struct RunState {
  RunState(LaunchPlan p, Schedule s, std::vector<double> power, std::vector<std::size_t> limits,
           std::vector<bool> in_place, bool checking = false);

  LaunchPlan plan;
  Schedule schedule;
  /// A checked run (Runtime::check): devices copy, and every chunk's writes are checked.
  bool checking = false;
  /// Per device of the plan's program: whether it works on the host arrays in place (zero-copy).
  std::vector<bool> in_place;
  /// Who watches this run (the runtime's observers when it started); none: nothing is collected.
  std::vector<std::shared_ptr<Observer>> observers;
  std::uint64_t launch_number = 0;  ///< from 1, per runtime
  std::uint64_t start_ns = 0;       ///< host_clock_ns() at submission
  std::vector<std::size_t> max_chunk;  ///< per device: the largest chunk it holds (0: no bound)
  ChunkLedger ledger;
  std::chrono::steady_clock::time_point start;
  std::atomic<std::size_t> finished_indices{0};

  std::vector<DeviceRunStats> device_stats;  ///< entry d written only by device d's thread

  std::mutex mutex;                 ///< guards the members below
  std::vector<ChunkRecord> records;
  std::vector<PrivateCopy> private_copies;
  std::vector<WriteFinding> findings;  ///< a checked run's, in the order found
  std::exception_ptr error;         ///< the first error a device thread met

  std::vector<std::thread> threads;  ///< started with the run; joined by its owner alone
  bool joined = false;               ///< the owner's alone (Submission, or run_to_completion)
  /// Devices given a first chunk whose run_device has not returned: set before any starts, 0 once
  /// the run has ended (every chunk finished, or cancelled and drained, or failed). Any thread
  /// may read it.
  std::atomic<std::size_t> running_devices{0};

  double seconds_since_start() const;
  /// Keeps the first error and cancels the run so the other devices stop taking chunks.
  void fail(std::exception_ptr e);
  /// Joins every device thread (once).
  void join();
};

/// One element holding the identity of `op` for `type` (0 for sum, 1 for prod, the largest
/// value for min, the lowest for max), as bytes.
std::vector<unsigned char> reduce_identity(ElementType type, ReduceOp op);

/// Folds one private copy into `target` elementwise: target = op(target, copy).
void fold_reduction(void* target, const unsigned char* copy, std::size_t count, ElementType type,
                    ReduceOp op);

}  // namespace tessera::detail
