// Starting a run (one thread per device), waiting for it, and what it measured.

#include <algorithm>

#include "engine/device_executor.hpp"
#include "engine/run_state.hpp"
#include "runtime_state.hpp"
#include "tessera/runtime.hpp"
#include "tessera/submission.hpp"

namespace tessera {
namespace detail {

RunState::RunState(LaunchPlan p, Schedule s, std::vector<double> power,
                   std::vector<std::size_t> limits)
    : plan(std::move(p)),
      schedule(s),
      max_chunk(std::move(limits)),
      ledger(std::move(s), {.total = plan.global.split_extent(),
                            .granule = plan.granule,
                            .items_per_index = plan.global.items_per_index(),
                            .power = std::move(power),
                            .max_chunk = max_chunk,
                            .zero_copy = zero_copy_devices(plan)}),
      start(std::chrono::steady_clock::now()) {}

std::vector<bool> zero_copy_devices(const LaunchPlan& plan) {
  std::vector<bool> out;
  for (const Device& d : plan.program->devices) out.push_back(d.info().unified_memory);
  return out;
}

double RunState::seconds_since_start() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void RunState::fail(std::exception_ptr e) {
  {
    std::lock_guard lock(mutex);
    if (!error) error = std::move(e);
  }
  ledger.cancel();
}

void RunState::join() {
  if (joined) return;
  for (auto& t : threads) t.join();
  joined = true;
}

bool calibrated_static(const Schedule& schedule) {
  const auto* s = std::get_if<policy::Static>(&schedule.policy());
  return s != nullptr && s->weights.empty();
}

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

}  // namespace
}  // namespace detail

double RunStats::balance() const noexcept {
  double sum = 0, worst = 0;
  std::size_t n = 0;
  for (const auto& d : devices) {
    if (d.chunks == 0) continue;
    sum += d.finished_s;
    worst = std::max(worst, d.finished_s);
    ++n;
  }
  return n == 0 || worst <= 0 ? 0.0 : sum / static_cast<double>(n) / worst;
}

namespace detail {

std::shared_ptr<RunState> prepare_run(const Runtime::State& runtime, const Launch& launch,
                                      const Schedule& schedule) {
  const auto submitted = std::chrono::steady_clock::now();  // wall_s includes validation
  detail::LaunchPlan plan = detail::plan_launch(launch, schedule);
  const auto& devices = plan.program->devices;
  auto power = detail::starting_power(plan, schedule);
  std::vector<std::size_t> limits;
  const std::uint64_t cap = runtime.options.device_memory_limit;
  for (const Device& d : devices) {
    const auto& i = d.info();
    limits.push_back(detail::max_chunk_for(plan, i, cap > 0 ? std::min(cap, i.global_memory) : i.global_memory,
                                           cap > 0 ? std::min(cap, i.max_alloc) : i.max_alloc,
                                           std::max<std::size_t>(schedule.pipeline, 1)));
  }
  auto state = std::make_shared<detail::RunState>(std::move(plan), schedule, std::move(power),
                                                  std::move(limits));
  for (const Device& d : devices) {
    DeviceRunStats s{d};
    s.zero_copy = d.info().unified_memory;
    state->devices.push_back(s);
  }
  state->start = submitted;
  return state;
}

namespace {

// Starts the devices of `run`: each is asked for its first chunk here, and only those given
// one get a thread (a device the policy has nothing for costs nothing). With `keep_one`, the
// last of them is not started but returned, for the calling thread to run.
std::optional<std::pair<std::size_t, Chunk>> start_devices(RunState& run, bool keep_one) {
  std::vector<std::pair<std::size_t, Chunk>> first;
  for (std::size_t d = 0; d < run.devices.size(); ++d) {
    if (auto c = run.ledger.take(d)) first.emplace_back(d, *c);
  }
  std::optional<std::pair<std::size_t, Chunk>> kept;
  if (keep_one && !first.empty()) {
    kept = first.back();
    first.pop_back();
  }
  for (const auto& [d, chunk] : first) {
    run.threads.emplace_back([s = &run, d = d, c = chunk] { run_device(*s, d, c); });
  }
  return kept;
}

}  // namespace
}  // namespace detail

Submission Runtime::submit(const Launch& launch, const Schedule& schedule) const {
  auto state = detail::prepare_run(*state_, launch, schedule);
  detail::start_devices(*state, false);
  return Submission(std::move(state));
}

RunStats Runtime::run(const Launch& launch, const Schedule& schedule) const {
  auto state = detail::prepare_run(*state_, launch, schedule);
  if (const auto kept = detail::start_devices(*state, true)) {
    detail::run_device(*state, kept->first, kept->second);  // on this thread: one thread fewer
  }
  return Submission(std::move(state)).wait();
}

Submission::Submission(std::shared_ptr<detail::RunState> state) : state_(std::move(state)) {}
Submission::Submission(Submission&&) noexcept = default;
Submission& Submission::operator=(Submission&& other) noexcept {
  if (this != &other) {
    if (state_) {
      state_->ledger.cancel();
      state_->join();
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

Submission::~Submission() {
  if (state_ && !state_->joined) {
    state_->ledger.cancel();
    state_->join();
  }
}

RunStats Submission::wait() {
  detail::RunState& s = *state_;
  s.join();
  if (s.error) std::rethrow_exception(s.error);

  // Fold reduce copies into the host arrays in chunk order: deterministic for a chunking.
  std::sort(s.reductions.begin(), s.reductions.end(), [](const auto& a, const auto& b) {
    return a.chunk.offset != b.chunk.offset ? a.chunk.offset < b.chunk.offset : a.buffer < b.buffer;
  });
  for (const auto& r : s.reductions) {
    const BufferArg& arg = s.plan.buffers[r.buffer].buffer;
    detail::fold_reduction(arg.data(), r.data.data(), arg.count(), arg.type(), arg.reduce_op());
  }
  s.reductions.clear();

  RunStats out;
  out.devices = s.devices;
  out.ledger = s.records;
  std::sort(out.ledger.begin(), out.ledger.end(),
            [](const auto& a, const auto& b) { return a.chunk.sequence < b.chunk.sequence; });
  out.wall_s = s.seconds_since_start();
  out.items = s.plan.global.total();
  out.cancelled = s.finished_indices.load() < s.plan.global.split_extent();
  return out;
}

double Submission::progress() const noexcept {
  return static_cast<double>(state_->finished_indices.load()) /
         static_cast<double>(state_->plan.global.split_extent());
}

void Submission::cancel() noexcept { state_->ledger.cancel(); }

bool Submission::done() const noexcept {
  return state_->finished_indices.load() == state_->plan.global.split_extent() || state_->joined;
}

}  // namespace tessera
