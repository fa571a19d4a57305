// The task engine: arrays' coherence, dependencies as event waits, enqueueing tasks.

#include "tasks/task_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/internals.hpp"
#include "device/device_handle.hpp"
#include "engine/chunk_kernel.hpp"
#include "engine/run_state.hpp"
#include "engine/scatter.hpp"
#include "engine/slab_transfer.hpp"
#include "observe/command_record.hpp"
#include "observe/notify.hpp"
#include "tessera/error.hpp"
#include "tessera/observer.hpp"

namespace tessera::detail {
namespace {

[[noreturn]] void invalid(std::string message) { throw Error(Errc::invalid_argument, std::move(message)); }

// The bytes of `array` that chunk indices [a, b) of buffer argument `bp` read: all of a whole
// buffer, the slice (and halo) of the others.
Slab read_slab(const BufferPlan& bp, const ArrayState& array, std::size_t a, std::size_t b) {
  if (bp.buffer.role() == BufferArg::Role::whole) return {0, array.bytes, 1, array.bytes};
  return bp.read_slab(a, b);
}

struct PartDone {
  std::shared_ptr<TaskState> task;
  std::size_t part = 0;
  TaskEngine* engine = nullptr;
};

void CL_CALLBACK part_complete(cl_event, cl_int status, void* user) {
  TaskEngine* engine = nullptr;
  {
    std::unique_ptr<PartDone> done(static_cast<PartDone*>(user));
    engine = done->engine;
    engine->part_finished(*done->task, done->part, done->task->status_of(done->part, status));
  }  // the task (and the arrays it keeps) released before the engine hears the callback ended
  engine->callback_done();
}

// The bytes of `array`'s elements [a, b).
std::pair<std::size_t, std::size_t> span_bytes(const ArrayState& array, std::size_t a, std::size_t b) {
  const std::size_t unit = size_of(array.type);
  return {a * unit, (b - a) * unit};
}

}  // namespace

TaskEngine::TaskEngine(std::vector<EngineDevice> devices, EngineWatch watch, Faults faults)
    : devices_(std::move(devices)),
      watch_(watch),
      clock_offsets_(devices_.size()),
      queues_(devices_.size()),
      unflushed_(2 * devices_.size(), false),
      resident_(devices_.size()),
      moved_(devices_.size()),
      faults_(std::move(faults)),
      backlog_ns_(devices_.size()) {}

void TaskEngine::require_open() const {
  if (closed_) invalid("the array's runtime is gone: arrays and tasks cannot outlive their Runtime");
}

const cl::CommandQueue& TaskEngine::queue(std::size_t q) {
  const std::size_t d = q / 2;
  if (!queues_[d]) {
    const cl::Device& device = Internals::handle(devices_[d].device).device;
    cl_int status = CL_SUCCESS;
    Queues made;
    made.kernel = cl::CommandQueue(devices_[d].context, device, CL_QUEUE_PROFILING_ENABLE, &status);
    check(status, "clCreateCommandQueue", devices_[d].device.name());
    made.transfer = cl::CommandQueue(devices_[d].context, device, CL_QUEUE_PROFILING_ENABLE, &status);
    check(status, "clCreateCommandQueue", devices_[d].device.name());
    queues_[d] = std::move(made);
  }
  return q % 2 == 0 ? queues_[d]->kernel : queues_[d]->transfer;
}

void TaskEngine::flush(std::size_t q) {
  if (!unflushed_[q]) return;
  check(queue(q).flush(), "clFlush", devices_[q / 2].device.name());
  unflushed_[q] = false;
}

const cl::Buffer& TaskEngine::buffer(ArrayState& array, std::size_t device) {
  cl::Buffer& b = array.buffers[device];
  array.last_use[device] = ++use_clock_;
  if (b() != nullptr) return b;
  const EngineDevice& d = devices_[device];
  if (!d.zero_copy) {
    if (array.bytes > d.alloc_limit) {
      invalid(fmt::format("array {} ({} bytes) does not fit device {} '{}', whose largest allocation is {} bytes",
                          array.number, array.bytes, d.device.info().label(), d.device.name(), d.alloc_limit));
    }
    make_room(device, array.bytes);
    if (resident_[device] + array.bytes > d.memory_limit) {
      invalid(fmt::format("array {} ({} bytes) does not fit device {} '{}': {} of its {} bytes hold the other arrays "
                          "of the task",
                          array.number, array.bytes, d.device.info().label(), d.device.name(), resident_[device].load(),
                          d.memory_limit));
    }
  }
  cl_int status = CL_SUCCESS;
  b = cl::Buffer(d.context, CL_MEM_READ_WRITE | (d.zero_copy ? CL_MEM_USE_HOST_PTR : 0), array.bytes,
                 d.zero_copy ? array.host : nullptr, &status);
  check(status, "clCreateBuffer", d.device.name());
  if (!d.zero_copy) {
    resident_[device] += array.bytes;
    report_memory(device);
  }
  return b;
}

void TaskEngine::report_memory(std::size_t device) {
  const std::string name = device_label(device);
  const MemoryEvent e{name, host_clock_ns(), resident_[device].load()};
  for (const auto& o : observers_now()) notify(*o, [&](Observer& x) { x.on_device_memory(e); });
}

void TaskEngine::make_room(std::size_t device, std::uint64_t bytes) {
  while (resident_[device] + bytes > devices_[device].memory_limit) {
    std::erase_if(arrays_, [](const auto& w) { return w.expired(); });
    std::shared_ptr<ArrayState> victim;
    for (const auto& w : arrays_) {
      auto a = w.lock();
      if (!a || a->buffers[device]() == nullptr) continue;
      if (pinned_ != nullptr && std::find(pinned_->begin(), pinned_->end(), a) != pinned_->end()) continue;
      if (!victim || a->last_use[device] < victim->last_use[device]) victim = std::move(a);
    }
    if (!victim) return;
    evict(*victim, device);
  }
}

void TaskEngine::evict(ArrayState& array, std::size_t device) {
  const std::size_t node = node_of(device);
  EventSet users;
  auto [first, last] = array.coherence.range(0, array.count);
  for (auto it = first; it != last; ++it) {
    Segment& s = it->second;
    NodeCopy& c = s.nodes[node];
    bool elsewhere = false;
    for (std::size_t n = 0; n < s.nodes.size(); ++n) elsewhere = elsewhere || (n != node && s.nodes[n].valid);
    if (c.valid && !elsewhere) {  // the only copy: written back, never lost
      const auto [offset, bytes] = span_bytes(array, it->first, array.coherence.end_of(it));
      copy_between(array, device, false, offset, bytes, c, s.nodes[0]);
      moved_[device].evict += bytes;
    }
    users.add(c.ready);
    users.add(c.busy);
  }
  flush(transfer_queue(device));
  for (const QueueEvent& e : users.items()) e.event.wait();  // failed or not: they no longer use it
  for (auto it = first; it != last; ++it) {
    NodeCopy& c = it->second.nodes[node];
    c.valid = false;
    c.ready.clear();
    c.busy.clear();
  }
  array.coherence.coalesce(0, array.count);
  array.buffers[device] = cl::Buffer();
  resident_[device] -= array.bytes;
  report_memory(device);
}

void TaskEngine::released(const ArrayState& array) noexcept {
  for (std::size_t d = 0; d < devices_.size() && d < array.buffers.size(); ++d) {
    if (!devices_[d].zero_copy && array.buffers[d]() != nullptr) resident_[d] -= array.bytes;
  }
}

cl::Kernel& TaskEngine::kernel(const LaunchPlan& plan, std::size_t device) {
  auto [it, fresh] = kernels_.try_emplace({plan.program.get(), plan.kernel});
  if (fresh) {
    it->second.resize(devices_.size());
    programs_.push_back(plan.program);
  }
  cl::Kernel& k = it->second[device];
  if (k() == nullptr) {
    for (const auto& pd : plan.program->per_device) {
      if (Internals::handle(pd.device).device() != Internals::handle(devices_[device].device).device()) continue;
      cl_int status = CL_SUCCESS;
      k = cl::Kernel(pd.program, plan.kernel.c_str(), &status);
      check(status, "clCreateKernel", devices_[device].device.name());
    }
  }
  return k;
}

std::vector<std::shared_ptr<Observer>> TaskEngine::observers_now() const {
  const std::lock_guard watch(*watch_.observers_mutex);
  return *watch_.observers;
}

std::string TaskEngine::device_label(std::size_t device) const {
  return devices_[device].device.info().label() + " " + devices_[device].device.name();
}

std::vector<cl::Event> TaskEngine::wait_list(std::size_t q, const EventSet& deps) const {
  std::vector<cl::Event> out;
  for (const QueueEvent& e : deps.items()) {
    if (e.queue == q) continue;  // in-order: done before anything enqueued after it
    const cl_int status = execution_status(e.event);
    if (status == CL_COMPLETE) continue;
    if (devices_[e.queue / 2].context() == devices_[q / 2].context()) {
      out.push_back(e.event);
      continue;
    }
    // Another context: its events cannot be waited for here; the host waits (a failure shows
    // in the command's own status later, through the producers' names). A user event completed
    // by a forwarding thread would spare the wait, but PoCL's basic device runs the commands it
    // releases in the completing thread and deadlocks there.
    e.event.wait();
  }
  return out;
}

std::shared_ptr<ArrayState> TaskEngine::make_array(std::size_t count, ElementType type, const void* data) {
  const std::size_t bytes = count * size_of(type);
  return make_array(count, type, [&](void* host) {
    if (data != nullptr) {
      std::memcpy(host, data, bytes);
    } else {
      std::memset(host, 0, bytes);
    }
  });
}

std::shared_ptr<ArrayState> TaskEngine::make_array(std::size_t count, ElementType type,
                                                   const std::function<void(void*)>& fill) {
  if (count == 0) invalid("an array needs at least one element");
  const std::size_t unit = size_of(type);
  if (count > (std::size_t{1} << 62) / unit) invalid(fmt::format("an array of {} elements is too large", count));
  std::uint64_t number = 0;
  {
    std::lock_guard lock(mutex_);
    require_open();
    number = ++arrays_made_;
  }
  auto a = std::make_shared<ArrayState>(weak_from_this(), this, number, count, type, devices_.size(),
                                        devices_.size() + 1);
  fill(a->host);  // no task knows the array yet
  {
    std::lock_guard lock(mutex_);
    arrays_.push_back(a);
  }
  return a;
}

QueueEvent TaskEngine::transfer(std::size_t device, NodeCopy& from, NodeCopy& to, const char* call,
                                const Enqueue& enqueue) {
  const std::pair<NodeCopy*, NodeCopy*> copy{&from, &to};  // no allocation per transfer
  return transfer(device, std::span(&copy, 1), call, enqueue);
}

QueueEvent TaskEngine::transfer(std::size_t device, std::span<const std::pair<NodeCopy*, NodeCopy*>> copies,
                                const char* call, const Enqueue& enqueue) {
  const std::size_t q = transfer_queue(device);
  EventSet deps;
  for (const auto& [from, to] : copies) {
    deps.add(from->ready);
    deps.add(to->busy);
  }
  const std::vector<cl::Event> list = wait_list(q, deps);
  cl::Event e;
  check(enqueue(queue(q), list.empty() ? nullptr : &list, &e), call, devices_[device].device.name());
  const QueueEvent made = next(q, e);
  for (const auto& [from, to] : copies) {
    to->valid = true;
    to->ready.clear();
    to->ready.add(made);
    to->busy.clear();
    to->busy.add(made);
    from->busy.add(made);
  }
  return made;
}

QueueEvent TaskEngine::copy_between(ArrayState& array, std::size_t device, bool to_device, std::size_t offset,
                                    std::size_t bytes, NodeCopy& from, NodeCopy& to) {
  const cl::Buffer& b = buffer(array, device);
  void* host = array.host + offset;
  if (to_device) {
    return transfer(device, from, to, "clEnqueueWriteBuffer", [&](const auto& q, const auto* list, cl::Event* e) {
      return q.enqueueWriteBuffer(b, CL_FALSE, offset, bytes, host, list, e);
    });
  }
  return transfer(device, from, to, "clEnqueueReadBuffer", [&](const auto& q, const auto* list, cl::Event* e) {
    return q.enqueueReadBuffer(b, CL_FALSE, offset, bytes, host, list, e);
  });
}

QueueEvent TaskEngine::copy_on_device(ArrayState& array, std::size_t source, std::size_t device, std::size_t offset,
                                      std::size_t bytes, NodeCopy& from, NodeCopy& to) {
  const cl::Buffer& src = buffer(array, source);
  const cl::Buffer& dst = buffer(array, device);
  return transfer(device, from, to, "clEnqueueCopyBuffer", [&](const auto& q, const auto* list, cl::Event* e) {
    return q.enqueueCopyBuffer(src, dst, offset, offset, bytes, list, e);
  });
}

std::optional<std::size_t> TaskEngine::peer_holding(const Segment& s, std::size_t device) const {
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    if (d != device && node_of(d) != 0 && s.nodes[node_of(d)].valid &&
        devices_[d].context() == devices_[device].context()) {
      return d;
    }
  }
  return std::nullopt;
}

