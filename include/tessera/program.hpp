#pragma once
// Programs: a kernel source compiled for every device of a Runtime.
//
//   tessera::Program p = rt.compile(tessera::Source::builtin("saxpy"), "-cl-fast-relaxed-math",
//                                    {{"ALPHA", "2.0f"}});
//   p.kernel("saxpy").check_arity(3);   // "kernel 'saxpy' takes 3 arguments, 2 given"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/device.hpp"

namespace tessera {

/// Preprocessor definitions, passed in order as -D NAME=VALUE (-D NAME when VALUE is empty).
using Defines = std::vector<std::pair<std::string, std::string>>;

/// What a kernel argument is, from the compiled program's argument info.
enum class ArgKind {
  global_buffer,    ///< __global pointer
  constant_buffer,  ///< __constant pointer
  local_buffer,     ///< __local pointer: a size, no data
  scalar,           ///< passed by value
};
std::string_view to_string(ArgKind kind) noexcept;

struct KernelArg {
  std::string name;       ///< as written in the kernel ("x")
  std::string type_name;  ///< as OpenCL reports it ("float*", "int")
  ArgKind kind = ArgKind::scalar;
  bool is_const = false;  ///< pointer to const data
};

struct KernelSignature {
  std::string name;
  std::vector<KernelArg> args;

  /// Throws Error(Errc::invalid_argument) "kernel 'saxpy' takes 3 arguments, 2 given" unless
  /// `given` equals the argument count.
  void check_arity(std::size_t given) const;
  /// "saxpy(float a, global const float* x, global float* y)"
  std::string to_string() const;
};

/// How a program came to be on one device.
enum class BuildOrigin {
  compiled,    ///< compiled from source on this device
  cache_hit,   ///< loaded from the on-disk binary cache
  shared,      ///< loaded from the binary just compiled for an identical device
  failed,      ///< did not build: the device is left out of this program's launches
};
std::string_view to_string(BuildOrigin origin) noexcept;

struct DeviceBuild {
  Device device;
  BuildOrigin origin = BuildOrigin::failed;
  std::string log;  ///< the compiler's log for this device (warnings too; may be empty)
};

/// Counters of one compile (Program::stats) or of all compiles of a Runtime.
struct BuildStats {
  std::size_t compiled = 0;        ///< builds from source
  std::size_t cache_hits = 0;      ///< groups of identical devices served by the disk cache
  std::size_t cache_misses = 0;    ///< groups not found in the disk cache
  std::size_t cache_rejected = 0;  ///< entries found corrupt, truncated or foreign; rebuilt
  std::size_t cache_evicted = 0;   ///< entries removed to keep the cache under its size bound
  std::size_t shared = 0;          ///< devices served by an identical device's fresh binary
  double seconds = 0;              ///< wall time of the compile call(s)

  BuildStats& operator+=(const BuildStats& other);
};

namespace detail {
struct ProgramHandle;
struct Internals;
}  // namespace detail

/// A program built for the devices of a Runtime. Cheap to copy.
class Program {
 public:
  /// The source's name (file path, string name or builtin file name).
  const std::string& name() const noexcept;
  /// The devices the program built on, in the Runtime's order; never empty.
  const std::vector<Device>& devices() const noexcept;
  /// One entry per device of the Runtime, in its order, with origin and log.
  const std::vector<DeviceBuild>& builds() const noexcept;
  /// One line per device left out because the program failed to build there.
  const std::vector<std::string>& warnings() const noexcept;
  const BuildStats& stats() const noexcept;

  /// Kernel names, sorted.
  std::vector<std::string> kernel_names() const;
  bool has_kernel(std::string_view name) const noexcept;
  /// The kernel's signature. Throws Error(Errc::invalid_argument) naming the program, the
  /// closest kernel name and all kernels when there is none called `name`.
  const KernelSignature& kernel(std::string_view name) const;

 private:
  friend struct detail::Internals;
  explicit Program(std::shared_ptr<const detail::ProgramHandle> handle);
  std::shared_ptr<const detail::ProgramHandle> handle_;
};

}  // namespace tessera
