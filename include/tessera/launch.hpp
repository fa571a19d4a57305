#pragma once
// A kernel launch: program, kernel, ND-range and arguments.
//
//   auto launch = tessera::Launch{prog, "saxpy", tessera::NDRange{n}}
//                     .arg(2.0f)
//                     .arg(tessera::read(x))
//                     .arg(tessera::read_write(y));

#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "tessera/buffer.hpp"
#include "tessera/program.hpp"
#include "tessera/range.hpp"

namespace tessera {

/// A kernel argument passed by value: its bytes, and the C++ type's name for messages.
struct ScalarArg {
  std::vector<unsigned char> bytes;
  std::string type_name;
};

using KernelArgValue = std::variant<ScalarArg, BufferArg, LocalArg, WindowBase>;

template <typename T>
constexpr const char* scalar_type_name() {
  if constexpr (std::is_floating_point_v<T>) return sizeof(T) == 4 ? "float" : "double";
  else if constexpr (std::is_signed_v<T>) {
    return sizeof(T) == 1 ? "char" : sizeof(T) == 2 ? "short" : sizeof(T) == 4 ? "int" : "long";
  } else {
    return sizeof(T) == 1 ? "uchar" : sizeof(T) == 2 ? "ushort" : sizeof(T) == 4 ? "uint" : "ulong";
  }
}

class Launch {
 public:
  /// `local`, when given, has the dimensions of `global` and divides it in every dimension.
  Launch(Program program, std::string kernel, NDRange global,
         std::optional<NDRange> local = std::nullopt)
      : program_(std::move(program)), kernel_(std::move(kernel)), global_(global), local_(local) {}

  /// A scalar argument, for example 2.0f or std::uint32_t{7}. Its size must match the
  /// kernel's parameter type (checked at run time against the kernel's signature).
  template <typename T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>)
  Launch& arg(T value) {
    ScalarArg s{std::vector<unsigned char>(sizeof(T)), scalar_type_name<T>()};
    std::memcpy(s.bytes.data(), &value, sizeof(T));
    args_.emplace_back(std::move(s));
    return *this;
  }
  /// A scalar argument given as bytes (for callers that know the type only at run time).
  Launch& arg(ScalarArg value) {
    args_.emplace_back(std::move(value));
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
  std::vector<KernelArgValue> args_;
};

}  // namespace tessera