void TaskEngine::gather_to_host(ArrayState& array, std::size_t a, std::size_t b, EventSet& waits, bool read_back,
                                TransferBytes* moved, std::vector<HostCopy>* copies) {
  auto [first, last] = array.coherence.range(a, b);
  for (auto it = first; it != last; ++it) {
    Segment& s = it->second;
    NodeCopy& host = s.nodes[0];
    if (!host.valid) {
      std::size_t source = 0;
      while (source < devices_.size() && !(node_of(source) != 0 && s.nodes[node_of(source)].valid)) ++source;
      NodeCopy& from = s.nodes[node_of(source)];
      const auto [offset, bytes] = span_bytes(array, it->first, array.coherence.end_of(it));
      const QueueEvent c = copy_between(array, source, false, offset, bytes, from, host);
      if (copies != nullptr) copies->push_back({source, c.event, bytes});
      (read_back ? moved_[source].read_back : moved_[source].halo) += bytes;
      if (moved != nullptr) (read_back ? moved->read_back : moved->halo) += bytes;
      flush(transfer_queue(source));
    }
    waits.add(host.ready);
  }
}

std::int64_t TaskEngine::clock_offset(std::size_t device) {
  if (!clock_offsets_[device]) {
    const cl::CommandQueue& q = queue(kernel_queue(device));
    const std::uint64_t before = host_clock_ns();
    cl::Event marker;
    check(clEnqueueMarkerWithWaitList(q(), 0, nullptr, &marker()), "clEnqueueMarkerWithWaitList",
          devices_[device].device.name());
    check(marker.wait(), "clWaitForEvents", devices_[device].device.name());
    const std::uint64_t after = host_clock_ns();
    clock_offsets_[device] = static_cast<std::int64_t>(before / 2 + after / 2) -
                             static_cast<std::int64_t>(profiling_ns(marker, CL_PROFILING_COMMAND_END));
  }
  return *clock_offsets_[device];
}

