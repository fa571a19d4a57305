#pragma once
// Internal: building a program on one device, from source or from a binary, and reading what
// the built program holds (its binary, its kernels' signatures).

#include <string>
#include <vector>

#include "common/cl.hpp"
#include "tessera/device.hpp"
#include "tessera/program.hpp"

namespace tessera::detail {

/// A program built on one device, or not (a null program), with the compiler's log.
struct Built {
  cl::Program program;  ///< null when the build failed
  std::string log;
};

/// Compiles `text` for `device`. A compile error is a Built with a null program and the log (a
/// log that says at least which status failed); failing to create the program throws Error.
Built build_from_source(const cl::Context& context, const cl::Device& device, const std::string& text,
                        const std::string& options);

/// Loads `binary` for `device`; a null program when the driver refuses it (the caller then
/// compiles from source).
Built build_from_binary(const cl::Context& context, const cl::Device& device,
                        const std::vector<unsigned char>& binary, const std::string& options);

/// The binary of a program built for one device (empty when the driver gives none).
std::vector<unsigned char> program_binary(const cl::Program& program, const DeviceInfo& device);

/// Every kernel's signature, sorted by name, from a program built with -cl-kernel-arg-info.
std::vector<KernelSignature> read_signatures(const cl::Program& program, const DeviceInfo& device);

}  // namespace tessera::detail
