#pragma once
// Internal: the OpenCL objects behind a tessera::Program.

#include <string>
#include <vector>

#include "cl.hpp"
#include "tessera/program.hpp"

namespace tessera::detail {

struct ProgramHandle {
  struct OnDevice {
    Device device;
    cl::Context context;
    cl::Program program;
  };

  std::string name;
  std::vector<Device> devices;          ///< where it built, in the Runtime's order
  std::vector<OnDevice> on_device;      ///< aligned with `devices`
  std::vector<DeviceBuild> builds;      ///< one per Runtime device
  std::vector<std::string> warnings;
  BuildStats stats;
  std::vector<KernelSignature> kernels;  ///< sorted by name
};

}  // namespace tessera::detail