void TaskEngine::fetch_slab(ArrayState& array, std::size_t device, const Slab& slab, EventSet& waits,
                            TaskState::Part& part, bool observed) {
  const std::size_t node = node_of(device), es = size_of(array.type);
  std::vector<std::pair<NodeCopy*, NodeCopy*>> copies;
  bool first_load = node != 0 && slab.rows > 1;
  for (std::size_t r = 0; r < slab.rows && first_load; ++r) {
    const std::size_t lo = (slab.offset + r * slab.pitch) / es;
    auto [first, last] = array.coherence.range(lo, lo + slab.row_bytes / es);
    Segment& s = first->second;
    first_load = std::next(first) == last && s.nodes[0].valid && !s.nodes[node].valid;
    copies.emplace_back(&s.nodes[0], &s.nodes[node]);
  }
  if (!first_load) {
    slab.for_each_run([&](std::size_t lo, std::size_t hi) { fetch(array, device, lo / es, hi / es, waits, part, observed); });
    return;
  }
  const cl::Buffer& b = buffer(array, device);
  const QueueEvent w = transfer(device, copies, "clEnqueueWriteBufferRect", [&](const auto& q, const auto* list, cl::Event* e) {
    cl::Event made;
    enqueue_write_slab(q, b, 0, slab, array.host, list, made, devices_[device].device.name());
    *e = made;
    return CL_SUCCESS;
  });
  moved_[device].load += slab.bytes();
  part.moved.load += slab.bytes();
  if (observed) part.writes.push_back({w.event, slab.bytes(), TransferReason::load});
  waits.add(w);
}

