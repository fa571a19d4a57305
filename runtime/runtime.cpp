// Runtime: every method of the public type. Discovery, selection, fission and one OpenCL context
// per device happen here, once; compiling and running are handed to the program and engine
// layers.

#include "tessera/runtime.hpp"

#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "common/internals.hpp"
#include "device/device_handle.hpp"
#include "engine/run.hpp"
#include "tasks/host_copies.hpp"
#include "observe/notify.hpp"
#include "program/program_build.hpp"
#include "runtime_state.hpp"
#include "tessera/selector.hpp"

namespace tessera {

bool detail::zero_copy_from_environment() {
  const char* env = std::getenv("TESSERA_ZERO_COPY");
  const std::string value = env != nullptr ? env : "";
  if (value.empty() || value == "on") return true;
  if (value == "off") return false;
  throw Error(Errc::invalid_argument, "TESSERA_ZERO_COPY: '" + value + "' is neither on nor off");
}

Runtime::Runtime(RuntimeOptions options) : state_(std::make_unique<detail::RuntimeState>()) {
  // Parse the selector first: a typo is reported even on a machine without OpenCL.
  const Selector selector =
      options.devices.empty() ? Selector::from_environment() : Selector::parse(options.devices);
  if (options.devices.empty()) options.devices = selector.text();
  detail::RuntimeState& s = *state_;
  s.options = std::move(options);
  if (!s.options.zero_copy) s.options.zero_copy = detail::zero_copy_from_environment();
  s.discovery = discover_devices();
  // Split before selecting, so that a sub-device's label ("0.1") selects it; a device the selector
  // takes no part of is not split.
  std::vector<Device> candidates;
  for (const Device& d : s.discovery.devices) {
    if (s.options.cpu_split == 0 || !selector.may_pick_parts_of(d.info())) {
      candidates.push_back(d);
      continue;
    }
    for (const Device& part : split_cpu_devices({d}, s.options.cpu_split, s.discovery.warnings)) {
      candidates.push_back(part);
    }
  }
  s.devices = selector.select(candidates);
  // One context per root device, holding its selected parts: tasks on two sub-devices of a
  // device wait for each other's events directly. (Different devices get contexts of their own:
  // drivers mishandle events shared between unlike devices, PoCL's pthread and basic among them.)
  s.contexts.resize(s.devices.size());
  for (std::size_t d = 0; d < s.devices.size(); ++d) {
    if (s.contexts[d]() != nullptr) continue;
    const std::size_t root = s.devices[d].info().index;
    std::vector<cl::Device> members;
    for (std::size_t e = d; e < s.devices.size(); ++e) {
      if (s.devices[e].info().index == root) members.push_back(detail::Internals::handle(s.devices[e]).device);
    }
    cl_int status = CL_SUCCESS;
    const cl::Context context(members, nullptr, nullptr, nullptr, &status);
    detail::check(status, "clCreateContext", s.devices[d].name());
    for (std::size_t e = d; e < s.devices.size(); ++e) {
      if (s.devices[e].info().index == root) s.contexts[e] = context;
    }
  }
  std::vector<detail::EngineDevice> engine_devices;
  const std::uint64_t cap = s.options.device_memory_limit;
  for (std::size_t d = 0; d < s.devices.size(); ++d) {
    const auto& i = s.devices[d].info();
    engine_devices.push_back({s.devices[d], s.contexts[d], i.unified_memory && *s.options.zero_copy,
                              cap > 0 ? std::min(cap, i.global_memory) : i.global_memory,
                              cap > 0 ? std::min(cap, i.max_alloc) : i.max_alloc});
  }
  const char* faults_env = std::getenv("TESSERA_FAULTS");
  const bool from_env = s.options.faults.empty() && faults_env != nullptr;
  const std::string faults = from_env ? faults_env : s.options.faults == "off" ? "" : s.options.faults;
  detail::Faults injected(detail::parse_faults(faults, from_env ? "TESSERA_FAULTS" : "RuntimeOptions::faults"),
                          s.devices);
  s.tasks = std::make_shared<detail::TaskEngine>(std::move(engine_devices),
                                                 detail::EngineWatch{&s.observers_mutex, &s.observers, &s.launches},
                                                 std::move(injected));
  const auto root = detail::resolve_cache_dir(s.options.cache_dir);
  s.cache_root = root.string();
  s.program_cache = detail::ProgramCache(root.empty() ? root : root / "programs",
                                         s.options.cache_max_bytes);
  if (s.options.trace.empty()) {
    if (const char* env = std::getenv("TESSERA_TRACE"); env != nullptr) s.options.trace = env;
  }
  if (!s.options.trace.empty() && s.options.trace != "off") observe(std::make_shared<TraceWriter>(s.options.trace));
}

Runtime::~Runtime() {
  if (state_ && state_->tasks) state_->tasks->close();
}
Runtime::Runtime(Runtime&&) noexcept = default;
Runtime& Runtime::operator=(Runtime&&) noexcept = default;

const std::vector<Device>& Runtime::devices() const noexcept { return state_->devices; }
const std::vector<Device>& Runtime::all_devices() const noexcept { return state_->discovery.devices; }
const std::vector<std::string>& Runtime::warnings() const noexcept { return state_->discovery.warnings; }
const RuntimeOptions& Runtime::options() const noexcept { return state_->options; }

void Runtime::observe(std::shared_ptr<Observer> observer) const {
  const std::lock_guard lock(state_->observers_mutex);
  state_->observers.push_back(std::move(observer));
}

void Runtime::annotate(const SpanEvent& span) const {
  std::vector<std::shared_ptr<Observer>> observers;
  {
    const std::lock_guard lock(state_->observers_mutex);
    observers = state_->observers;
  }
  for (const auto& o : observers) detail::notify(*o, [&](Observer& x) { x.on_span(span); });
}

Program Runtime::compile(const Source& source, std::string_view options, const Defines& defines) const {
  return detail::build_program(*state_, source, options, defines);
}

namespace {

// Whether `launch` is over arrays (a task); throws for one that mixes them with host arrays, or
// orders a launch over host arrays after a task.
bool over_arrays(const Launch& launch) {
  bool arrays = false, host = false;
  for (const auto& a : launch.args()) {
    if (const auto* b = std::get_if<BufferArg>(&a)) (b->array() ? arrays : host) = true;
  }
  if (arrays && host) {
    throw Error(Errc::invalid_argument, "kernel '" + launch.kernel() +
                                            "': a launch over arrays takes no host arrays; give every buffer as a "
                                            "tessera::Array");
  }
  if (!arrays && !launch.after_tasks().empty()) {
    throw Error(Errc::invalid_argument, "kernel '" + launch.kernel() + "': after() orders launches over arrays only");
  }
  return arrays;
}

}  // namespace

namespace {

// A launch over arrays that stays off the devices' memory (an array a copying device cannot
// hold with the others, or a windowed kernel): run on host copies of the arrays, through the
// streaming windows of host-array launches, and written back. A synchronisation point.
std::shared_ptr<detail::TaskState> run_on_host(detail::RuntimeState& s, const Launch& launch,
                                               const Schedule& schedule) {
  s.tasks->wait_after(launch);
  detail::HostCopies copies(launch);
  RunStats stats = detail::run_to_completion(s, copies.launch(), schedule, {});
  copies.write_back();
  return s.tasks->ran_on_host(launch, std::move(stats));
}

}  // namespace

RunStats Runtime::run(const Launch& launch, const Schedule& schedule, std::stop_token stop) const {
  if (over_arrays(launch)) return submit(launch, schedule).wait();
  return detail::run_to_completion(*state_, launch, schedule, std::move(stop));
}

void Runtime::validate(const Launch& launch, const Schedule& schedule) const {
  detail::validate_launch(*state_, launch, schedule);
}

RunStats Runtime::check(const Launch& launch, std::stop_token stop) const {
  if (!over_arrays(launch)) return detail::check_to_completion(*state_, launch, std::move(stop));
  detail::HostCopies copies(launch);  // a synchronisation point: the arrays' contents on the host
  RunStats stats = detail::check_to_completion(*state_, copies.launch(), std::move(stop));
  copies.write_back();
  return stats;
}

Submission Runtime::submit(const Launch& launch, const Schedule& schedule) const {
  if (over_arrays(launch)) {
    if (!state_->tasks->resident(launch)) return detail::Internals::make_submission(run_on_host(*state_, launch, schedule));
    return detail::Internals::make_submission(state_->tasks->submit(launch, schedule));
  }
  return detail::Internals::make_submission(detail::submit_run(*state_, launch, schedule));
}

ArrayBase Runtime::make_array(std::size_t count, ElementType type, const void* data) const {
  return detail::Internals::make_array(state_->tasks->make_array(count, type, data));
}

ArrayBase Runtime::make_array_filled(std::size_t count, ElementType type,
                                     const std::function<void(void*)>& fill) const {
  return detail::Internals::make_array(state_->tasks->make_array(count, type, fill));
}

std::vector<TransferBytes> Runtime::transfers() const { return state_->tasks->transfers(); }

const std::string& Runtime::cache_dir() const noexcept { return state_->cache_root; }

BuildStats Runtime::build_stats() const {
  std::lock_guard lock(state_->stats_mutex);
  return state_->stats;
}

}  // namespace tessera
