#pragma once
// Tessera's error types. Every failure the library reports is a tessera::Error (or a subclass);
// OpenCL statuses are carried by value and by name, never as bare numbers.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {

/// What kind of failure an Error reports. Callers branch on this, not on message text.
enum class Errc {
  invalid_argument,   ///< a value passed by the caller is out of range or malformed
  invalid_selector,   ///< a device selector has a syntax error
  no_matching_device, ///< a device selector is well formed but matches no device
  no_platform,        ///< the ICD loader found no OpenCL platform at all
  opencl,             ///< an OpenCL call returned an error status
  build_failure,      ///< a program failed to build on every device it was meant for
  io,                 ///< a file could not be read or written
  out_of_memory,      ///< host memory could not be allocated
  write_conflict,     ///< two chunks changed one element of a scatter buffer to different values
};

/// The name of an Errc value, for example "no_matching_device".
std::string_view errc_name(Errc code) noexcept;

/// The symbolic name of an OpenCL status code, for example -5 -> "CL_OUT_OF_RESOURCES".
/// Covers every code of <CL/cl.h> and the extension headers; unknown codes give
/// "CL_UNKNOWN_STATUS". Never throws; the view refers to static storage.
std::string_view cl_status_name(int status) noexcept;

/// The single exception type the library throws (BuildError refines it).
///
/// what() is one line: "<api call> failed: <status name> on '<device>': <message>" for OpenCL
/// failures, and the message alone otherwise.
class Error : public std::runtime_error {
 public:
  /// An error of our own (no OpenCL status involved).
  Error(Errc code, std::string message);
  /// An OpenCL call `api_call` returned `status`; `device` names the device, if one was involved.
  Error(Errc code, std::string message, int status, std::string api_call, std::string device = {});

  Errc code() const noexcept { return code_; }
  /// The OpenCL status (CL_SUCCESS = 0 when the error did not come from OpenCL).
  int cl_status() const noexcept { return status_; }
  std::string_view cl_status_name() const noexcept;
  /// The OpenCL entry point that failed, for example "clCreateBuffer"; empty if none.
  const std::string& api_call() const noexcept { return api_call_; }
  /// The device involved, by name; empty if none.
  const std::string& device() const noexcept { return device_; }
  /// The message without the status/call/device decoration.
  const std::string& message() const noexcept { return message_; }

 private:
  Errc code_;
  int status_ = 0;
  std::string api_call_;
  std::string device_;
  std::string message_;
};

/// A program build failure: one compiler log per device that failed (or warned).
class BuildError : public Error {
 public:
  struct DeviceLog {
    std::string device;  ///< device name
    std::string log;     ///< the compiler's build log, verbatim
  };

  BuildError(std::string message, std::vector<DeviceLog> logs, int status = 0);

  const std::vector<DeviceLog>& logs() const noexcept { return logs_; }

 private:
  std::vector<DeviceLog> logs_;
};

}  // namespace tessera
