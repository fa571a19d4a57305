#include "common/bytes_text.hpp"

#include <fmt/format.h>

#include <array>

namespace tessera::detail {

std::string bytes_text(std::uint64_t n) {
  constexpr std::array units{"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(n);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < units.size()) {
    value /= 1024.0;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace tessera::detail
