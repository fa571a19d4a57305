// Enumerating every OpenCL platform and device through the ICD loader.

#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <vector>

#include "common/cache_home.hpp"
#include "common/internals.hpp"
#include "device/device_handle.hpp"
#include "tessera/device.hpp"
#include "tessera/error.hpp"

namespace tessera {
namespace {

constexpr const char* install_hint =
    "install an OpenCL driver (for a CPU device: apt-get install pocl-opencl-icd) or point "
    "OCL_ICD_VENDORS at a folder of .icd files";

std::string platform_label(const cl::Platform& platform, std::size_t rank) {
  cl_int status = CL_SUCCESS;
  std::string name = platform.getInfo<CL_PLATFORM_NAME>(&status);
  while (!name.empty() && name.back() == '\0') name.pop_back();
  if (status != CL_SUCCESS || name.empty()) return fmt::format("platform #{}", rank);
  return fmt::format("platform #{} '{}'", rank, name);
}

std::string icd_vendors_note() {
  const char* vendors = std::getenv("OCL_ICD_VENDORS");
  return vendors != nullptr ? fmt::format(" (OCL_ICD_VENDORS={})", vendors) : std::string{};
}

}  // namespace

Discovery discover_devices() {
  Discovery out;
  std::vector<cl::Platform> platforms;
  const cl_int status = cl::Platform::get(&platforms);
  if (status == CL_PLATFORM_NOT_FOUND_KHR || (status == CL_SUCCESS && platforms.empty())) {
    throw Error(Errc::no_platform,
                fmt::format("no OpenCL platform found{}; {}", icd_vendors_note(), install_hint));
  }
  if (status != CL_SUCCESS) {
    throw Error(Errc::no_platform, fmt::format("cannot list OpenCL platforms; {}", install_hint),
                status, "clGetPlatformIDs");
  }

  std::size_t index = 0;
  for (std::size_t p = 0; p < platforms.size(); ++p) {
    std::vector<cl::Device> devices;
    const cl_int dev_status = platforms[p].getDevices(CL_DEVICE_TYPE_ALL, &devices);
    if (dev_status == CL_DEVICE_NOT_FOUND) continue;  // a platform with no device is not broken
    if (dev_status != CL_SUCCESS) {
      out.warnings.push_back(fmt::format("skipping {}: clGetDeviceIDs failed: {}",
                                         platform_label(platforms[p], p),
                                         cl_status_name(dev_status)));
      continue;
    }
    for (const cl::Device& device : devices) {
      try {
        auto handle = std::make_shared<detail::DeviceHandle>();
        handle->platform = platforms[p];
        handle->device = device;
        handle->info = detail::read_device_info(platforms[p], device);
        if (!handle->info.available || !handle->info.compiler_available) {
          out.warnings.push_back(fmt::format("skipping device '{}' of {}: {}", handle->info.name,
                                             platform_label(platforms[p], p),
                                             handle->info.available ? "it has no compiler"
                                                                    : "it is not available"));
          continue;
        }
        handle->info.index = index++;
        out.devices.push_back(detail::Internals::make_device(std::move(handle)));
      } catch (const Error& e) {
        out.warnings.push_back(
            fmt::format("skipping a device of {}: {}", platform_label(platforms[p], p), e.what()));
      }
    }
  }
  if (out.devices.empty()) {
    std::string why;
    for (const auto& w : out.warnings) why += "; " + w;
    // A driver that cannot make its cache folder (PoCL) reports no device: a driver is there.
    const auto cache = detail::cache_home_problem();
    throw Error(Errc::no_platform,
                fmt::format("no usable OpenCL device found on {} platform(s){}{}; {}", platforms.size(),
                            icd_vendors_note(), why,
                            cache ? *cache + ", and drivers that keep their cache there (PoCL) find no device"
                                  : install_hint));
  }
  return out;
}

}  // namespace tessera
