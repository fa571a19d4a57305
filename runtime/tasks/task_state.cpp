// A task's completion: waiting for its chunks, naming what failed, and what it measured.

#include "tasks/task_state.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "observe/command_record.hpp"
#include "observe/notify.hpp"
#include "tasks/task_engine.hpp"
#include "tessera/error.hpp"
#include "tessera/observer.hpp"

namespace tessera::detail {

std::string TaskState::name() const { return fmt::format("task {} '{}'", number, kernel); }

std::string TaskState::Cause::what() const {
  if (cancelled()) return "was cancelled";
  const std::string_view why = cl_status_name(status);
  return fmt::format("failed on {} ({})", device, why.empty() ? std::to_string(status) : std::string(why));
}

void TaskState::arm() {
  counted = std::make_unique<std::atomic<bool>[]>(parts.size());
  pending.store(parts.size());
}

bool TaskState::count_part(std::size_t p, int status) noexcept {
  if (counted[p].exchange(true)) return false;
  if (status < 0) {
    int expected = 0;
    if (failure.compare_exchange_strong(expected, status)) failed_part.store(p);
  }
  done_indices.fetch_add(parts[p].chunk.size);
  if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) complete_ns.store(host_clock_ns());
  return true;
}

namespace {

// Part p's end accounted: by the engine (its model and backlog), or here once it is gone.
void account(TaskState& task, std::size_t p, cl_int status) {
  if (const auto owner = task.engine.lock()) {
    owner->part_finished(task, p, status);
  } else {
    task.count_part(p, status);
  }
}

}  // namespace

std::string TaskState::fault_text(const Cause& c) const {
  if (c.root == name()) return fmt::format("{}, which {}", name(), c.what());
  return fmt::format("{}, which has no results: it needs data from {}, which {}", name(), c.root, c.what());
}

bool TaskState::poll() noexcept {
  for (std::size_t p = 0; p < parts.size() && !done(); ++p) {
    if (counted[p].load()) continue;
    const cl_int status = status_of(p, execution_status(parts[p].kernel_event.event));
    if (status == CL_COMPLETE || status < 0) account(*this, p, status);
  }
  return done();
}

bool TaskState::settle_one() noexcept {
  if (!poll()) return false;
  if (failed()) {
    const Device& on = devices[parts[failed_part.load()].program_device];
    cause = std::make_shared<const Cause>(Cause{name(), failure.load(), fmt::format("device {} '{}'", on.info().label(), on.name())});
  } else if (cancel_requested.load()) {
    cause = std::make_shared<const Cause>(Cause{name(), 0, {}});
  } else {
    for (const auto& p : producers) {
      if (p->cause) cause = p->cause;  // settled: no longer written
      if (cause) break;
    }
  }
  producers.clear();
  settled.store(true, std::memory_order_release);
  report();
  return true;
}

bool TaskState::settle() noexcept {
  const auto open = [](const TaskState& t) {
    return std::find_if(t.producers.begin(), t.producers.end(),
                        [](const auto& p) { return !p->settled.load(std::memory_order_acquire); });
  };
  {
    std::unique_lock lock(settle_mutex);
    if (settled.load(std::memory_order_acquire)) return true;
    if (open(*this) == producers.end()) return settle_one();  // the usual case: no walk
  }
  // Depth first over unsettled producers, on a stack of our own: chains are long.
  std::vector<TaskState*> stack{this};
  while (!stack.empty()) {
    TaskState& t = *stack.back();
    std::unique_lock lock(t.settle_mutex);
    if (t.settled.load(std::memory_order_acquire)) {
      stack.pop_back();
      continue;
    }
    if (const auto next = open(t); next != t.producers.end()) {
      stack.push_back(next->get());
      continue;
    }
    if (!t.settle_one()) return false;
    stack.pop_back();
  }
  return true;
}

std::shared_ptr<const TaskState::Cause> TaskState::fault() {
  const std::lock_guard lock(settle_mutex);
  return cause;
}

void TaskState::cancel() noexcept {
  if (poll() && !failed()) return;  // finished: its results stand
  const std::lock_guard lock(settle_mutex);
  if (!settled.load()) cancel_requested.store(true);
}

