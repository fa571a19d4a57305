#pragma once
// Internal: a job buffer's initial contents (the `init` of a [buffers.*] table).

#include <vector>

#include "job/job_spec.hpp"

namespace tessera::detail {

/// Writes the initial contents of `buffer` into `data` (buffer.bytes() bytes, aligned for the
/// element type), each element converted by element_cast:
///   none: zeros;  fill: every element the value;  iota: element i = start + i;
///   random: uniform in [lo, hi] (integer types) or [lo, hi) (floating types), the same for a
///   seed on every machine (std::mt19937_64, mapped without the library's distributions);
///   file: the .npy data or the raw .bin bytes, read straight into `data`.
/// Zeros, fill and iota of large buffers are written by every hardware thread, 1 MiB of whole
/// pages at a time, so the fill is the pages' first touch; random stays one sequence on one
/// thread.
/// Throws NpyError for a .npy that no longer matches, Error(Errc::io) for a file that cannot be
/// read or changed size since it was validated.
void initialise(const BufferSpec& buffer, void* data);

}  // namespace tessera::detail
