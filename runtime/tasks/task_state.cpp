// A task's completion: waiting for its chunks, naming what failed, and what it measured.

#include "tasks/task_state.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "tasks/task_engine.hpp"
#include "tessera/error.hpp"
#include "tessera/observer.hpp"

namespace tessera::detail {
namespace {

std::uint64_t profile(const cl::Event& e, cl_profiling_info what) {
  cl_ulong value = 0;
  return clGetEventProfilingInfo(e(), what, sizeof value, &value, nullptr) == CL_SUCCESS ? value : 0;
}

}  // namespace

std::string TaskState::name() const { return fmt::format("task {} '{}'", number, kernel); }

void TaskState::arm() {
  counted = std::make_unique<std::atomic<bool>[]>(parts.size());
  pending.store(parts.size());
}

bool TaskState::count_part(std::size_t p, int status) noexcept {
  if (counted[p].exchange(true)) return false;
  if (status < 0) {
    int expected = 0;
    failure.compare_exchange_strong(expected, status);
  }
  done_indices.fetch_add(parts[p].chunk.size);
  if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) complete_ns.store(host_clock_ns());
  return true;
}

RunStats TaskState::wait() {
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const cl::Event& e = parts[p].kernel_event.event;
    e.wait();
    cl_int status = CL_COMPLETE;
    clGetEventInfo(e(), CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
    if (const auto owner = engine.lock()) {
      owner->part_finished(*this, p, status);
    } else {
      count_part(p, status);
    }
  }
  waited = true;
  if (failed()) {
    std::string why = cl_status_name(failure.load()).empty() ? std::to_string(failure.load())
                                                             : std::string(cl_status_name(failure.load()));
    for (const auto& w : producers) {
      if (const auto p = w.lock(); p && p->failed()) {
        throw Error(Errc::opencl, fmt::format("{} did not run: {}, whose data it needs, failed ({})", name(),
                                              p->name(), cl_status_name(p->failure.load())));
      }
    }
    throw Error(Errc::opencl, fmt::format("{} failed ({})", name(), why));
  }
  RunStats out;
  for (std::size_t d = 0; d < devices.size(); ++d) {
    DeviceRunStats s{devices[d]};
    s.zero_copy = zero_copy[d];
    out.devices.push_back(s);
  }
  const double seconds = static_cast<double>(complete_ns.load() - std::min(complete_ns.load(), submit_ns)) * 1e-9;
  for (const Part& p : parts) {
    ChunkRecord r;
    r.chunk = p.chunk;
    r.queued_ns = profile(p.kernel_event.event, CL_PROFILING_COMMAND_QUEUED);
    r.submit_ns = profile(p.kernel_event.event, CL_PROFILING_COMMAND_SUBMIT);
    r.start_ns = profile(p.kernel_event.event, CL_PROFILING_COMMAND_START);
    r.end_ns = profile(p.kernel_event.event, CL_PROFILING_COMMAND_END);
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
  out.wall_s = seconds;
  out.items = global.total();
  return out;
}

}  // namespace tessera::detail
