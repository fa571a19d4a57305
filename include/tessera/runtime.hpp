#pragma once
// The runtime: discovery, selection and fission, done once; every later operation goes through it.
//
//   tessera::Runtime rt{{.devices = "cpu", .cpu_split = 1}};
//   for (const auto& d : rt.devices()) use(d.info());

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/array.hpp"
#include "tessera/device.hpp"
#include "tessera/launch.hpp"
#include "tessera/observer.hpp"
#include "tessera/program.hpp"
#include "tessera/run_stats.hpp"
#include "tessera/scheduler.hpp"
#include "tessera/source.hpp"
#include "tessera/submission.hpp"

namespace tessera {

namespace detail {
struct RuntimeState;
}

struct RuntimeOptions {
  /// Device selector (see selector.hpp); empty means $TESSERA_DEVICES, or "all".
  std::string devices;
  /// CPU fission: split CPU devices into sub-devices of this many compute units; 0 = no split.
  /// The selector picks among the parts: "0.1" is sub-device 1 of device 0.
  unsigned cpu_split = 0;
  /// Program binary cache folder. Empty: $TESSERA_CACHE_DIR, else $XDG_CACHE_HOME/tessera,
  /// else $HOME/.cache/tessera. "off" disables the cache.
  std::string cache_dir;
  /// Upper bound of the cache's size; the least recently used entries are evicted beyond it.
  std::uint64_t cache_max_bytes = 256ull << 20;
  /// Treat every device as having at most this many bytes of memory and of largest allocation
  /// (0: what the devices report). For sharing a device with other work, and for testing
  /// streaming without a huge array.
  std::uint64_t device_memory_limit = 0;
  /// Whether devices that share host memory (DeviceInfo::unified_memory) work on the host arrays
  /// in place. false: every device gets buffers of its own and real copies, as a discrete device
  /// does (to test and measure the transfer path on a CPU). Unset: $TESSERA_ZERO_COPY ("on" or
  /// "off"), else on; options() reports what was chosen.
  std::optional<bool> zero_copy;
  /// A Chrome Trace Event file every run of this runtime is traced to (TraceWriter), written when
  /// the runtime is destroyed. Empty: $TESSERA_TRACE, if set; "off": none.
  std::string trace;
  /// Injected device failures, for testing what depends on a failed task (syntax: DESIGN.md's
  /// TESSERA_FAULTS, e.g. "device=0,chunk=2,status=CL_OUT_OF_RESOURCES"). They apply to tasks over
  /// arrays: the chosen chunk's kernel does not run and its command ends with the status. Empty:
  /// $TESSERA_FAULTS, if set; "off": none. A malformed spec throws Error(invalid_argument).
  std::string faults;
};

class Runtime {
 public:
  /// Discovers, splits and selects devices. Throws Error: no_platform, invalid_selector,
  /// no_matching_device, invalid_argument (cpu_split), or opencl.
  explicit Runtime(RuntimeOptions options = {});
  /// Waits for every task submitted (no command or callback outlives the runtime); its arrays
  /// then refuse every use.
  ~Runtime();
  Runtime(Runtime&&) noexcept;
  Runtime& operator=(Runtime&&) noexcept;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// The devices this runtime runs on: split, then selected; never empty.
  const std::vector<Device>& devices() const noexcept;
  /// Every root device discovered, selected or not.
  const std::vector<Device>& all_devices() const noexcept;
  /// Non-fatal findings of discovery and fission, one line each, for the caller to report.
  const std::vector<std::string>& warnings() const noexcept;
  const RuntimeOptions& options() const noexcept;

  /// Builds `source` for every device: identical devices (same platform, name and driver)
  /// compile once, different ones in parallel, through the on-disk binary cache. Options get
  /// -cl-kernel-arg-info added. Devices where the build fails are left out of the program, each
  /// with a line in Program::warnings(); when none remains, throws BuildError with every
  /// device's log. Throws Error(Errc::io) for unreadable sources, Error(Errc::invalid_argument)
  /// for a malformed define. Safe to call from several threads.
  Program compile(const Source& source, std::string_view options = {},
                  const Defines& defines = {}) const;