void TaskEngine::fetch(ArrayState& array, std::size_t device, std::size_t a, std::size_t b, EventSet& waits,
                       TaskState::Part& part, bool observed) {
  TransferBytes& moved = part.moved;
  const std::size_t node = node_of(device);
  auto [first, last] = array.coherence.range(a, b);
  for (auto it = first; it != last; ++it) {
    Segment& s = it->second;
    if (s.nodes[node].valid) {
      waits.add(s.nodes[node].ready);
      continue;
    }
    const auto [offset, bytes] = span_bytes(array, it->first, array.coherence.end_of(it));
    // Another device of this context wrote it: copied between the two devices' buffers.
    if (const auto peer = node == 0 || s.nodes[0].valid ? std::nullopt : peer_holding(s, device)) {
      const QueueEvent c = copy_on_device(array, *peer, device, offset, bytes, s.nodes[node_of(*peer)], s.nodes[node]);
      moved_[device].halo += bytes;
      moved.halo += bytes;
      if (observed) part.writes.push_back({c.event, bytes, TransferReason::halo});
      waits.add(c);
      continue;
    }
    const bool staged = !s.nodes[0].valid;  // another device (context) wrote it: through the host
    EventSet host_ready;
    gather_to_host(array, it->first, array.coherence.end_of(it), host_ready, false, &moved);
    if (node == 0) {
      waits.add(host_ready);
      continue;
    }
    const QueueEvent w = copy_between(array, device, true, offset, bytes, s.nodes[0], s.nodes[node]);
    (staged ? moved_[device].halo : moved_[device].load) += bytes;
    (staged ? moved.halo : moved.load) += bytes;
    if (observed) part.writes.push_back({w.event, bytes, staged ? TransferReason::halo : TransferReason::load});
    waits.add(w);
  }
}

bool TaskEngine::resident(const Launch& launch) const {
  std::vector<const ArrayState*> arrays;
  std::uint64_t bytes = 0, largest = 0;
  for (const auto& a : launch.args()) {
    if (std::holds_alternative<WindowBase>(a)) return false;
    const auto* b = std::get_if<BufferArg>(&a);
    if (b == nullptr || !b->array()) continue;
    const auto& state = Internals::state(b->array());
    if (std::find(arrays.begin(), arrays.end(), state.get()) != arrays.end()) continue;
    arrays.push_back(state.get());
    bytes += state->bytes;
    largest = std::max<std::uint64_t>(largest, state->bytes);
  }
  for (const auto& pd : launch.program().devices()) {
    for (const EngineDevice& d : devices_) {
      if (d.zero_copy || Internals::handle(d.device).device() != Internals::handle(pd).device()) continue;
      if (largest > d.alloc_limit || bytes > d.memory_limit) return false;
    }
  }
  return true;
}

void TaskEngine::wait_after(const Launch& launch) const {
  for (const auto& t : launch.after_tasks()) {
    for (const TaskState::Part& p : t->parts) p.kernel_event.event.wait();
    t->settle();
    if (const auto why = t->fault()) {
      throw Error(Errc::opencl, fmt::format("kernel '{}' cannot run: it runs after {}", launch.kernel(), t->fault_text(*why)));
    }
  }
}

std::shared_ptr<TaskState> TaskEngine::ran_on_host(const Launch& launch, RunStats stats) {
  auto task = std::make_shared<TaskState>();
  {
    std::lock_guard lock(mutex_);
    require_open();
    task->number = ++*watch_.launches;
  }
  task->kernel = launch.kernel();
  task->global = launch.global();
  task->engine = weak_from_this();
  task->devices = launch.program().devices();
  task->ran_on_host = std::move(stats);  // observers heard of the host run itself
  task->arm();
  task->settle();
  return task;
}

std::vector<std::shared_ptr<ArrayState>> TaskEngine::task_arrays(const LaunchPlan& plan) const {
  std::vector<std::shared_ptr<ArrayState>> out;
  for (const BufferPlan& bp : plan.buffers) {
    const ArrayBase& array = bp.buffer.array();
    const auto refuse = [&](std::string_view why) {
      invalid(fmt::format("kernel '{}' argument {}: {}", plan.kernel, bp.arg, why));
    };
    if (!array) refuse("a host array in a launch over arrays; give every buffer as a tessera::Array");
    const auto& state = Internals::state(array);
    if (state->owner_id != this) refuse("the array belongs to another runtime");
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (out[k] == state && (bp.writes() || plan.buffers[k].writes())) {
        refuse(fmt::format("the array is also argument {}, and one of them is written", plan.buffers[k].arg));
      }
    }
    if (bp.buffer.role() == BufferArg::Role::halo && bp.writes()) {
      refuse("an array with a halo is read-only (its neighbours' chunks write its halo); use two arrays and swap them");
    }
    out.push_back(state);
  }
  if (plan.windowed) invalid(fmt::format("kernel '{}': window_base() is for host arrays; an array is resident", plan.kernel));
  return out;
}

void TaskEngine::wait_events(const EventSet& events, ArrayState& array) {
  int failed = 0;
  for (const QueueEvent& e : events.items()) {
    e.event.wait();
    if (const cl_int status = execution_status(e.event); status < 0 && failed == 0) failed = status;
  }
  // The writers have ended: one that failed or was cancelled (or needs one that did) is named.
  auto [first, last] = array.coherence.range(0, array.count);
  for (auto it = first; it != last; ++it) {
    const auto writer = it->second.writer.lock();
    if (!writer || !writer->settle()) continue;
    if (const auto why = writer->fault()) {
      throw Error(Errc::opencl, fmt::format("array {} cannot be read: it was written by {}", array.number,
                                            writer->fault_text(*why)));
    }
  }
  if (failed < 0) {
    throw Error(Errc::opencl, fmt::format("array {} cannot be read: a command producing it failed ({})", array.number,
                                          cl_status_name(failed)));
  }
}

