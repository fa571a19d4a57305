#pragma once
// Devices: what OpenCL reports about each device, and the opaque handle the runtime passes around.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

/// OpenCL device type bits. A device may report several (Oclgrind reports cpu|gpu|accelerator).
enum class DeviceType : unsigned {
  none = 0,
  cpu = 1u << 0,
  gpu = 1u << 1,
  accelerator = 1u << 2,
  custom = 1u << 3,
};

constexpr DeviceType operator|(DeviceType a, DeviceType b) noexcept {
  return static_cast<DeviceType>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr DeviceType operator&(DeviceType a, DeviceType b) noexcept {
  return static_cast<DeviceType>(static_cast<unsigned>(a) & static_cast<unsigned>(b));
}
/// True when `set` has every bit of `bits`.
constexpr bool has_type(DeviceType set, DeviceType bits) noexcept {
  return bits != DeviceType::none && (set & bits) == bits;
}
/// "cpu", "gpu", "accelerator", "custom", joined with '|' when several bits are set.
std::string to_string(DeviceType type);

/// Everything Tessera knows about a device, read once at discovery.
struct DeviceInfo {
  std::size_t index = 0;      ///< position in the list `tessera devices` prints (root device)
  int sub_device = -1;        ///< -1 for a root device, else its rank among its parent's parts
  std::string platform_name;
  std::string platform_vendor;
  std::string platform_version;
  std::string name;
  std::string vendor;
  std::string version;           ///< CL_DEVICE_VERSION
  std::string driver_version;    ///< CL_DRIVER_VERSION
  std::string opencl_c_version;  ///< CL_DEVICE_OPENCL_C_VERSION
  DeviceType type = DeviceType::none;
  unsigned compute_units = 0;
  unsigned clock_mhz = 0;
  std::uint64_t global_memory = 0;  ///< bytes
  std::uint64_t local_memory = 0;   ///< bytes
  std::uint64_t max_alloc = 0;      ///< CL_DEVICE_MAX_MEM_ALLOC_SIZE, bytes
  std::size_t max_work_group_size = 0;
  bool fp64 = false;
  bool fp16 = false;
  bool unified_memory = false;  ///< shares memory with the host (zero-copy path)
  bool available = false;
  bool compiler_available = false;
  unsigned max_sub_devices = 0;  ///< CL_DEVICE_PARTITION_MAX_SUB_DEVICES (0: cannot split)

  /// "3" for a root device, "3.1" for the second sub-device of device 3.
  std::string label() const;
};

namespace detail {
struct DeviceHandle;
struct Internals;
}  // namespace detail

/// A device the runtime can run on: a root device or a sub-device made by CPU fission.
/// Cheap to copy; all copies refer to the same OpenCL device.
class Device {
 public:
  const DeviceInfo& info() const noexcept;
  const std::string& name() const noexcept { return info().name; }

  friend bool operator==(const Device& a, const Device& b) noexcept { return a.handle_ == b.handle_; }

 private:
  friend struct detail::Internals;
  explicit Device(std::shared_ptr<const detail::DeviceHandle> handle);
  std::shared_ptr<const detail::DeviceHandle> handle_;
};

/// The result of enumerating every platform through the ICD loader.
struct Discovery {
  std::vector<Device> devices;        ///< every root device, in platform then device order
  std::vector<std::string> warnings;  ///< platforms or devices that could not be enumerated
};

/// Enumerates every OpenCL platform and device. A platform that fails is recorded in
/// `warnings` and skipped. Throws Error(Errc::no_platform) when no device at all is found.
Discovery discover_devices();

/// CPU fission: every device of `devices` whose type includes cpu and that has more than
/// `compute_units` compute units is replaced by sub-devices of `compute_units` units each
/// (CL_DEVICE_PARTITION_EQUALLY). Devices that cannot be split are kept whole, with a line in
/// `warnings`. Throws Error(Errc::invalid_argument) when compute_units is 0.
std::vector<Device> split_cpu_devices(const std::vector<Device>& devices, unsigned compute_units,
                                      std::vector<std::string>& warnings);

}  // namespace tessera
