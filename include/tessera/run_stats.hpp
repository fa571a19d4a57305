#pragma once
// What a run measured.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tessera/device.hpp"
#include "tessera/range.hpp"

namespace tessera {

/// One chunk as it ran. Times are nanoseconds on the device's profiling clock.
struct ChunkRecord {
  Chunk chunk;
  std::uint64_t queued_ns = 0;  ///< kernel command queued
  std::uint64_t submit_ns = 0;
  std::uint64_t start_ns = 0;   ///< kernel began executing
  std::uint64_t end_ns = 0;     ///< kernel finished
  std::uint64_t bytes_in = 0;   ///< host -> device bytes this chunk moved
  std::uint64_t bytes_out = 0;  ///< device -> host bytes this chunk moved
  double host_done_s = 0;       ///< host seconds from the run's start to the chunk's completion
};

/// Bytes moved between host and device memory, by why they moved (the transfer path: devices
/// that work on host memory in place move none).
struct TransferBytes {
  std::uint64_t load = 0;       ///< host to device: data that was valid on the host only
  std::uint64_t halo = 0;       ///< data another device wrote, staged through the host (each way)
  std::uint64_t read_back = 0;  ///< device to host, for host access to an array
  std::uint64_t evict = 0;      ///< device to host, written back to free device memory
  std::uint64_t total() const noexcept { return load + halo + read_back + evict; }
  TransferBytes& operator+=(const TransferBytes& o) noexcept {
    load += o.load, halo += o.halo, read_back += o.read_back, evict += o.evict;
    return *this;
  }
};

struct DeviceRunStats {
  Device device;
  std::size_t chunks = 0;
  std::size_t items = 0;        ///< work-items executed
  double busy_s = 0;            ///< sum of kernel execution times
  double finished_s = 0;        ///< host seconds from the run's start to its last chunk's end
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  bool zero_copy = false;       ///< host memory used in place (no transfers for split buffers)
  /// Launches over arrays: bytes_in and bytes_out by reason (halo bytes count on each device
  /// they leave or reach).
  TransferBytes moved;
};

/// What a checked run (Runtime::check) saw a chunk's kernel do to a buffer that the buffer's role
/// and access do not allow: results that would depend on the device and the chunking.
struct WriteFinding {
  enum class Kind {
    outside_slice,  ///< wrote elements outside its chunk's slice (fits: scatter, reduce, or one device)
    unwritten,      ///< left elements of its `write` slice unwritten (fits: read_write)
    wrote_input,    ///< wrote a buffer given as read, or whole (fits: read_write, or scatter)
    read_outside,   ///< wrote values that differ between the two guard runs: it read elements
                    ///< of a split input outside its chunk's slice (fits: halo, or whole)
  };
  Kind kind = Kind::outside_slice;
  std::size_t arg = 0;       ///< the kernel argument
  std::size_t element = 0;   ///< the first offending element: an index into the buffer
  std::size_t elements = 0;  ///< how many of the buffer's elements offend in this chunk
  Chunk chunk;               ///< the chunk whose kernel did it
  std::size_t device = 0;    ///< index into RunStats::devices
  std::string message;       ///< one line naming all of the above and the role that fits
};

struct RunStats {
  std::vector<DeviceRunStats> devices;  ///< one per device of the run
  std::vector<ChunkRecord> ledger;      ///< every chunk, in the order handed out
  double wall_s = 0;                    ///< submit to completion, host clock
  std::uint64_t submitted_ns = 0;       ///< host_clock_ns() (observer.hpp) at submission
  std::uint64_t ended_ns = 0;           ///< host_clock_ns() at completion
  std::size_t items = 0;                ///< work-items in the launch
  bool cancelled = false;               ///< stopped early: some chunks never ran
  /// Runtime::check only: the first finding of each kind for each argument, in chunk order.
  std::vector<WriteFinding> findings;

  /// Work-items per second.
  double throughput() const noexcept { return wall_s > 0 ? static_cast<double>(items) / wall_s : 0; }
  /// Mean over devices that ran of finished_s, divided by the largest: 1 when all devices
  /// finished together.
  double balance() const noexcept;
};

}  // namespace tessera
