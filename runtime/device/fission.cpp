// CPU fission: splitting CPU devices into sub-devices of a fixed number of compute units.

#include <fmt/format.h>

#include <memory>
#include <vector>

#include "common/internals.hpp"
#include "device/device_handle.hpp"
#include "tessera/device.hpp"
#include "tessera/error.hpp"

namespace tessera {
namespace {

bool can_partition_equally(const cl::Device& device) {
  cl_int status = CL_SUCCESS;
  const auto properties = device.getInfo<CL_DEVICE_PARTITION_PROPERTIES>(&status);
  if (status != CL_SUCCESS) return false;
  for (auto p : properties) {
    if (p == CL_DEVICE_PARTITION_EQUALLY) return true;
  }
  return false;
}

}  // namespace

std::vector<Device> split_cpu_devices(const std::vector<Device>& devices, unsigned compute_units,
                                      std::vector<std::string>& warnings) {
  if (compute_units == 0) {
    throw Error(Errc::invalid_argument, "cpu split: compute units per sub-device must be at least 1");
  }
  std::vector<Device> out;
  for (const Device& device : devices) {
    const DeviceInfo& info = device.info();
    if (!has_type(info.type, DeviceType::cpu) || info.sub_device >= 0 ||
        info.compute_units <= compute_units) {
      out.push_back(device);
      continue;
    }
    const detail::DeviceHandle& parent = detail::Internals::handle(device);
    if (info.max_sub_devices < 2 || !can_partition_equally(parent.device)) {
      warnings.push_back(fmt::format("device {} '{}' cannot be partitioned; kept whole",
                                     info.label(), info.name));
      out.push_back(device);
      continue;
    }
    const cl_device_partition_property properties[] = {
        CL_DEVICE_PARTITION_EQUALLY, static_cast<cl_device_partition_property>(compute_units), 0};
    std::vector<cl::Device> parts;
    cl::Device root = parent.device;  // createSubDevices is not const in CLHPP
    const cl_int status = root.createSubDevices(properties, &parts);
    if (status != CL_SUCCESS || parts.empty()) {
      warnings.push_back(fmt::format("device {} '{}': clCreateSubDevices failed: {}; kept whole",
                                     info.label(), info.name, cl_status_name(status)));
      out.push_back(device);
      continue;
    }
    if (info.compute_units % compute_units != 0) {
      warnings.push_back(fmt::format("device {} '{}': {} compute units do not split evenly into "
                                     "parts of {}; {} unit(s) stay unused",
                                     info.label(), info.name, info.compute_units, compute_units,
                                     info.compute_units % compute_units));
    }
    for (std::size_t k = 0; k < parts.size(); ++k) {
      auto handle = std::make_shared<detail::DeviceHandle>();
      handle->platform = parent.platform;
      handle->device = parts[k];
      handle->info = detail::read_device_info(parent.platform, parts[k]);
      handle->info.index = info.index;
      handle->info.sub_device = static_cast<int>(k);
      out.push_back(detail::Internals::make_device(std::move(handle)));
    }
  }
  return out;
}

}  // namespace tessera
