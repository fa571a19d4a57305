#pragma once
// Internal: reading a whole file that a user or another process named, safely: only a regular
// file (links followed), only up to a bound, so that /dev/zero, a pipe or a folder can neither
// hang nor exhaust memory.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace tessera::detail {

struct FileText {
  std::optional<std::string> bytes;  ///< the whole file, when it could be read
  std::string why;                   ///< else what stood in the way ("not a regular file (a folder)", ...)
  bool missing = false;              ///< there is no such file
};

/// The bytes of the regular file `path`, if it holds at most `limit` bytes. The file is checked
/// once opened (fstat), so it cannot be swapped for something else in between.
FileText read_regular_file(const std::filesystem::path& path, std::uint64_t limit);

}  // namespace tessera::detail
