#pragma once
// A byte count for people: "512 B", "1.5 KiB", "6.7 GiB".

#include <cstdint>
#include <string>

namespace tessera::detail {

/// `n` in the largest binary unit (B to TiB) that keeps the value at least 1, one decimal.
std::string bytes_text(std::uint64_t n);

}  // namespace tessera::detail
