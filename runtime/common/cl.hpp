#pragma once
// Internal: the one place runtime/ sources include OpenCL from. The CL_HPP_* version macros
// are compile definitions of the tessera target (see runtime/CMakeLists.txt), never of users.

#include <CL/opencl.hpp>

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

}  // namespace tessera::detail
