#pragma once
// Internal: the OpenCL objects behind a tessera::Device.

#include <memory>

#include "common/cl.hpp"
#include "tessera/device.hpp"

namespace tessera::detail {

struct DeviceHandle {
  cl::Platform platform;
  cl::Device device;
  DeviceInfo info;
};

/// Reads every DeviceInfo field of `device` (index and sub_device are left for the caller).
/// Throws Error(Errc::opencl) naming the query that failed.
DeviceInfo read_device_info(const cl::Platform& platform, const cl::Device& device);

}  // namespace tessera::detail
