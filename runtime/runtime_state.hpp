#pragma once
// Internal: what a Runtime holds, shared with the rest of runtime/.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/cl.hpp"
#include "program/program_cache.hpp"
#include "tasks/task_engine.hpp"
#include "tessera/device.hpp"
#include "tessera/observer.hpp"
#include "tessera/program.hpp"
#include "tessera/runtime.hpp"

namespace tessera::detail {

/// $TESSERA_ZERO_COPY: "on" (or unset, or empty) true, "off" false; anything else throws
/// Error(invalid_argument) naming the variable.
bool zero_copy_from_environment();

struct RuntimeState {
  RuntimeOptions options;
  Discovery discovery;
  std::vector<Device> devices;        ///< selected, then split
  std::vector<cl::Context> contexts;  ///< per device, same order: one per root device
  std::string cache_root;             ///< "" when the cache is off
  ProgramCache program_cache{{}, 0};

  mutable std::mutex observers_mutex;
  mutable std::vector<std::shared_ptr<Observer>> observers;  ///< guarded by observers_mutex
  mutable std::atomic<std::uint64_t> launches{0};            ///< launches started, for their numbers

  std::shared_ptr<TaskEngine> tasks;  ///< launches over arrays
  mutable std::mutex stats_mutex;
  mutable BuildStats stats;  ///< guarded by stats_mutex
};

}  // namespace tessera::detail
