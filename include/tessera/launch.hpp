#pragma once
// A kernel launch: program, kernel, ND-range and arguments.
//
//   auto launch = tessera::Launch{prog, "saxpy", tessera::NDRange{n}}
//                     .arg(2.0f)
//                     .arg(tessera::read(x))
//                     .arg(tessera::read_write(y));

#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "tessera/buffer.hpp"
#include "tessera/program.hpp"
#include "tessera/range.hpp"

namespace tessera {

class Submission;
namespace detail {
struct TaskState;
}

/// A kernel argument passed by value: a number of one of the ten element types, kept with its
/// type so that it can be checked against the kernel's parameter.
class Scalar {
 public:
  template <typename T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
  Scalar(T value) noexcept : type_(element_type_of<T>()) {  // NOLINT: implicit on purpose
    std::memcpy(bytes_, &value, sizeof(T));
  }

  ElementType type() const noexcept { return type_; }
  /// The value as the kernel receives it: size_of(type()) bytes.
  const void* data() const noexcept { return bytes_; }
  std::size_t size() const noexcept { return size_of(type_); }

 private:
  ElementType type_;
  alignas(8) unsigned char bytes_[8] = {};
};

using KernelArgValue = std::variant<Scalar, BufferArg, LocalArg, WindowBase>;

class Launch {
 public:
  /// `local`, when given, has the dimensions of `global` and divides it in every dimension.
  Launch(Program program, std::string kernel, NDRange global,
         std::optional<NDRange> local = std::nullopt)
      : program_(std::move(program)), kernel_(std::move(kernel)), global_(global), local_(local) {}

  /// A scalar argument, for example 2.0f or std::uint32_t{7}. Its size must match the
  /// kernel's parameter type (checked at run time against the kernel's signature).
  Launch& arg(Scalar value) {
    args_.emplace_back(value);
    return *this;
  }
  Launch& arg(BufferArg buffer) {
    args_.emplace_back(buffer);
    return *this;
  }
  Launch& arg(LocalArg local) {
    args_.emplace_back(local);
    return *this;
  }
  Launch& arg(WindowBase base) {
    args_.emplace_back(base);
    return *this;
  }

  /// The global work offset (clEnqueueNDRangeKernel's), with the dimensions of the range: the
  /// launch runs indices [offset, offset + global) in every dimension, so get_global_id starts
  /// at the offset. Along the split dimension, chunks are cut from that range.
  Launch& offset(NDRange o) {
    offset_ = o;
    return *this;
  }
  const std::optional<NDRange>& offset() const noexcept { return offset_; }

  /// Launches over arrays: this launch starts only after `task` (a submission of a launch over
  /// arrays) has finished, besides what its data orders. For what the arrays do not express:
  /// side effects, host memory the kernels share. Throws Error(invalid_argument) for a launch
  /// over host arrays.
  Launch& after(const Submission& task);
  const std::vector<std::shared_ptr<detail::TaskState>>& after_tasks() const noexcept { return after_; }

  const Program& program() const noexcept { return program_; }
  const std::string& kernel() const noexcept { return kernel_; }
  const NDRange& global() const noexcept { return global_; }
  const std::optional<NDRange>& local() const noexcept { return local_; }
  const std::vector<KernelArgValue>& args() const noexcept { return args_; }

 private:
  Program program_;
  std::string kernel_;
  NDRange global_;
  std::optional<NDRange> local_;
  std::optional<NDRange> offset_;
  std::vector<KernelArgValue> args_;
  std::vector<std::shared_ptr<detail::TaskState>> after_;
};

}  // namespace tessera
