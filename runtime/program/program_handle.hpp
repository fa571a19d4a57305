#pragma once
// Internal: the OpenCL objects behind a tessera::Program.

#include <memory>
#include <string>
#include <vector>

#include "common/cl.hpp"
#include "engine/device_pool.hpp"
#include "engine/perf_history.hpp"
#include "tessera/program.hpp"

namespace tessera::detail {

struct ProgramHandle {
  struct DeviceProgram {
    Device device;
    cl::Context context;
    cl::Program program;
    std::shared_ptr<DevicePool> pool;  ///< queues and kernels its runs reuse
  };

  std::string name;
  std::vector<Device> devices;          ///< where it built, in the Runtime's order
  std::vector<DeviceProgram> per_device;  ///< aligned with `devices`
  std::vector<DeviceBuild> builds;      ///< one per Runtime device
  std::vector<std::string> warnings;
  BuildStats stats;
  std::vector<KernelSignature> kernels;  ///< sorted by name
  mutable PerfHistory history;           ///< what its runs measured
};

}  // namespace tessera::detail
