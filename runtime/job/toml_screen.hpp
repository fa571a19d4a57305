#pragma once
// Internal: a screen that job-file text passes before toml++ parses it.
//
// toml++ 3.3.0 (the Debian version) has undefined behaviour on some text:
//  - its test for non-ASCII whitespace reaches __builtin_unreachable for most code points in
//    U+00A1..U+0499, U+2C4E..U+3047 and U+FB26..U+FEFE. It makes that test on the characters it
//    reads outside strings and comments (in keys, between tokens, and while it scans a number or
//    date up to the next whitespace, ']', '}', ',' or '#', quotes included), and inside
//    multi-line basic strings on the character after a backslash and on the first one after a
//    line-ending backslash and its whitespace;
//  - five internal assumptions fail on invalid text (a debug build aborts, a release build may do
//    anything): a table header that does not start with a key (`[=]`), '}' where an array element
//    is expected (`[}]`), a date, one space, one digit and a terminator (`1979-05-27 0,`), a date
//    and 'T' without a digit after it (`1979-05-27Tx:`), and a date padded with underscores to
//    125 characters or more before a space and a digit (it steps back past its buffer).
// The screen follows toml++'s grammar far enough to know which bytes it reads as the content of a
// string or comment, and refuses such text, with the place, before toml++ sees it. TOML allows
// characters outside ASCII only in strings and comments, so valid job files pass, with one
// exception: outside ASCII as the first character after a line-ending backslash.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tessera::detail {

struct ScreenFinding {
  std::uint32_t line = 0;    ///< 1-based
  std::uint32_t column = 0;  ///< 1-based, in bytes
  std::string_view what;     ///< what is wrong there (static text)
};

/// The first place in TOML text that toml++ 3.3.0 cannot parse safely, if any.
std::optional<ScreenFinding> screen_toml(std::string_view text) noexcept;

}  // namespace tessera::detail
