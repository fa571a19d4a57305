#pragma once
// Internal: a launch checked against its kernel's signature, with the geometry of every buffer.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "program_handle.hpp"
#include "tessera/launch.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {

/// Where a buffer argument's bytes lie for a range of the split dimension.
struct BufferPlan {
  std::size_t arg = 0;  ///< kernel argument index
  BufferArg buffer;
  std::size_t elements_per_index = 0;  ///< split and halo roles; 0 otherwise

  /// Byte range [first, second) of the buffer that indices [a, b) read (with the halo, clamped
  /// to [0, extent)).
  std::pair<std::size_t, std::size_t> read_bytes(std::size_t a, std::size_t b, std::size_t extent) const;
  /// Byte range of the buffer that indices [a, b) own (what they write).
  std::pair<std::size_t, std::size_t> own_bytes(std::size_t a, std::size_t b) const;
  bool reads() const noexcept { return buffer.access() != Access::write; }
  bool writes() const noexcept { return buffer.access() != Access::read; }
};

struct LaunchPlan {
  std::shared_ptr<const ProgramHandle> program;
  std::string kernel;
  NDRange global;
  /// The work-group size every chunk is launched with: the caller's, or one Tessera picks
  /// (`local_auto`) so that all chunks share it and drivers that specialise kernels per
  /// work-group size (PoCL) compile once, not once per chunk size.
  std::optional<NDRange> local;
  bool local_auto = false;
  std::size_t granule = 1;  ///< local size along the split dimension; chunks are multiples of it,
                            ///< but for the last, which with local_auto may hold a remainder
  std::vector<KernelArgValue> args;
  std::vector<BufferPlan> buffers;
};

/// Checks `launch` against the kernel's signature and the schedule against the program's
/// devices; throws Error(Errc::invalid_argument) with a message naming the argument at fault.
LaunchPlan plan_launch(const Launch& launch, const Schedule& schedule);

}  // namespace tessera::detail