const void* TaskEngine::sync_host(ArrayState& array) {
  require_open();
  EventSet waits;
  std::vector<HostCopy> copies;
  const auto observers = observers_now();
  gather_to_host(array, 0, array.count, waits, true, nullptr, observers.empty() ? nullptr : &copies);
  wait_events(waits, array);
  for (const HostCopy& c : copies) {
    const std::string name = device_label(c.device);
    const TransferEvent e{array.number, name,
                          command_record(Lane::read, c.event, clock_offset(c.device), c.bytes, TransferReason::read_back)};
    for (const auto& o : observers) notify(*o, [&](Observer& x) { x.on_transfer(e); });
  }
  // Devices that wrote host memory in place: a map makes their writes visible to the host.
  for (std::size_t d = 0; d < devices_.size(); ++d) {
    if (!array.written_in_place[d] || array.buffers[d]() == nullptr) continue;
    cl_int status = CL_SUCCESS;
    const cl::CommandQueue& q = queue(kernel_queue(d));
    void* p = q.enqueueMapBuffer(array.buffers[d], CL_TRUE, CL_MAP_READ, 0, array.bytes, nullptr, nullptr, &status);
    check(status, "clEnqueueMapBuffer", devices_[d].device.name());
    check(q.enqueueUnmapMemObject(array.buffers[d], p), "clEnqueueUnmapMemObject", devices_[d].device.name());
    array.written_in_place[d] = false;
  }
  array.coherence.coalesce(0, array.count);
  return array.host;
}

const void* TaskEngine::host_view(ArrayState& array) {
  std::lock_guard lock(mutex_);
  return sync_host(array);
}

void TaskEngine::read(ArrayState& array, void* out) {
  std::lock_guard lock(mutex_);  // no task changes the host copy while it is copied
  std::memcpy(out, sync_host(array), array.bytes);
}

void TaskEngine::write(ArrayState& array, const void* data) {
  std::lock_guard lock(mutex_);
  require_open();
  EventSet users;
  auto [first, last] = array.coherence.range(0, array.count);
  for (auto it = first; it != last; ++it) users.add(it->second.nodes[0].busy);
  for (const QueueEvent& e : users.items()) e.event.wait();  // failed or not: they no longer use it
  std::memcpy(array.host, data, array.bytes);
  for (auto it = first; it != last; ++it) {
    Segment& s = it->second;
    for (std::size_t n = 0; n < s.nodes.size(); ++n) s.nodes[n].valid = n == 0;
    s.nodes[0].ready.clear();
    s.nodes[0].busy.clear();
    s.writer.reset();
    s.writer_number = 0;
  }
  array.coherence.coalesce(0, array.count);
}

