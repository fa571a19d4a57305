#pragma once
// Internal: a launch checked against its kernel's signature, with the geometry of every buffer.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "program/program_handle.hpp"
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
  /// Bytes per index of the split dimension.
  std::size_t unit_bytes() const noexcept { return elements_per_index * size_of(buffer.type()); }
  bool writes() const noexcept { return buffer.access() != Access::read; }
  /// Reduce and scatter roles: every chunk writes a private copy of the whole buffer, merged
  /// into it after the launch.
  bool private_copies() const noexcept {
    return buffer.role() == BufferArg::Role::reduce || buffer.role() == BufferArg::Role::scatter;
  }
};

struct LaunchPlan {
  std::shared_ptr<const ProgramHandle> program;
  std::string kernel;
  NDRange global;
  /// The work-group size every chunk is launched with: the caller's, or one Tessera picks so
  /// that all chunks share it and drivers that specialise kernels per work-group size (PoCL)
  /// compile once, not once per chunk size.
  std::optional<NDRange> local;
  std::size_t granule = 1;  ///< local size along the split dimension; chunks are multiples of it,
                            ///< but for the last, which with a picked size may hold a remainder
  std::vector<KernelArgValue> args;
  std::vector<BufferPlan> buffers;

  /// Streaming: the launch has a tessera::window_base() argument, and its split and halo buffers
  /// live on the devices as windows [base, top) of at most `max_chunk + 2 * halo_max` indices.
  bool windowed = false;
  std::optional<std::size_t> window_base_arg;  ///< its argument index
  std::size_t window_base_bytes = 8;           ///< 4 (uint) or 8 (ulong)
  std::size_t halo_max = 0;                    ///< widest halo among the buffers
};

/// The most indices a chunk on `device` may hold so that its buffers fit `memory_limit` and
/// `alloc_limit` with `pipeline` chunks in flight (windowed launches), or 0 for no bound
/// (other launches, which are checked to fit whole instead, unless the device works on host
/// memory `in_place`). Throws Error(invalid_argument)
/// when not even one work-group fits, naming the device, the need and the limit.
std::size_t max_chunk_for(const LaunchPlan& plan, const DeviceInfo& device,
                          std::uint64_t memory_limit, std::uint64_t alloc_limit, std::size_t pipeline,
                          bool in_place);

/// Checks `launch` against the kernel's signature and the schedule against the program's
/// devices; throws Error(Errc::invalid_argument) with a message naming the argument at fault.
/// Host arrays are not looked at (they may be null: see require_host_data).
LaunchPlan plan_launch(const Launch& launch, const Schedule& schedule);

/// Throws Error(Errc::invalid_argument) when a buffer of `plan` has no host array: a launch that
/// runs needs them all.
void require_host_data(const LaunchPlan& plan);

}  // namespace tessera::detail
