// RunState: what one run's device threads and its Submission share.

#include "engine/run_state.hpp"

#include <chrono>
#include <utility>

namespace tessera::detail {

RunState::RunState(LaunchPlan p, Schedule s, std::vector<double> power,
                   std::vector<std::size_t> limits, std::vector<bool> zero_copy, bool check)
    : plan(std::move(p)),
      schedule(s),
      checking(check),
      in_place(std::move(zero_copy)),
      max_chunk(std::move(limits)),
      ledger(std::move(s), {.total = plan.global.split_extent(),
                            .granule = plan.granule,
                            .items_per_index = plan.global.items_per_index(),
                            .power = std::move(power),
                            .max_chunk = max_chunk,
                            .zero_copy = in_place}),
      start(std::chrono::steady_clock::now()) {}

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

}  // namespace tessera::detail
