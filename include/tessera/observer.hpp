#pragma once
// Watching runs as they happen: an Observer receives every finished chunk with the commands its
// device ran (transfers and the kernel, timed), every finished launch, and spans a caller marks
// on the host (a job's steps). The library never prints; the tessera command and the samples
// subscribe (a trace file: TraceWriter).
//
//   auto trace = std::make_shared<tessera::TraceWriter>("run.json");
//   rt.observe(trace);            // every later run on rt is traced
//   rt.run(launch);               // trace->write() or its destructor writes the file

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "tessera/device.hpp"
#include "tessera/range.hpp"
#include "tessera/run_stats.hpp"

namespace tessera {

namespace detail {
struct TraceEvent;
struct TraceCommand;
}  // namespace detail

/// Nanoseconds on the host's monotonic clock (std::chrono::steady_clock): the clock of every
/// time an Observer receives; device profiling times are aligned to it.
std::uint64_t host_clock_ns() noexcept;

/// The three in-order queues of a device: inputs, kernels, outputs.
enum class Lane { write, kernel, read };
std::string_view to_string(Lane lane) noexcept;

/// Why a transfer moved bytes (TransferBytes counts them so): an input's first load onto a
/// device, a halo (or any range another device wrote), a read back to the host, an eviction.
enum class TransferReason { none, load, halo, read_back, evict };
std::string_view to_string(TransferReason reason) noexcept;

/// One command a device ran, from its profiling times aligned to the host clock (the offset is
/// measured once per device and run: a marker's completion against the host clock around it).
struct CommandRecord {
  Lane lane = Lane::kernel;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::uint64_t bytes = 0;  ///< transfers: bytes moved (host to device on write, back on read)
  TransferReason reason = TransferReason::none;  ///< transfers of tasks over arrays: why
};

/// A chunk that finished, with every command of it (none but the kernel on a device that works
/// on host memory in place).
struct ChunkEvent {
  std::uint64_t launch = 0;  ///< the launch's number in its runtime, from 1
  std::string_view kernel;
  std::size_t device = 0;  ///< index into the launch's devices (RunStats::devices)
  const Device* device_info = nullptr;
  std::string_view device_name;  ///< "LABEL NAME", for example "0 pthread-skylake"
  Chunk chunk;
  std::vector<CommandRecord> commands;  ///< in the order enqueued: writes, the kernel, reads
};

/// A launch that was submitted (on_launch_submitted: end_ns and stats are 0), or that finished
/// (on_launch: cancelled too; failed: then `stats` is null).
struct LaunchEvent {
  std::uint64_t launch = 0;
  std::string_view kernel;
  NDRange global;
  std::uint64_t start_ns = 0;  ///< submitted
  std::uint64_t end_ns = 0;
  const RunStats* stats = nullptr;
  /// Tasks over arrays: the launches whose data it needs or that it runs after (Launch::after).
  std::vector<std::uint64_t> depends_on = {};
};

/// Bytes an array moved outside any task: read back for host access (to_vector, host_view, a
/// reduce's fold), on a device's transfer lane; ended when reported.
struct TransferEvent {
  std::uint64_t array = 0;  ///< the array's number in its runtime, from 1
  std::string_view device_name;  ///< "LABEL NAME"
  CommandRecord command;
};

/// The bytes of array buffers a device holds, after they changed (a buffer made or released).
struct MemoryEvent {
  std::string_view device_name;  ///< "LABEL NAME"
  std::uint64_t at_ns = 0;
  std::uint64_t bytes = 0;
};

/// A span of host time a caller marks (Runtime::annotate): a job's steps and repetitions.
struct SpanEvent {
  std::string name;
  std::string category;  ///< "step", "repetition", ...
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
};

/// Receives what runs do. Called from the runtime's device threads, concurrently and while
/// chunks run, and from calls into the runtime while it holds its locks: be quick and
/// thread-safe, and never call the runtime from here; an exception thrown here is ignored.
class Observer {
 public:
  virtual ~Observer();
  virtual void on_launch_submitted(const LaunchEvent&) {}
  virtual void on_chunk(const ChunkEvent&) {}
  virtual void on_launch(const LaunchEvent&) {}
  virtual void on_span(const SpanEvent&) {}
  virtual void on_transfer(const TransferEvent&) {}
  virtual void on_device_memory(const MemoryEvent&) {}
};

/// An Observer that writes a Chrome Trace Event file (opens in Perfetto and chrome://tracing):
/// one process per device (named by its label and name) with one thread per lane, one complete
/// event per command ("cat": "kernel" or "transfer", args: launch, chunk, offset, size, bytes,
/// and a transfer's reason), flow arrows from each task to the tasks that depend on it, counters
/// per device of the bytes in flight and of the bytes its arrays hold, launches and spans on the
/// host's process. Times in microseconds from the first event. Safe to share between runtimes.
class TraceWriter : public Observer {
 public:
  /// `path`: the trace file (empty: none, for a writer that only draws timelines).
  explicit TraceWriter(std::filesystem::path path);
  ~TraceWriter() override;  ///< writes the trace if it has a path and write() was not called; never throws
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void on_chunk(const ChunkEvent& e) override;
  void on_launch(const LaunchEvent& e) override;
  void on_span(const SpanEvent& e) override;
  void on_transfer(const TransferEvent& e) override;
  void on_device_memory(const MemoryEvent& e) override;

  /// Writes everything seen so far (a temporary file renamed into place). Throws Error(io).
  void write();
  /// Draws everything seen so far as a self-contained SVG Gantt chart at `svg`: a row per device
  /// lane, one rect per command (kernels coloured by the step they ran in, transfers grey), an
  /// axis in ms, and the balance and bytes moved in the title after `title`. Throws Error(io).
  void write_timeline(const std::filesystem::path& svg, std::string_view title = {});
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  std::mutex mutex_;
  std::vector<detail::TraceEvent> events_;      // launches and spans
  std::vector<detail::TraceCommand> commands_;  // device commands, kept compact: formatted by write()
  std::vector<std::string> devices_;  // per trace process (device pid - 1): its name
  std::vector<std::string> kernels_;  // kernel names, by index
  std::vector<std::pair<std::uint64_t, std::uint64_t>> flows_;  // (from launch, to launch)
  std::vector<std::tuple<int, std::uint64_t, std::uint64_t>> memory_;  // (pid, at, bytes)
  bool written_ = false;
};

}  // namespace tessera
