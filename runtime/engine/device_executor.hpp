#pragma once
// Internal: the per-device executor. One host thread per device runs DeviceExecutor::run():
// it takes chunks from the ledger and keeps up to `pipeline` of them in flight on three
// in-order queues (write lane, kernel lane, read lane) chained by events, so that while chunk i
// runs, chunk i+1's input is being written and chunk i-1's output read. Devices that share
// memory with the host use the host arrays in place (CL_MEM_USE_HOST_PTR) and move nothing.

#include <cstddef>

#include "engine/run_state.hpp"

namespace tessera::detail {

/// Runs device `device` (an index into the program's devices) of `run`, starting with `first`
/// (a chunk the ledger already gave it), until the ledger has nothing more for it. Errors are
/// passed to RunState::fail, never thrown out; every command enqueued has finished when it
/// returns.
void run_device(RunState& run, std::size_t device, const Chunk& first) noexcept;

}  // namespace tessera::detail
