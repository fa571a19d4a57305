// Device, DeviceType and DeviceInfo: reading what OpenCL reports about a device.

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>

#include "device/device_handle.hpp"
#include "tessera/device.hpp"

namespace tessera {

std::string to_string(DeviceType type) {
  static constexpr std::pair<DeviceType, const char*> names[] = {
      {DeviceType::cpu, "cpu"},
      {DeviceType::gpu, "gpu"},
      {DeviceType::accelerator, "accelerator"},
      {DeviceType::custom, "custom"},
  };
  std::string out;
  for (const auto& [bit, name] : names) {
    if (!has_type(type, bit)) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out.empty() ? "none" : out;
}

std::string DeviceInfo::label() const {
  return sub_device < 0 ? fmt::format("{}", index) : fmt::format("{}.{}", index, sub_device);
}

Device::Device(std::shared_ptr<const detail::DeviceHandle> handle) : handle_(std::move(handle)) {}

const DeviceInfo& Device::info() const noexcept { return handle_->info; }

namespace detail {
namespace {

// OpenCL strings may carry their terminating NUL and trailing blanks; drop both.
std::string tidy(std::string s) {
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

template <cl_platform_info Param>
auto platform_query(const cl::Platform& platform, const char* what) {
  cl_int status = CL_SUCCESS;
  auto value = platform.getInfo<Param>(&status);
  check(status, fmt::format("clGetPlatformInfo({})", what));
  return value;
}

template <cl_device_info Param>
auto device_query(const cl::Device& device, const char* what, const std::string& name) {
  cl_int status = CL_SUCCESS;
  auto value = device.getInfo<Param>(&status);
  check(status, fmt::format("clGetDeviceInfo({})", what), name);
  return value;
}

DeviceType from_cl_type(cl_device_type type) {
  DeviceType out = DeviceType::none;
  if (type & CL_DEVICE_TYPE_CPU) out = out | DeviceType::cpu;
  if (type & CL_DEVICE_TYPE_GPU) out = out | DeviceType::gpu;
  if (type & CL_DEVICE_TYPE_ACCELERATOR) out = out | DeviceType::accelerator;
  if (type & CL_DEVICE_TYPE_CUSTOM) out = out | DeviceType::custom;
  return out;
}

bool has_extension(const std::string& extensions, std::string_view name) {
  std::size_t pos = 0;
  while ((pos = extensions.find(name, pos)) != std::string::npos) {
    const std::size_t end = pos + name.size();
    const bool starts = pos == 0 || extensions[pos - 1] == ' ';
    const bool ends = end == extensions.size() || extensions[end] == ' ';
    if (starts && ends) return true;
    pos = end;
  }
  return false;
}

}  // namespace

DeviceInfo read_device_info(const cl::Platform& platform, const cl::Device& device) {
  DeviceInfo info;
  info.platform_name = tidy(platform_query<CL_PLATFORM_NAME>(platform, "CL_PLATFORM_NAME"));
  info.platform_vendor = tidy(platform_query<CL_PLATFORM_VENDOR>(platform, "CL_PLATFORM_VENDOR"));
  info.platform_version =
      tidy(platform_query<CL_PLATFORM_VERSION>(platform, "CL_PLATFORM_VERSION"));

  info.name = tidy(device_query<CL_DEVICE_NAME>(device, "CL_DEVICE_NAME", {}));
  const std::string& n = info.name;
  info.vendor = tidy(device_query<CL_DEVICE_VENDOR>(device, "CL_DEVICE_VENDOR", n));
  info.version = tidy(device_query<CL_DEVICE_VERSION>(device, "CL_DEVICE_VERSION", n));
  info.driver_version = tidy(device_query<CL_DRIVER_VERSION>(device, "CL_DRIVER_VERSION", n));
  info.opencl_c_version =
      tidy(device_query<CL_DEVICE_OPENCL_C_VERSION>(device, "CL_DEVICE_OPENCL_C_VERSION", n));
  info.type = from_cl_type(device_query<CL_DEVICE_TYPE>(device, "CL_DEVICE_TYPE", n));
  info.compute_units =
      device_query<CL_DEVICE_MAX_COMPUTE_UNITS>(device, "CL_DEVICE_MAX_COMPUTE_UNITS", n);
  info.clock_mhz =
      device_query<CL_DEVICE_MAX_CLOCK_FREQUENCY>(device, "CL_DEVICE_MAX_CLOCK_FREQUENCY", n);
  info.global_memory =
      device_query<CL_DEVICE_GLOBAL_MEM_SIZE>(device, "CL_DEVICE_GLOBAL_MEM_SIZE", n);
  info.local_memory = device_query<CL_DEVICE_LOCAL_MEM_SIZE>(device, "CL_DEVICE_LOCAL_MEM_SIZE", n);
  info.max_alloc =
      device_query<CL_DEVICE_MAX_MEM_ALLOC_SIZE>(device, "CL_DEVICE_MAX_MEM_ALLOC_SIZE", n);
  info.max_work_group_size =
      device_query<CL_DEVICE_MAX_WORK_GROUP_SIZE>(device, "CL_DEVICE_MAX_WORK_GROUP_SIZE", n);
  info.unified_memory =
      device_query<CL_DEVICE_HOST_UNIFIED_MEMORY>(device, "CL_DEVICE_HOST_UNIFIED_MEMORY", n) !=
      CL_FALSE;
  info.available = device_query<CL_DEVICE_AVAILABLE>(device, "CL_DEVICE_AVAILABLE", n) != CL_FALSE;
  info.compiler_available =
      device_query<CL_DEVICE_COMPILER_AVAILABLE>(device, "CL_DEVICE_COMPILER_AVAILABLE", n) !=
      CL_FALSE;
  // Optional queries (OpenCL 1.2, extensions): a driver that does not answer gets the default.
  cl_int status = CL_SUCCESS;
  const cl_uint parts = device.getInfo<CL_DEVICE_PARTITION_MAX_SUB_DEVICES>(&status);
  info.max_sub_devices = status == CL_SUCCESS ? parts : 0;
  const std::string extensions = device_query<CL_DEVICE_EXTENSIONS>(device, "CL_DEVICE_EXTENSIONS", n);
  const cl_device_fp_config fp64 = device.getInfo<CL_DEVICE_DOUBLE_FP_CONFIG>(&status);
  info.fp64 = has_extension(extensions, "cl_khr_fp64") || (status == CL_SUCCESS && fp64 != 0);
  info.fp16 = has_extension(extensions, "cl_khr_fp16");
  return info;
}

}  // namespace detail
}  // namespace tessera
