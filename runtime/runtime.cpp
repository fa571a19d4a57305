// Runtime: discovery, then selection, then fission, then one OpenCL context per device.

#include <fmt/format.h>

#include <utility>

#include "runtime_state.hpp"
#include "tessera/error.hpp"
#include "tessera/runtime.hpp"
#include "tessera/selector.hpp"

namespace tessera {

Runtime::Runtime(RuntimeOptions options) : state_(std::make_unique<State>()) {
  // Parse the selector first: a typo is reported even on a machine without OpenCL.
  const Selector selector =
      options.devices.empty() ? Selector::from_environment() : Selector::parse(options.devices);
  if (options.devices.empty()) options.devices = selector.text();
  State& s = *state_;
  s.options = std::move(options);
  s.discovery = discover_devices();
  s.devices = selector.select(s.discovery.devices);
  if (s.options.cpu_split > 0) {
    s.devices = split_cpu_devices(s.devices, s.options.cpu_split, s.discovery.warnings);
  }
  for (const Device& d : s.devices) {
    cl_int status = CL_SUCCESS;
    s.contexts.emplace_back(d.handle().device, nullptr, nullptr, nullptr, &status);
    detail::check(status, "clCreateContext", d.name());
  }
  const auto root = detail::resolve_cache_dir(s.options.cache_dir);
  s.cache_root = root.string();
  s.program_cache = detail::ProgramCache(root.empty() ? root : root / "programs",
                                         s.options.cache_max_bytes);
}

Runtime::~Runtime() = default;
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;

const std::vector<Device>& Runtime::devices() const noexcept { return state_->devices; }
const std::vector<Device>& Runtime::all_devices() const noexcept { return state_->discovery.devices; }
const std::vector<std::string>& Runtime::warnings() const noexcept { return state_->discovery.warnings; }
const RuntimeOptions& Runtime::options() const noexcept { return state_->options; }

}  // namespace tessera