  /// Runs `launch` across the devices its program built on, cut into chunks by `schedule`,
  /// and returns what it measured. Throws Error(Errc::invalid_argument) for a launch that does
  /// not fit its kernel (argument count, kinds, sizes; ranges; buffer sizes), Error(Errc::opencl)
  /// for a device failure, Error(Errc::write_conflict) when two chunks changed an element of a
  /// scatter buffer to different values. Same as submit(...).wait(), and a stop requested on `stop` acts as
  /// Submission::cancel(), but one device's work runs on the calling thread: a run of one
  /// device starts no thread (repeated short runs do not wait for one to be scheduled).
  RunStats run(const Launch& launch, const Schedule& schedule = Schedule::hguided(),
               std::stop_token stop = {}) const;
  /// Checks `launch` as run() would before it starts (the kernel's signature, the ranges, the
  /// schedule, and that its buffers fit every device: without tessera::window_base(), a device
  /// that copies must hold them whole), running nothing; throws Error(invalid_argument) as run()
  /// would. The host arrays are not read and may be null.
  void validate(const Launch& launch, const Schedule& schedule = Schedule::hguided()) const;
  /// Runs `launch` like run(), checking what every chunk's kernel writes, and returns the
  /// findings in RunStats::findings (empty: the kernel keeps to its buffers' roles). Every
  /// device copies (no host memory in place), the range is cut into 4 chunks per device
  /// (dynamic, one chunk in flight per device), and each chunk runs twice over
  /// device buffers filled with two guard patterns: an element outside a chunk's slice that
  /// changed, an element of a `write` slice left at both guards, or a change to a buffer given
  /// as read or whole is a finding. The host arrays receive the results as from run().
  /// Slower than run(): it is for finding kernels whose results depend on the device.
  RunStats check(const Launch& launch, std::stop_token stop = {}) const;
  /// Starts `launch` in the background. The launch is validated before this returns.
  ///
  /// Over host arrays: one host thread per device, chunks handed out by `schedule`; the host
  /// arrays must outlive the submission.
  ///
  /// Over arrays (every buffer a tessera::Array of this runtime): a task, enqueued on the
  /// devices' queues before this returns, after the tasks submitted before it that write what
  /// it reads, or use what it writes (read after write, write after read, write after write),
  /// and after Launch::after's tasks; the host never waits between tasks. Placement: `single`
  /// runs it whole (on its device, or where it is expected to finish first: queued work,
  /// transfers, the kernel's measured pace); `static_split` splits it by its weights (without
  /// weights: by the devices' measured pace, along a partition kept per range and device set,
  /// so the same rows stay on the same devices); `hguided` splits a launch of at least 32768
  /// work-items per device that way and runs a smaller one whole; `dynamic` splits as
  /// static_split does and cuts each device's share into chunks of its size, whose transfers
  /// overlap the kernels before them. A chunk gets from
  /// the host or another device only what its device lacks. A launch with a reduce or scatter
  /// buffer is a synchronisation point: it waits for its chunks and merges their copies on the
  /// host before this returns (a scatter buffer's array is first made valid on the host; after
  /// the merge the host alone holds it, and later tasks load it from there). Throws
  /// Error(opencl) at once when a task whose data it reads failed (naming it), and
  /// Error(write_conflict) when two chunks changed an element of a scatter buffer differently.
  Submission submit(const Launch& launch, const Schedule& schedule = Schedule::hguided()) const;

  /// An array of `count` elements of T, zeros, owned by this runtime (see array.hpp).
  template <typename T>
  Array<T> array(std::size_t count) const {
    return Array<T>(make_array(count, element_type_of<T>(), nullptr));
  }
  /// An array holding a copy of `data`.
  template <typename T>
  Array<T> array(std::span<const T> data) const {
    return Array<T>(make_array(data.size(), element_type_of<T>(), data.data()));
  }
  template <typename T>
  Array<T> array(const std::vector<T>& data) const {
    return array(std::span<const T>(data));
  }
  /// An array of `count` elements of `type`: a copy of `data` (count elements), or zeros when it
  /// is null. Throws Error(invalid_argument) for no elements, Error(out_of_memory).
  ArrayBase make_array(std::size_t count, ElementType type, const void* data) const;
  /// An array of `count` elements of `type` whose initial contents `fill` writes into its host
  /// memory (count x size_of(type) bytes, page-aligned), in place: no copy.
  ArrayBase make_array_filled(std::size_t count, ElementType type, const std::function<void(void*)>& fill) const;
  /// Bytes moved for arrays so far, per device of devices(), by reason.
  std::vector<TransferBytes> transfers() const;

  /// Adds `observer` to the runtime: every run that starts after this call reports to it (see
  /// observer.hpp). Safe to call from several threads.
  void observe(std::shared_ptr<Observer> observer) const;
  /// Reports `span` (host time the caller marks, such as a job's step) to every observer.
  void annotate(const SpanEvent& span) const;

  /// The folder of the program binary cache ("" when the cache is off).
  const std::string& cache_dir() const noexcept;
  /// Counters summed over every compile() of this runtime.
  BuildStats build_stats() const;

 private:
  std::unique_ptr<detail::RuntimeState> state_;
};

}  // namespace tessera
