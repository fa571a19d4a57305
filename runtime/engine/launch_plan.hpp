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

/// Bytes of a buffer in `rows` runs of `row_bytes`, the first at byte `offset` and each `pitch`
/// bytes after the one before: a contiguous range when rows is 1, the strided slice of a buffer
/// split along an inner dimension otherwise.
struct Slab {
  std::size_t offset = 0;
  std::size_t row_bytes = 0;
  std::size_t rows = 1;
  std::size_t pitch = 0;

  std::size_t bytes() const noexcept { return row_bytes * rows; }
  /// One past the last byte.
  std::size_t end() const noexcept { return rows == 0 ? offset : offset + (rows - 1) * pitch + row_bytes; }
  bool contains(std::size_t byte) const noexcept {
    if (byte < offset || byte >= end()) return false;
    return rows == 1 || (byte - offset) % pitch < row_bytes;
  }
  /// f(first, last) for the byte range of every run, in order.
  template <typename F>
  void for_each_run(F&& f) const {
    for (std::size_t r = 0; r < rows; ++r) f(offset + r * pitch, offset + r * pitch + row_bytes);
  }
};

/// Where a buffer argument's bytes lie for a range of the split dimension. Chunk indices are
/// relative to the launch's offset: [a, b) of [0, G).
struct BufferPlan {
  std::size_t arg = 0;  ///< kernel argument index
  BufferArg buffer;
  /// Split and halo roles (0 otherwise): the buffer as outer × extent × elements_per_index
  /// elements, row-major, split along `extent`; chunk index 0 is the buffer's index `first`.
  std::size_t elements_per_index = 0;
  std::size_t outer = 1;
  std::size_t extent = 0;
  std::size_t first = 0;

  /// The bytes that chunk indices [a, b) read (with the halo, clamped to the buffer's extent).
  Slab read_slab(std::size_t a, std::size_t b) const;
  /// The bytes that chunk indices [a, b) own (what they write).
  Slab own_slab(std::size_t a, std::size_t b) const;
  bool reads() const noexcept { return buffer.access() != Access::write; }
  /// Bytes per index of the split dimension, in one run.
  std::size_t unit_bytes() const noexcept { return elements_per_index * size_of(buffer.type()); }
  bool writes() const noexcept { return buffer.access() != Access::read; }
  /// Reduce and scatter roles: every chunk writes a private copy of the whole buffer, merged
  /// into it after the launch.
  bool private_copies() const noexcept {
    return buffer.role() == BufferArg::Role::reduce || buffer.role() == BufferArg::Role::scatter;
  }
};

/// `launch`'s global work offset: the one it gives, or zeros in every dimension of its range.
NDRange offset_of(const Launch& launch);

/// The slice geometry of split or halo buffer `b` in a launch over `global` from `offset` (its
/// dimensions): bp's outer, extent, elements_per_index and first. Throws
/// Error(invalid_argument) when the launch's indices leave the buffer or its shape does not
/// hold it (the message does not name the buffer: the caller does).
void plan_slices(const BufferArg& b, const NDRange& global, const NDRange& offset,
                 BufferPlan& bp);

struct LaunchPlan {
  std::shared_ptr<const ProgramHandle> program;
  std::string kernel;
  NDRange global;
  /// The launch's global work offset (zeros when it gives none); chunks are cut from
  /// [offset, offset + global) of the split dimension and counted from its start.
  NDRange offset{0};
  /// The work-group size every chunk is launched with: the caller's, or one Tessera picks so
  /// that all chunks share it and drivers that specialise kernels per work-group size (PoCL)
  /// compile once, not once per chunk size.
  std::optional<NDRange> local;
  std::size_t granule = 1;  ///< local size along the split dimension; chunks are multiples of it,
                            ///< but for the last, which with a picked size may hold a remainder
  std::vector<KernelArgValue> args;
  std::vector<BufferPlan> buffers;

  /// Streaming: the launch has a tessera::window_base() argument, and its split and halo buffers
  /// (contiguous, at offset 0 and unshifted)
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
