#pragma once
// Internal: injected device failures (TESSERA_FAULTS, RuntimeOptions::faults). A fault makes a
// chunk's command end with a chosen failure status: the chunk's kernel is not run (a marker
// with the same wait list takes its place, so ordering holds), and the task engine accounts the
// chunk exactly as it accounts a command the driver failed.
//
// Syntax: specs separated by ';', each comma-separated `key=value`s:
//   device=SELECTOR   one selector term ("all", "0", "0.1", "cpu", "name=TEXT"; see selector.hpp)
//   chunk=N           the Nth chunk that device runs, from 0 (per matching device)
//   every=1           every chunk on it (instead of chunk=N)
//   status=CL_...     the status the chunk ends with: a negative OpenCL status, by name
// e.g. "device=0.1,chunk=3,status=CL_OUT_OF_RESOURCES;device=gpu,every=1,status=CL_INVALID_VALUE".
// `hang=1` (a command that never completes) is refused: not implemented.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/device.hpp"

namespace tessera::detail {

struct FaultSpec {
  std::string device;                  ///< a selector term
  std::optional<std::uint64_t> chunk;  ///< unset: every chunk
  int status = 0;                      ///< negative
};

/// Parses `text` (empty: no fault). Throws Error(invalid_argument) starting with `origin` and
/// naming the spec at fault.
std::vector<FaultSpec> parse_faults(std::string_view text, std::string_view origin);

/// The faults of one runtime: per device, which of its chunks fail. Not thread-safe (the task
/// engine calls it under its mutex).
class Faults {
 public:
  Faults() = default;
  Faults(const std::vector<FaultSpec>& specs, const std::vector<Device>& devices);
  /// Counts one more chunk on `device`; the status it must end with, or 0.
  int next_chunk(std::size_t device);
  bool empty() const noexcept { return per_device_.empty(); }

 private:
  struct Armed {
    std::optional<std::uint64_t> chunk;
    int status = 0;
  };
  std::vector<std::vector<Armed>> per_device_;  // empty when there is no fault
  std::vector<std::uint64_t> chunks_;
};

}  // namespace tessera::detail