std::shared_ptr<TaskState> TaskEngine::submit(const Launch& launch, const Schedule& schedule) {
  const std::uint64_t submitted = host_clock_ns();
  const LaunchPlan plan = plan_launch(launch, schedule);
  const std::vector<std::shared_ptr<ArrayState>> arrays = task_arrays(plan);
  const auto& program = *plan.program;

  std::unique_lock lock(mutex_);
  require_open();
  // Settled in submission order, from the oldest, every 16 submissions: a task's producers are
  // older, so each one settles in O(1), and a task is released once it has ended and been
  // settled (asking a driver whether a command ended costs its locks: not every time).
  if (++submissions_ % 16 == 0) {
    while (!unsettled_.empty() && unsettled_.front()->poll() && unsettled_.front()->settle()) unsettled_.pop_front();
  }
  auto task = std::make_shared<TaskState>();
  task->observers = observers_now();
  const bool observed = !task->observers.empty();
  task->number = ++*watch_.launches;
  task->kernel = plan.kernel;
  task->global = plan.global;
  task->submit_ns = submitted;
  task->engine = weak_from_this();
  task->devices = program.devices;
  for (const auto& a : arrays) task->arrays.push_back(Internals::make_array(a));

  // The program's devices among the engine's (same context).
  std::vector<std::size_t> device_of;
  std::uint64_t device_set = 0;
  for (const auto& pd : program.per_device) {
    std::size_t d = 0;
    while (d < devices_.size() &&
           Internals::handle(devices_[d].device).device() != Internals::handle(pd.device).device()) {
      ++d;
    }
    if (d == devices_.size()) invalid(fmt::format("program '{}' was built by another runtime", program.name));
    device_of.push_back(d);
    device_set |= std::uint64_t{1} << (d % 64);
    task->device_set = device_set;
    task->zero_copy.push_back(devices_[d].zero_copy);
  }

  // What this task needs: a writer known to have failed refuses it now, by name; one known to be
  // cancelled makes it a task whose kernel does not run (cancelled too); one still running is
  // settled later (its cause reaches this task's wait()).
  bool void_inputs = false;
  const auto needs = [&](const std::shared_ptr<TaskState>& t, const auto& refuse) {
    if (t->settled.load(std::memory_order_acquire)) {
      if (const auto why = t->fault(); why && !why->cancelled()) throw Error(Errc::opencl, refuse(t->fault_text(*why)));
      if (t->fault()) void_inputs = true;
    }
    if (std::find(task->producers.begin(), task->producers.end(), t) == task->producers.end()) {
      task->producers.push_back(t);
      if (observed) task->depends_on.push_back(t->number);
    }
  };
  EventSet after;
  for (const auto& t : launch.after_tasks()) {
    for (const TaskState::Part& p : t->parts) after.add(p.kernel_event);
    needs(t, [&](const std::string& why) { return fmt::format("{} cannot run: it runs after {}", task->name(), why); });
  }
  for (std::size_t k = 0; k < plan.buffers.size(); ++k) {
    if (!plan.buffers[k].reads()) continue;
    ArrayState& a = *arrays[k];
    auto [first, last] = a.coherence.range(0, a.count);
    for (auto it = first; it != last; ++it) {
      const auto writer = it->second.writer.lock();
      if (!writer) continue;
      needs(writer, [&](const std::string& why) {
        return fmt::format("{} cannot run: argument {} was written by {}", task->name(), plan.buffers[k].arg, why);
      });
    }
  }

  const LaunchEvent submitted_event{task->number, task->kernel, task->global, submitted, 0, nullptr};
  for (const auto& o : task->observers) notify(*o, [&](Observer& x) { x.on_launch_submitted(submitted_event); });

  // Placement, from what each device has and has queued.
  const std::uint64_t now = host_clock_ns();
  std::vector<DeviceOutlook> outlooks;
  for (std::size_t i = 0; i < device_of.size(); ++i) {
    const std::size_t d = device_of[i];
    DeviceOutlook o;
    const auto& info = devices_[d].device.info();
    o.power = std::max(1.0, static_cast<double>(info.compute_units) * std::max(1u, info.clock_mhz));
    o.backlog_ns = static_cast<std::uint64_t>(std::max<std::int64_t>(backlog_ns_[d].load(), 0));
    // What it lacks: weighed only when there is a choice of device.
    for (std::size_t k = 0; k < plan.buffers.size() && device_of.size() > 1; ++k) {
      if (!plan.buffers[k].reads()) continue;
      ArrayState& a = *arrays[k];
      auto [first, last] = a.coherence.range(0, a.count);
      for (auto it = first; it != last; ++it) {
        const NodeCopy& c = it->second.nodes[node_of(d)];
        if (!c.valid) o.missing_bytes += (a.coherence.end_of(it) - it->first) * size_of(a.type);
        // Waiting on another device costs a callback's round trip.
        for (const QueueEvent& e : c.ready.items()) {
          if (e.queue / 2 != d) o.inputs_ready_ns = std::max(o.inputs_ready_ns, now + 20'000);
        }
      }
    }
    outlooks.push_back(o);
  }
  std::vector<Placed> placed;
  {
    std::lock_guard model(model_mutex_);
    for (std::size_t i = 0; i < device_of.size(); ++i) {
      const auto r = rates_.find({plan.kernel, device_of[i]});
      if (r != rates_.end()) outlooks[i].rate = r->second;
    }
    placed = placement_.place({plan.global.split_extent(), plan.granule, plan.global.items_per_index()}, schedule,
                              outlooks, device_set, now);
  }

  // Every chunk's inputs, then its kernel. Its arrays stay on the devices while it is enqueued.
  pinned_ = &arrays;
  const struct Unpin {
    const std::vector<std::shared_ptr<ArrayState>>*& pinned;
    ~Unpin() { pinned = nullptr; }
  } unpin{pinned_};
  // Scatter buffers: every part's copy starts from the array's contents now, on the host (a
  // synchronisation point: the array's writers are waited for).
  std::vector<std::vector<unsigned char>> before(plan.buffers.size());
  for (std::size_t i = 0; i < plan.buffers.size(); ++i) {
    if (plan.buffers[i].buffer.role() != BufferArg::Role::scatter) continue;
    const auto* host = static_cast<const unsigned char*>(sync_host(*arrays[i]));
    before[i].assign(host, host + arrays[i]->bytes);
  }
  std::vector<std::vector<PartCopy>> part_copies(placed.size());
  for (std::size_t p = 0; p < placed.size(); ++p) {
    const std::size_t d = device_of[placed[p].device];
    TaskState::Part part;
    part.device = d;
    part.program_device = placed[p].device;
    part.chunk = placed[p].chunk;
    part.chunk.device = placed[p].device;
    part.estimate_ns = placed[p].estimate_ns;
    part.clock_offset_ns = clock_offset(d);
    const std::size_t a = part.chunk.offset, b = part.chunk.offset + part.chunk.size;
    EventSet waits = after;
    cl::Kernel& k = kernel(plan, d);
    const std::string& name = devices_[d].device.name();
    for (std::size_t i = 0; i < plan.args.size(); ++i) {
      if (const auto* s = std::get_if<Scalar>(&plan.args[i])) {
        check(k.setArg(static_cast<cl_uint>(i), s->size(), s->data()), "clSetKernelArg", name);
      } else if (const auto* l = std::get_if<LocalArg>(&plan.args[i])) {
        check(k.setArg(static_cast<cl_uint>(i), cl::Local(l->bytes)), "clSetKernelArg", name);
      }
    }
    const std::size_t kq = kernel_queue(d);
    for (std::size_t i = 0; i < plan.buffers.size(); ++i) {
      const BufferPlan& bp = plan.buffers[i];
      ArrayState& array = *arrays[i];
      if (bp.private_copies()) {
        const bool scatter = bp.buffer.role() == BufferArg::Role::scatter;
        cl_int status = CL_SUCCESS;
        cl::Buffer copy(devices_[d].context, CL_MEM_READ_WRITE | (scatter ? CL_MEM_COPY_HOST_PTR : 0), array.bytes,
                        scatter ? before[i].data() : nullptr, &status);
        check(status, "clCreateBuffer", name);
        if (!scatter) {
          const auto identity = reduce_identity(array.type, bp.buffer.reduce_op());
          check(clEnqueueFillBuffer(queue(kq)(), copy(), identity.data(), identity.size(), 0, array.bytes, 0,
                                    nullptr, nullptr),
                "clEnqueueFillBuffer", name);
        }
        check(k.setArg(static_cast<cl_uint>(bp.arg), copy), "clSetKernelArg", name);
        part_copies[p].push_back({i, copy, std::vector<unsigned char>(array.bytes)});
        continue;
      }
      check(k.setArg(static_cast<cl_uint>(bp.arg), buffer(array, d)), "clSetKernelArg", name);
      const std::size_t es = size_of(array.type);
      if (bp.reads()) {
        fetch_slab(array, d, read_slab(bp, array, a, b), waits, part, observed);
      }
      if (bp.writes()) {
        bp.own_slab(a, b).for_each_run([&](std::size_t lo, std::size_t hi) {
          auto [first, last] = array.coherence.range(lo / es, hi / es);
          for (auto it = first; it != last; ++it) waits.add(it->second.nodes[node_of(d)].busy);
        });
      }
    }
    cl::Event e;
    part.injected = void_inputs ? 0 : faults_.next_chunk(d);
    if (part.injected < 0 || void_inputs) {  // the kernel does not run: a marker keeps the order
      const std::vector<cl::Event> list = wait_list(kq, waits);
      check(queue(kq).enqueueMarkerWithWaitList(list.empty() ? nullptr : &list, &e), "clEnqueueMarkerWithWaitList",
            name);
    } else {
      enqueue_chunk_kernel(queue(kq), k, plan, a, b - a, wait_list(kq, waits), e, name);
    }
    part.kernel_event = next(kq, e);
    for (PartCopy& c : part_copies[p]) {
      const std::vector<cl::Event> ran{e};
      check(queue(kq).enqueueReadBuffer(c.device, CL_FALSE, 0, c.data.size(), c.data.data(), &ran),
            "clEnqueueReadBuffer", name);
    }
    task->parts.push_back(std::move(part));
  }

  // What the chunks did to the arrays: readers use their copies; writers own their slices.
  for (const TaskState::Part& part : task->parts) {
    const std::size_t node = node_of(part.device);
    const std::size_t a = part.chunk.offset, b = part.chunk.offset + part.chunk.size;
    for (std::size_t i = 0; i < plan.buffers.size(); ++i) {
      const BufferPlan& bp = plan.buffers[i];
      ArrayState& array = *arrays[i];
      if (bp.private_copies()) continue;
      const std::size_t es = size_of(array.type);
      if (bp.reads() && !bp.writes()) {
        read_slab(bp, array, a, b).for_each_run([&](std::size_t lo, std::size_t hi) {
          auto [first, last] = array.coherence.range(lo / es, hi / es);
          for (auto it = first; it != last; ++it) it->second.nodes[node].busy.add(part.kernel_event);
        });
      }
      if (bp.writes() && devices_[part.device].zero_copy) array.written_in_place[part.device] = true;
      if (bp.writes()) bp.own_slab(a, b).for_each_run([&](std::size_t lo, std::size_t hi) {
        auto [first, last] = array.coherence.range(lo / es, hi / es);
        for (auto it = first; it != last; ++it) {
          Segment& s = it->second;
          for (std::size_t n = 0; n < s.nodes.size(); ++n) s.nodes[n].valid = n == node;
          s.nodes[node].ready.clear();
          s.nodes[node].ready.add(part.kernel_event);
          s.nodes[node].busy.clear();
          s.nodes[node].busy.add(part.kernel_event);
          s.writer = task;
          s.writer_number = task->number;
        }
      });
    }
  }
  for (std::size_t i = 0; i < plan.buffers.size(); ++i) arrays[i]->coherence.coalesce(0, arrays[i]->count);

  // Flushed, so that other queues' waits on them progress; then counted out by callbacks.
  for (const TaskState::Part& part : task->parts) {
    flush(kernel_queue(part.device));
    flush(transfer_queue(part.device));
  }
  task->arm();
  unsettled_.push_back(task);
  // One device: nothing to place, so no callback is needed; done() and wait() count the parts.
  for (std::size_t p = 0; p < task->parts.size() && device_of.size() > 1; ++p) {
    const TaskState::Part& part = task->parts[p];
    backlog_ns_[part.device].fetch_add(static_cast<std::int64_t>(part.estimate_ns));
    // Finished already (drivers that run commands at flush, as Oclgrind does, may never call
    // back for an event complete before the callback was set): counted here.
    if (const cl_int status = task->status_of(p, execution_status(part.kernel_event.event));
        status == CL_COMPLETE || status < 0) {
      part_finished(*task, p, status);
      continue;
    }
    {
      std::lock_guard count(callbacks_mutex_);
      ++callbacks_;
    }
    auto* done = new PartDone{task, p, this};
    const cl_int set = clSetEventCallback(part.kernel_event.event(), CL_COMPLETE, part_complete, done);
    if (set != CL_SUCCESS) {
      delete done;
      callback_done();
      throw_cl_error(set, "clSetEventCallback", devices_[part.device].device.name());
    }
  }
  if (std::any_of(part_copies.begin(), part_copies.end(), [](const auto& c) { return !c.empty(); })) {
    merge_part_copies(*task, plan, part_copies, arrays, before);
  }
  return task;
}

void TaskEngine::merge_part_copies(TaskState& task, const LaunchPlan& plan,
                                   const std::vector<std::vector<PartCopy>>& copies,
                                   const std::vector<std::shared_ptr<ArrayState>>& arrays,
                                   const std::vector<std::vector<unsigned char>>& before) {
  for (const TaskState::Part& part : task.parts) {
    check(queue(kernel_queue(part.device)).finish(), "clFinish", devices_[part.device].device.name());
  }
  if (task.parts.empty()) return;
  for (std::size_t p = 0; p < task.parts.size(); ++p) {
    const TaskState::Part& part = task.parts[p];
    if (const int status = task.status_of(p, execution_status(part.kernel_event.event)); status < 0) {
      throw Error(Errc::opencl, fmt::format("{} failed on device '{}' ({})", task.name(),
                                            devices_[part.device].device.name(), cl_status_name(status)));
    }
  }
  // Scatter buffers first, into new contents: a conflict leaves every array as it was.
  std::vector<std::vector<unsigned char>> merged(plan.buffers.size());
  for (std::size_t i = 0; i < plan.buffers.size(); ++i) {
    const BufferPlan& bp = plan.buffers[i];
    if (bp.buffer.role() != BufferArg::Role::scatter) continue;
    std::vector<ScatterCopy> chunks;
    for (std::size_t p = 0; p < task.parts.size(); ++p) {
      for (const PartCopy& c : copies[p]) {
        if (c.buffer != i) continue;
        chunks.push_back({task.parts[p].chunk, devices_[task.parts[p].device].device.name(), c.data.data()});
      }
    }
    merged[i] = merge_scatter(before[i].data(), arrays[i]->count, arrays[i]->type, chunks,
                              fmt::format("kernel '{}' argument {}", plan.kernel, bp.arg));
  }
  for (std::size_t i = 0; i < plan.buffers.size(); ++i) {
    const BufferPlan& bp = plan.buffers[i];
    if (!bp.private_copies()) continue;
    ArrayState& array = *arrays[i];
    EventSet ready;
    gather_to_host(array, 0, array.count, ready, true, nullptr);
    wait_events(ready, array);
    EventSet users;
    auto [first, last] = array.coherence.range(0, array.count);
    for (auto it = first; it != last; ++it) users.add(it->second.nodes[0].busy);
    for (const QueueEvent& e : users.items()) e.event.wait();
    if (bp.buffer.role() == BufferArg::Role::scatter) {
      std::memcpy(array.host, merged[i].data(), array.bytes);
    } else {
      // In chunk order: deterministic for a placement.
      for (std::size_t p = 0; p < task.parts.size(); ++p) {
        for (const PartCopy& c : copies[p]) {
          if (c.buffer == i) fold_reduction(array.host, c.data.data(), array.count, array.type, bp.buffer.reduce_op());
        }
      }
    }
    for (auto it = first; it != last; ++it) {
      Segment& s = it->second;
      for (std::size_t n = 0; n < s.nodes.size(); ++n) s.nodes[n].valid = n == 0;
      s.nodes[0].ready.clear();
      s.nodes[0].busy.clear();
      s.writer_number = task.number;
    }
    array.coherence.coalesce(0, array.count);
  }
}

void TaskEngine::part_finished(TaskState& task, std::size_t p, cl_int status) noexcept {
  if (!task.count_part(p, status)) return;
  // A program of one device has nothing to place: its tasks add no backlog and no measure.
  if (task.devices.size() < 2) return;
  const TaskState::Part& part = task.parts[p];
  backlog_ns_[part.device].fetch_sub(static_cast<std::int64_t>(part.estimate_ns));
  if (status < 0) return;
  const std::uint64_t start = profiling_ns(part.kernel_event.event, CL_PROFILING_COMMAND_START);
  const std::uint64_t end = profiling_ns(part.kernel_event.event, CL_PROFILING_COMMAND_END);
  if (end <= start) return;
  const double busy = static_cast<double>(end - start) * 1e-9;
  const double items = static_cast<double>(part.chunk.size * task.global.items_per_index());
  try {
    std::lock_guard model(model_mutex_);
    auto [it, fresh] = rates_.try_emplace({task.kernel, part.device}, items / busy);
    if (!fresh) it->second = 0.7 * it->second + 0.3 * items / busy;
    if (task.parts.size() > 1) {
      placement_.measured(task.global.split_extent(), task.device_set, part.chunk.device, part.chunk.size, busy);
    }
  } catch (...) {  // a measure lost to a failed allocation changes no result
  }
}

void TaskEngine::callback_done() noexcept {
  std::lock_guard lock(callbacks_mutex_);
  if (--callbacks_ == 0) callbacks_cv_.notify_all();
}

void TaskEngine::close() noexcept {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    for (auto& q : queues_) {
      if (!q) continue;
      drain(q->kernel);
      drain(q->transfer);
    }
    for (const auto& t : unsettled_) t->settle();  // everything has ended: observers hear of it
    unsettled_.clear();
  }
  std::unique_lock lock(callbacks_mutex_);
  callbacks_cv_.wait(lock, [this] { return callbacks_ == 0; });
}

void TaskEngine::drain(const cl::CommandQueue& q) noexcept {
  cl::Event last;
  if (q.enqueueMarkerWithWaitList(nullptr, &last) != CL_SUCCESS || q.finish() != CL_SUCCESS) return;
  // A driver's worker may still hold the last command's event after it completed (PoCL's
  // pthread device releases it then); a queue and its context released before that is a
  // use-after-free there. The reference count is a debugging query, so it is given a bound.
  for (int spins = 0; spins < 20000; ++spins) {
    cl_uint references = 0;
    if (clGetEventInfo(last(), CL_EVENT_REFERENCE_COUNT, sizeof references, &references, nullptr) != CL_SUCCESS ||
        references <= 1) {
      return;
    }
    std::this_thread::yield();
  }
}

std::vector<TransferBytes> TaskEngine::transfers() const {
  std::lock_guard lock(mutex_);
  return moved_;
}

}  // namespace tessera::detail
