#pragma once
// Internal: what a checked chunk's kernel did to one buffer, judged against the buffer's role.

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "engine/launch_plan.hpp"
#include "tessera/run_stats.hpp"

namespace tessera::detail {

/// The guard byte (repeated) of buffer `buffer` in guard run `run` (0 or 1): the two runs'
/// bytes are complements, and the buffers' bytes differ (up to 256 buffers), so that a value
/// copied from one buffer's guard into another is not taken for that one's own.
inline unsigned char guard_byte(std::size_t buffer, std::size_t run) {
  const auto b = static_cast<unsigned char>(0xA5u + 0x2Bu * buffer);
  return run == 0 ? b : static_cast<unsigned char>(~b);
}

/// One buffer's device copy in a checked chunk, run once per guard: the bytes of the host array
/// from `origin` on, as the kernel found them and as it left them.
struct GuardedCopy {
  std::size_t origin = 0;
  std::array<std::vector<unsigned char>, 2> before;
  std::array<std::vector<unsigned char>, 2> after;
};

/// Where a checked chunk ran, for the findings' messages.
struct CheckedChunk {
  Chunk chunk;
  std::size_t device = 0;
  std::string device_name;
  std::string kernel;
};

/// What the kernel of `where` did to buffer `bp` that its role does not allow: elements changed
/// outside the chunk's own bytes `own` (split and halo; the message suggests the scatter role),
/// elements of a `write` slice left at both guards, any change to a buffer given as read or
/// whole, or elements of its own slice written with values that differ between the guard runs
/// (it read unsent elements). At most one finding per kind.
std::vector<WriteFinding> judge_writes(const BufferPlan& bp, const GuardedCopy& copy,
                                       const Slab& own, const CheckedChunk& where);

}  // namespace tessera::detail
