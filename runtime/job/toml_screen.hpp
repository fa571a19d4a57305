#pragma once
// Internal: a screen that job-file text passes before toml++ parses it.
//
// TOML 1.0 allows characters outside ASCII only inside strings and comments. toml++ 3.3.0 (the
// Debian version) has undefined behaviour when it meets some of them elsewhere (its check for
// non-ASCII whitespace reaches __builtin_unreachable for U+00A1..U+0499, found by fuzzing), so
// such text is refused here, with the place, before toml++ sees it.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::detail {

struct ScreenFinding {
  std::uint32_t line = 0;    ///< 1-based
  std::uint32_t column = 0;  ///< 1-based, in bytes
};

/// The first byte outside ASCII that lies outside every string and comment, if any. Strings:
/// "...", '...', """...""", '''...''' (with \\-escapes in the double-quoted forms); comments
/// run from # to the end of the line.
std::optional<ScreenFinding> find_non_ascii_outside_strings(std::string_view text) noexcept;

}  // namespace tessera::detail
