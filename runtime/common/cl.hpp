#pragma once
// Internal: the one place runtime/ sources include OpenCL from. The CL_HPP_* version macros
// are compile definitions of the tessera target (see runtime/CMakeLists.txt), never of users.

#include <CL/opencl.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "tessera/error.hpp"

namespace tessera::detail {

/// Throws Error(Errc::opencl) for a failed OpenCL call. The only place OpenCL statuses become
/// Tessera errors.
[[noreturn]] void throw_cl_error(cl_int status, std::string_view api_call, std::string device = {},
                                 std::string message = {});

/// Throws unless `status` is CL_SUCCESS.
inline void check(cl_int status, std::string_view api_call, const std::string& device = {}) {
  if (status != CL_SUCCESS) throw_cl_error(status, api_call, device);
}

/// An event's profiling time `what` in nanoseconds on its device's clock (0 when unavailable).
inline std::uint64_t profiling_ns(const cl::Event& e, cl_profiling_info what) {
  cl_ulong value = 0;
  return clGetEventProfilingInfo(e(), what, sizeof value, &value, nullptr) == CL_SUCCESS ? value : 0;
}

/// An event's execution status: CL_QUEUED ... CL_COMPLETE, or a negative error.
inline cl_int execution_status(const cl::Event& e) {
  cl_int status = CL_COMPLETE;
  clGetEventInfo(e(), CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
  return status;
}

}  // namespace tessera::detail
