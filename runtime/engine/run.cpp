// Starting a run (a thread per device the policy gives work), and finishing it.

#include "engine/run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "common/internals.hpp"
#include "engine/device_executor.hpp"
#include "engine/scatter.hpp"
#include "observe/notify.hpp"

namespace tessera::detail {
namespace {

// Device powers a run starts from: for `static` without weights, what its earlier runs of the
// same launch measured on every device (indices per second); else compute units x clock.
std::vector<double> starting_power(const LaunchPlan& plan, const Schedule& schedule) {
  const auto& devices = plan.program->devices;
  if (calibrated_static(schedule)) {
    std::vector<double> measured;
    const auto items_per_index = static_cast<double>(plan.global.items_per_index());
    const std::string range = plan.global.to_string();
    for (std::size_t d = 0; d < devices.size(); ++d) {
      const auto rate = plan.program->history.rate(plan.kernel, range, d);
      if (!rate) break;
      measured.push_back(*rate / items_per_index);
    }
    if (measured.size() == devices.size()) return measured;
  }
  std::vector<double> estimated;
  for (const Device& d : devices) {
    const auto& i = d.info();
    estimated.push_back(std::max(1.0, static_cast<double>(i.compute_units) * std::max(1u, i.clock_mhz)));
  }
  return estimated;
}

// A checked run's schedule: 4 chunks per device, one in flight.
Schedule checking_schedule(const LaunchPlan& plan) {
  Schedule s = Schedule::dynamic(std::max<std::size_t>(plan.global.split_extent() / (4 * plan.program->devices.size()), 1));
  s.pipeline = 1;
  return s;
}

// Per device of the plan's program: whether it works on the host arrays in place.
std::vector<bool> in_place_devices(const RuntimeState& runtime, const LaunchPlan& plan, bool checking) {
  std::vector<bool> out;
  for (const Device& d : plan.program->devices) {
    out.push_back(d.info().unified_memory && runtime.options.zero_copy.value_or(true) && !checking);
  }
  return out;
}

// Per device: the largest chunk it holds (max_chunk_for), which throws when the launch cannot
// fit it at all.
std::vector<std::size_t> device_limits(const RuntimeState& runtime, const LaunchPlan& plan, const Schedule& schedule,
                                       const std::vector<bool>& in_place) {
  std::vector<std::size_t> limits;
  const std::uint64_t cap = runtime.options.device_memory_limit;
  const auto& devices = plan.program->devices;
  for (std::size_t d = 0; d < devices.size(); ++d) {
    const auto& i = devices[d].info();
    limits.push_back(max_chunk_for(plan, i, cap > 0 ? std::min(cap, i.global_memory) : i.global_memory,
                                   cap > 0 ? std::min(cap, i.max_alloc) : i.max_alloc,
                                   std::max<std::size_t>(schedule.pipeline, 1), in_place[d]));
  }
  return limits;
}

std::shared_ptr<RunState> prepare_run(const RuntimeState& runtime, const Launch& launch,
                                      const Schedule& requested, bool checking = false) {
  const auto submitted = std::chrono::steady_clock::now();  // wall_s includes validation
  const std::uint64_t submitted_ns = host_clock_ns();
  LaunchPlan plan = plan_launch(launch, requested);
  require_host_data(plan);
  const Schedule schedule = checking ? checking_schedule(plan) : requested;
  const auto& devices = plan.program->devices;
  auto power = starting_power(plan, schedule);
  std::vector<bool> in_place = in_place_devices(runtime, plan, checking);
  std::vector<std::size_t> limits = device_limits(runtime, plan, schedule, in_place);
  auto state = std::make_shared<RunState>(std::move(plan), schedule, std::move(power), std::move(limits),
                                          in_place, checking);
  for (std::size_t d = 0; d < devices.size(); ++d) {
    DeviceRunStats s{devices[d]};
    s.zero_copy = in_place[d];
    state->device_stats.push_back(s);
  }
  {
    const std::lock_guard lock(runtime.observers_mutex);
    state->observers = runtime.observers;
  }
  state->launch_number = ++runtime.launches;
  const LaunchEvent submitted_event{state->launch_number, state->plan.kernel, state->plan.global, host_clock_ns(), 0,
                                    nullptr};
  for (const auto& o : state->observers) notify(*o, [&](Observer& x) { x.on_launch_submitted(submitted_event); });
  state->start_ns = submitted_ns;
  state->start = submitted;
  return state;
}

// Device `device` of `run` from its first chunk to its last (run_device), then counted out of
// the running devices.
void work_device(RunState& run, std::size_t device, const Chunk& first) noexcept {
  run_device(run, device, first);
  run.running_devices.fetch_sub(1, std::memory_order_release);
}

// Starts the devices of `run`: each is asked for its first chunk here, and only those given
// one get a thread (a device the policy has nothing for costs nothing). With `keep_one`, the
// last of them is not started but returned, for the calling thread to work_device.
std::optional<std::pair<std::size_t, Chunk>> start_devices(RunState& run, bool keep_one) {
  std::vector<std::pair<std::size_t, Chunk>> first;
  for (std::size_t d = 0; d < run.device_stats.size(); ++d) {
    if (auto c = run.ledger.take(d)) first.emplace_back(d, *c);
  }
  run.running_devices.store(first.size(), std::memory_order_relaxed);  // before any thread starts
  std::optional<std::pair<std::size_t, Chunk>> kept;
  if (keep_one && !first.empty()) {
    kept = first.back();
    first.pop_back();
  }
  for (const auto& [d, chunk] : first) {
    run.threads.emplace_back([s = &run, d = d, c = chunk] { work_device(*s, d, c); });
  }
  return kept;
}

}  // namespace

std::shared_ptr<RunState> submit_run(const RuntimeState& runtime, const Launch& launch,
                                     const Schedule& schedule) {
  auto run = prepare_run(runtime, launch, schedule);
  start_devices(*run, false);
  return run;
}

namespace {

RunStats complete_on_this_thread(const std::shared_ptr<RunState>& run, std::stop_token stop) {
  // Runs at once on this thread when a stop came already: then no chunk is handed out.
  const std::stop_callback cancel(stop, [&run] { run->ledger.cancel(); });
  if (const auto kept = start_devices(*run, true)) {
    work_device(*run, kept->first, kept->second);  // on this thread: one thread fewer
  }
  return finish_run(*run);
}

}  // namespace

RunStats run_to_completion(const RuntimeState& runtime, const Launch& launch, const Schedule& schedule,
                           std::stop_token stop) {
  return complete_on_this_thread(prepare_run(runtime, launch, schedule), std::move(stop));
}

void validate_launch(const RuntimeState& runtime, const Launch& launch, const Schedule& schedule) {
  const LaunchPlan plan = plan_launch(launch, schedule);
  device_limits(runtime, plan, schedule, in_place_devices(runtime, plan, false));
}

RunStats check_to_completion(const RuntimeState& runtime, const Launch& launch, std::stop_token stop) {
  return complete_on_this_thread(prepare_run(runtime, launch, Schedule::hguided(), true), std::move(stop));
}

namespace {

void report_launch(const RunState& s, const RunStats* stats) {
  LaunchEvent e{s.launch_number, s.plan.kernel, s.plan.global, s.start_ns, host_clock_ns(), stats};
  for (const auto& o : s.observers) notify(*o, [&](Observer& x) { x.on_launch(e); });
}

// The run's private copies merged into the host arrays in chunk order (deterministic for a
// chunking). Scatter buffers are merged first into new contents, so that a conflict leaves every
// array as it was; then the reductions are folded and the scatter contents written.
void merge_private_copies(RunState& s) {
  auto& copies = s.private_copies;
  std::sort(copies.begin(), copies.end(), [](const auto& a, const auto& b) {
    return a.chunk.offset != b.chunk.offset ? a.chunk.offset < b.chunk.offset : a.buffer < b.buffer;
  });
  std::vector<std::pair<std::size_t, std::vector<unsigned char>>> merged;
  for (std::size_t k = 0; k < s.plan.buffers.size(); ++k) {
    const BufferPlan& bp = s.plan.buffers[k];
    if (bp.buffer.role() != BufferArg::Role::scatter) continue;
    std::vector<ScatterCopy> chunks;
    for (const auto& c : copies) {
      if (c.buffer == k) chunks.push_back({c.chunk, s.plan.program->devices[c.chunk.device].name(), c.data.data()});
    }
    merged.emplace_back(k, merge_scatter(static_cast<const unsigned char*>(bp.buffer.data()), bp.buffer.count(),
                                         bp.buffer.type(), chunks,
                                         fmt::format("kernel '{}' argument {}", s.plan.kernel, bp.arg)));
  }
  for (const auto& r : copies) {
    const BufferArg& arg = s.plan.buffers[r.buffer].buffer;
    if (arg.role() == BufferArg::Role::reduce) {
      fold_reduction(arg.data(), r.data.data(), arg.count(), arg.type(), arg.reduce_op());
    }
  }
  for (const auto& [k, bytes] : merged) std::memcpy(s.plan.buffers[k].buffer.data(), bytes.data(), bytes.size());
  copies.clear();
}

}  // namespace

RunStats finish_run(RunState& s) {
  s.join();
  if (s.error) {
    report_launch(s, nullptr);
    std::rethrow_exception(s.error);
  }
  try {
    merge_private_copies(s);
  } catch (...) {
    report_launch(s, nullptr);
    throw;
  }

  RunStats out;
  out.devices = s.device_stats;
  out.ledger = s.records;
  std::sort(out.ledger.begin(), out.ledger.end(),
            [](const auto& a, const auto& b) { return a.chunk.sequence < b.chunk.sequence; });
  out.wall_s = s.seconds_since_start();
  out.submitted_ns = s.start_ns;
  out.ended_ns = host_clock_ns();
  out.items = s.plan.global.total();
  out.cancelled = s.finished_indices.load() < s.plan.global.split_extent();
  out.findings = std::move(s.findings);
  // The first finding of each kind for each argument, in chunk order. An argument written
  // outside chunks' slices leaves slices to the chunks that write them: its unwritten elements are
  // that one mistake, which the scatter role fixes, and no finding of their own.
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [](const auto& a, const auto& b) { return a.chunk.offset < b.chunk.offset; });
  std::vector<std::size_t> scattered;  // arguments written outside a slice
  for (const auto& f : out.findings) {
    if (f.kind == WriteFinding::Kind::outside_slice) scattered.push_back(f.arg);
  }
  std::vector<WriteFinding> first;
  for (auto& f : out.findings) {
    const bool seen = std::any_of(first.begin(), first.end(), [&](const auto& g) { return g.arg == f.arg && g.kind == f.kind; });
    const bool left_to_others = f.kind == WriteFinding::Kind::unwritten &&
                                std::find(scattered.begin(), scattered.end(), f.arg) != scattered.end();
    if (!seen && !left_to_others) first.push_back(std::move(f));
  }
  out.findings = std::move(first);
  report_launch(s, &out);
  return out;
}

}  // namespace tessera::detail
