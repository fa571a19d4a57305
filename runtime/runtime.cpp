// Runtime: discovery, then selection, then fission, done once at construction.

#include <utility>

#include "tessera/error.hpp"
#include "tessera/runtime.hpp"
#include "tessera/selector.hpp"

namespace tessera {

struct Runtime::State {
  RuntimeOptions options;
  Discovery discovery;
  std::vector<Device> devices;
};

Runtime::Runtime(RuntimeOptions options) : state_(std::make_unique<State>()) {
  // Parse the selector first: a typo is reported even on a machine without OpenCL.
  const Selector selector =
      options.devices.empty() ? Selector::from_environment() : Selector::parse(options.devices);
  if (options.devices.empty()) options.devices = selector.text();
  state_->options = std::move(options);
  state_->discovery = discover_devices();
  state_->devices = selector.select(state_->discovery.devices);
  if (state_->options.cpu_split > 0) {
    state_->devices =
        split_cpu_devices(state_->devices, state_->options.cpu_split, state_->discovery.warnings);
  }
}

Runtime::~Runtime() = default;
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;

const std::vector<Device>& Runtime::devices() const noexcept { return state_->devices; }
const std::vector<Device>& Runtime::all_devices() const noexcept { return state_->discovery.devices; }
const std::vector<std::string>& Runtime::warnings() const noexcept { return state_->discovery.warnings; }
const RuntimeOptions& Runtime::options() const noexcept { return state_->options; }

}  // namespace tessera
