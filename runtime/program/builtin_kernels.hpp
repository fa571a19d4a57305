#pragma once
// Internal: the files of kernels/ embedded into the library at build time
// (cmake/EmbedKernels.cmake generates their definition).

#include <span>
#include <string_view>

namespace tessera::detail {

struct BuiltinKernel {
  std::string_view file;  ///< file name in kernels/, "saxpy.cl" (headers too: "complex.h")
  std::string_view text;
};

std::span<const BuiltinKernel> builtin_kernels() noexcept;

/// The kernel file called `name`, or `name` + ".cl"; null when there is none.
inline const BuiltinKernel* find_builtin_kernel(std::string_view name) noexcept {
  for (const auto& k : builtin_kernels()) {
    if (k.file == name) return &k;
    if (k.file.size() == name.size() + 3 && k.file.substr(0, name.size()) == name &&
        k.file.substr(name.size()) == ".cl") {
      return &k;
    }
  }
  return nullptr;
}

}  // namespace tessera::detail
