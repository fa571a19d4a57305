#pragma once
// Internal: an ended command as observers see it, from its event's profiling times moved onto
// the host clock by its device's offset.

#include <cstdint>

#include "common/cl.hpp"
#include "tessera/observer.hpp"

namespace tessera::detail {

inline CommandRecord command_record(Lane lane, const cl::Event& event, std::int64_t clock_offset_ns, std::uint64_t bytes,
                                    TransferReason reason) {
  const auto at = [&](cl_profiling_info what) {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(profiling_ns(event, what)) + clock_offset_ns);
  };
  return {lane, at(CL_PROFILING_COMMAND_START), at(CL_PROFILING_COMMAND_END), bytes, reason};
}

}  // namespace tessera::detail