RunStats TaskState::wait() {
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const cl::Event& e = parts[p].kernel_event.event;
    cl_int status = execution_status(e);
    if (status != CL_COMPLETE && status >= 0) {
      e.wait();
      status = execution_status(e);
    }
    account(*this, p, status_of(p, status));
  }
  settle();  // everything it waited for has ended: settles
  const auto why = fault();
  if (why && !why->cancelled()) {
    if (why->root == name()) throw Error(Errc::opencl, fmt::format("{} {}", name(), why->what()));
    throw Error(Errc::opencl, fmt::format("{} has no results: it needs data from {}, which {}", name(), why->root,
                                          why->what()));
  }
  return stats();
}

std::uint64_t TaskState::end_ns() const {
  // Each part's time from its enqueueing to its end, on its own device's clock (no error of the
  // offset between clocks enters), after the submission; and no sooner than its commands end
  // as observers see them (aligned by that offset).
  std::uint64_t end = submit_ns;
  for (const Part& p : parts) {
    const std::uint64_t queued = profiling_ns(p.kernel_event.event, CL_PROFILING_COMMAND_QUEUED);
    const std::uint64_t ended = profiling_ns(p.kernel_event.event, CL_PROFILING_COMMAND_END);
    if (queued == 0 || ended < queued) return complete_ns.load();
    const auto aligned = static_cast<std::int64_t>(ended) + p.clock_offset_ns;
    end = std::max({end, submit_ns + (ended - queued), static_cast<std::uint64_t>(std::max<std::int64_t>(aligned, 0))});
  }
  return parts.empty() ? complete_ns.load() : end;
}

RunStats TaskState::stats() const {
  if (ran_on_host) return *ran_on_host;
  RunStats out;
  for (std::size_t d = 0; d < devices.size(); ++d) {
    DeviceRunStats s{devices[d]};
    s.zero_copy = zero_copy[d];
    out.devices.push_back(s);
  }
  const std::uint64_t end = end_ns();
  const double seconds = static_cast<double>(end - std::min(end, submit_ns)) * 1e-9;
  for (const Part& p : parts) {
    ChunkRecord r;
    r.chunk = p.chunk;
    r.queued_ns = profiling_ns(p.kernel_event.event, CL_PROFILING_COMMAND_QUEUED);
    r.submit_ns = profiling_ns(p.kernel_event.event, CL_PROFILING_COMMAND_SUBMIT);
    r.start_ns = profiling_ns(p.kernel_event.event, CL_PROFILING_COMMAND_START);
    r.end_ns = profiling_ns(p.kernel_event.event, CL_PROFILING_COMMAND_END);
    r.bytes_in = p.moved.load + p.moved.halo;
    r.host_done_s = seconds;
    out.ledger.push_back(r);
    DeviceRunStats& s = out.devices[p.program_device];
    ++s.chunks;
    s.items += p.chunk.size * global.items_per_index();
    s.busy_s += r.end_ns > r.start_ns ? static_cast<double>(r.end_ns - r.start_ns) * 1e-9 : 0.0;
    s.bytes_in += r.bytes_in;
    s.moved += p.moved;
    s.finished_s = seconds;
  }
  out.cancelled = cause != nullptr;  // its results, or those it needs, were discarded (settled: fixed)
  out.wall_s = seconds;
  out.submitted_ns = submit_ns;
  out.ended_ns = end;
  out.items = global.total();
  return out;
}

void TaskState::report() noexcept {
  if (observers.empty()) return;
  try {
    for (const Part& p : parts) {
      ChunkEvent e;
      e.launch = number;
      e.kernel = kernel;
      e.device = p.program_device;
      e.device_info = &devices[p.program_device];
      const std::string name = devices[p.program_device].info().label() + " " + devices[p.program_device].name();
      e.device_name = name;
      e.chunk = p.chunk;
      for (const Part::Copy& c : p.writes) {
        e.commands.push_back(command_record(Lane::write, c.event, p.clock_offset_ns, c.bytes, c.reason));
      }
      e.commands.push_back(command_record(Lane::kernel, p.kernel_event.event, p.clock_offset_ns, 0, TransferReason::none));
      for (const auto& o : observers) notify(*o, [&](Observer& x) { x.on_chunk(e); });
    }
    const RunStats stats = this->stats();
    const bool failed_itself = cause && !cause->cancelled();  // failed: no statistics
    const LaunchEvent done{number, kernel, global, submit_ns, stats.ended_ns, failed_itself ? nullptr : &stats,
                           depends_on};
    for (const auto& o : observers) notify(*o, [&](Observer& x) { x.on_launch(done); });
  } catch (...) {  // a report lost to a failed allocation changes no result
  }
}

}  // namespace tessera::detail
