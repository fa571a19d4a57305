#pragma once
// Internal: the OpenCL objects a program's runs on one device reuse instead of creating them
// per run: command-queue triples and kernel objects. Taking an object gives its exclusive use
// until it is given back; a run gives back only what it finished cleanly (objects that saw an
// error are dropped). Safe to call from every thread.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/cl.hpp"

namespace tessera::detail {

/// An executor's three in-order queues, all with profiling on.
struct Lanes {
  cl::CommandQueue write, kernel, read;
};

class DevicePool {
 public:
  /// `label` names the device in errors.
  DevicePool(cl::Context context, cl::Device device, cl::Program program, std::string label);

  /// Pooled lanes, or new ones. Throws Error(Errc::opencl) when creating them fails.
  Lanes take_lanes();
  void give_back(Lanes lanes);

  /// A pooled kernel object for `name`, or a new one (its arguments are whatever the last run
  /// set: set them all). Throws Error(Errc::opencl) when creating it fails.
  cl::Kernel take_kernel(const std::string& name);
  void give_back(const std::string& name, cl::Kernel kernel);

  /// CL_KERNEL_WORK_GROUP_SIZE of kernel `name` on this device, queried once.
  std::size_t work_group_size(const std::string& name);

 private:
  cl::Context context_;
  cl::Device device_;
  cl::Program program_;
  std::string label_;

  std::mutex mutex_;
  std::vector<Lanes> lanes_;
  std::map<std::string, std::vector<cl::Kernel>, std::less<>> kernels_;
  std::map<std::string, std::size_t, std::less<>> work_group_size_;
};

}  // namespace tessera::detail
