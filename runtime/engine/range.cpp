#include <fmt/format.h>

#include "tessera/range.hpp"

namespace tessera {

std::string NDRange::to_string() const {
  std::string out = fmt::format("{}", sizes_[0]);
  for (std::size_t d = 1; d < dims_; ++d) out += fmt::format("x{}", sizes_[d]);
  return out;
}

}  // namespace tessera
