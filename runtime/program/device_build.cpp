// Building a program on one device, and reading the built program.

#include "program/device_build.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tessera::detail {
namespace {

std::string tidy_log(std::string log) {
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n' || log.back() == ' ')) {
    log.pop_back();
  }
  return log;
}

std::string build_log(const cl::Program& program, const cl::Device& device) {
  cl_int status = CL_SUCCESS;
  std::string log = program.getBuildInfo<CL_PROGRAM_BUILD_LOG>(device, &status);
  return status == CL_SUCCESS ? tidy_log(std::move(log)) : std::string{};
}

ArgKind arg_kind(cl_kernel_arg_address_qualifier q) {
  switch (q) {
    case CL_KERNEL_ARG_ADDRESS_GLOBAL: return ArgKind::global_buffer;
    case CL_KERNEL_ARG_ADDRESS_CONSTANT: return ArgKind::constant_buffer;
    case CL_KERNEL_ARG_ADDRESS_LOCAL: return ArgKind::local_buffer;
    default: return ArgKind::scalar;
  }
}

std::vector<std::string> split_names(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= joined.size()) {
    const auto end = std::min(joined.find(';', pos), joined.size());
    std::string name = joined.substr(pos, end - pos);
    while (!name.empty() && (name.back() == '\0' || name.back() == ' ')) name.pop_back();
    if (!name.empty()) out.push_back(std::move(name));
    pos = end + 1;
  }
  return out;
}

KernelArg read_arg(const cl::Kernel& kernel, cl_uint a, const DeviceInfo& device) {
  cl_int status = CL_SUCCESS;
  KernelArg arg;
  arg.name = tidy_log(kernel.getArgInfo<CL_KERNEL_ARG_NAME>(a, &status));
  check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_NAME)", device.name);
  arg.type_name = tidy_log(kernel.getArgInfo<CL_KERNEL_ARG_TYPE_NAME>(a, &status));
  check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_TYPE_NAME)", device.name);
  arg.kind = arg_kind(kernel.getArgInfo<CL_KERNEL_ARG_ADDRESS_QUALIFIER>(a, &status));
  check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_ADDRESS_QUALIFIER)", device.name);
  const auto qualifier = kernel.getArgInfo<CL_KERNEL_ARG_TYPE_QUALIFIER>(a, &status);
  check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_TYPE_QUALIFIER)", device.name);
  arg.is_const = (qualifier & CL_KERNEL_ARG_TYPE_CONST) != 0 && arg.kind != ArgKind::scalar;
  return arg;
}

}  // namespace

std::vector<KernelSignature> read_signatures(const cl::Program& program, const DeviceInfo& device) {
  cl_int status = CL_SUCCESS;
  const std::string names = program.getInfo<CL_PROGRAM_KERNEL_NAMES>(&status);
  check(status, "clGetProgramInfo(CL_PROGRAM_KERNEL_NAMES)", device.name);
  std::vector<KernelSignature> out;
  for (const std::string& name : split_names(names)) {
    cl::Kernel kernel(program, name.c_str(), &status);
    check(status, "clCreateKernel", device.name);
    KernelSignature sig;
    sig.name = name;
    const cl_uint count = kernel.getInfo<CL_KERNEL_NUM_ARGS>(&status);
    check(status, "clGetKernelInfo(CL_KERNEL_NUM_ARGS)", device.name);
    for (cl_uint a = 0; a < count; ++a) sig.args.push_back(read_arg(kernel, a, device));
    out.push_back(std::move(sig));
  }
  std::sort(out.begin(), out.end(),
            [](const KernelSignature& a, const KernelSignature& b) { return a.name < b.name; });
  return out;
}


Built build_from_source(const cl::Context& context, const cl::Device& device,
                        const std::string& text, const std::string& options) {
  cl_int status = CL_SUCCESS;
  cl::Program program(context, text, false, &status);
  check(status, "clCreateProgramWithSource");
  status = program.build(std::vector<cl::Device>{device}, options.c_str());
  std::string log = build_log(program, device);
  if (status != CL_SUCCESS) {
    if (log.empty()) log = fmt::format("clBuildProgram failed: {}", cl_status_name(status));
    return {cl::Program(), std::move(log)};
  }
  return {std::move(program), std::move(log)};
}

Built build_from_binary(const cl::Context& context, const cl::Device& device,
                        const std::vector<unsigned char>& binary, const std::string& options) {
  cl_int status = CL_SUCCESS;
  std::vector<cl_int> binary_status;
  cl::Program program(context, std::vector<cl::Device>{device}, cl::Program::Binaries{binary},
                      &binary_status, &status);
  if (status != CL_SUCCESS) return {};
  status = program.build(std::vector<cl::Device>{device}, options.c_str());
  if (status != CL_SUCCESS) return {};
  std::string log = build_log(program, device);
  return {std::move(program), std::move(log)};
}

std::vector<unsigned char> program_binary(const cl::Program& program, const DeviceInfo& device) {
  cl_int status = CL_SUCCESS;
  auto binaries = program.getInfo<CL_PROGRAM_BINARIES>(&status);
  check(status, "clGetProgramInfo(CL_PROGRAM_BINARIES)", device.name);
  return binaries.empty() ? std::vector<unsigned char>{} : std::move(binaries.front());
}

}  // namespace tessera::detail
