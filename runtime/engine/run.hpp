#pragma once
// Internal: starting a launch on a runtime's devices, and finishing it.

#include <memory>
#include <stop_token>

#include "engine/run_state.hpp"
#include "runtime_state.hpp"
#include "tessera/launch.hpp"
#include "tessera/run_stats.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {

/// Plans `launch` (throws Error(invalid_argument) when it does not fit its kernel) and starts,
/// in the background, every device the policy gives a first chunk: one thread each.
std::shared_ptr<RunState> submit_run(const RuntimeState& runtime, const Launch& launch,
                                     const Schedule& schedule);

/// The same, but one of the devices is worked on the calling thread, which returns when the
/// whole launch has finished; a stop requested on `stop` cancels the run's ledger (no further
/// chunk starts).
RunStats run_to_completion(const RuntimeState& runtime, const Launch& launch, const Schedule& schedule,
                           std::stop_token stop);

/// Runtime::validate: plans `launch` (host arrays may be null) and checks that it fits every
/// device; throws Error(invalid_argument) as run() would, running nothing.
void validate_launch(const RuntimeState& runtime, const Launch& launch, const Schedule& schedule);

/// run_to_completion for Runtime::check: every device on the transfer path, 4 dynamic chunks
/// per device, one in flight, each chunk checked against its buffers' roles.
RunStats check_to_completion(const RuntimeState& runtime, const Launch& launch, std::stop_token stop);

/// Joins `run`'s threads, rethrows the first error a device met, merges the chunks' private
/// copies into the host arrays in chunk order (reduce: folded; scatter: the changed elements,
/// throwing Error(write_conflict) with every array untouched when two chunks disagree), and
/// returns what the run measured. Call once.
RunStats finish_run(RunState& run);

}  // namespace tessera::detail
