#pragma once
// The runtime: discovery, selection and fission, done once; every later operation goes through it.
//
//   tessera::Runtime rt{{.devices = "cpu", .cpu_split = 1}};
//   for (const auto& d : rt.devices()) use(d.info());

#include <memory>
#include <string>
#include <vector>

#include "tessera/device.hpp"

namespace tessera {

struct RuntimeOptions {
  /// Device selector (see selector.hpp); empty means $TESSERA_DEVICES, or "all".
  std::string devices;
  /// CPU fission: split CPU devices into sub-devices of this many compute units; 0 = no split.
  unsigned cpu_split = 0;
};

class Runtime {
 public:
  /// Discovers, selects and splits devices. Throws Error: no_platform, invalid_selector,
  /// no_matching_device, invalid_argument (cpu_split), or opencl.
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// The devices this runtime runs on: selected, then split; never empty.
  const std::vector<Device>& devices() const noexcept;
  /// Every root device discovered, selected or not.
  const std::vector<Device>& all_devices() const noexcept;
  /// Non-fatal findings of discovery and fission, one line each, for the caller to report.
  const std::vector<std::string>& warnings() const noexcept;
  const RuntimeOptions& options() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tessera
