// The TOML screen: valid job text with non-ASCII characters in strings and comments passes, and
// every kind of text on which toml++ 3.3.0 has undefined behaviour is refused at the exact place,
// saying what is wrong there. One row per case: add a row, not a test function.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "job/toml_screen.hpp"

using tessera::detail::screen_toml;

namespace {

struct Case {
  std::string_view name;
  std::string_view text;
  std::uint32_t line = 0;  // 0: the text passes
  std::uint32_t column = 0;
  std::string_view what = {};  // a part of the message
};

// The parts of the messages that tell the kinds apart.
constexpr std::string_view outside = "outside a string or comment";
constexpr std::string_view invalid = "after invalid TOML on this line";
constexpr std::string_view backslash = "after a backslash in a string";
constexpr std::string_view line_ending = "after a line-ending backslash";
constexpr std::string_view header = "a table header must start with a key";
constexpr std::string_view brace = "'}' where an array element is expected";
constexpr std::string_view date = "a date, a space and one digit";
constexpr std::string_view date_t = "a date and 'T' without a time";
constexpr std::string_view long_date = "a date-like value of 120 characters or more";

constexpr Case passes[] = {
    {"basic string", "name = \"Grüße, 世界\"\n"},
    {"literal string", "path = 'C:\\Документы\\x'\n"},
    {"multi-line basic string", "s = \"\"\"\nπ ≈ 3.14\n  ü\n\"\"\"\n"},
    {"multi-line literal string", "s = '''é\n\\ö'''\n"},
    {"nested arrays of tables (loops), strings after them",
     "[[steps]]\nfor = { k = [0, \"n − 1\"] }\n[[steps.do]]\n[[ steps.do.do ]]\nkernel = \"ü\"\n"},
    {"comments", "# été\nn = 1 # ñ\n[t] # ü\n"},
    {"quoted keys", "\"clé\" = 1\na.\"ключ\" . b = 2\n"},
    {"quoted keys in headers", "[\"é\"]\nx = 1\n[[ a . 'ö' ]]\ny = 2\n"},
    {"inline table", "t = { name = \"é\", n = [1, 'ü'], u = { v = \"ø\" } }\n"},
    {"array over lines with comments", "a = [\n  \"é\", # ü\n  'ö',\n  [ \"å\" ],\n]\nb = \"ß\"\n"},
    {"escapes before non-ASCII", "s = \"\\\"é\\\\\"\nt = \"\\u00e9 é\"\n"},
    {"escaped quote and quotes in a multi-line string", "s = \"\"\"a\\\"\"\"é\"\"\"\n"},
    {"one or two closing quotes more", "s = \"\"\"x\"\"\"\"\nt = '''y'''''\nu = \"é\"\n"},
    {"empty strings", "s = \"\"\nt = ''\nu = \"é\"\n"},
    {"line-ending backslash, then ASCII first", "s = \"\"\"a \\\n  b é\"\"\"\n"},
    {"offset date-times", "a = [1979-05-27T07:32:00Z, 1979-05-27t00:32:00.999999-07:00]\n"},
    {"local date-time with a space", "d = 1979-05-27 07:32:00\ns = \"é\"\n"},
    {"CRLF line ends", "a = \"é\"\r\n# é\r\n[b]\r\nc = 'ü'\r\n"},
    {"a byte order mark", "\xEF\xBB\xBFname = \"é\"\n"},
    {"no text", ""},
};

constexpr Case refusals[] = {
    // Non-ASCII where toml++ reads code.
    {"the fuzzer's input: a quote inside a number is no string",
     "# y t r.json]\n\n[params]\nn =99999e9-99\"\"\"9999999\xc7\xbd"
     "99999999y9999#99\x8b\x8b\x8b"
     "999999 2+0 }\n",
     4, 24, outside},
    {"bare key", "[params]\nα = 3\n", 2, 1, outside},
    {"a byte order mark not at the start",
     "\nx = \xEF\xBB\xBF"
     "1\n",
     2, 5, outside},
    {"bare key in an inline table", "t = { é = 1 }\n", 1, 7, outside},
    {"value", "n = é\n", 1, 5, outside},
    {"non-ASCII space after a value", "n = 1\xc2\xa0\n", 1, 6, outside},
    {"after a number and a quote", "n = 1\"é\"\n", 1, 7, outside},
    {"after a boolean and a quote", "b = true\"é\"\n", 1, 10, outside},
    {"in the time of a date-time", "d = 1979-05-27 07\"é\"\n", 1, 19, outside},
    {"right after a string", "s = \"a\"é\n", 1, 8, outside},
    {"right after a quoted key in a header", "[\"a\"é]\n", 1, 5, outside},
    {"after a multi-line string and two more quotes", "s = \"\"\"x\"\"\"\"\"é\n", 1, 14, outside},
    {"after a multi-line string and three more quotes", "s = \"\"\"x\"\"\"\"\"\"é\"\n", 1, 15,
     outside},
    {"after an array", "a = [1, \"x\"] é\n", 1, 14, outside},
    {"after a table header", "[t] é\n", 1, 5, outside},
    // Where toml++ stops with an error, quotes start nothing.
    {"a quote after a bare key", "a\"é\" = 1\n", 1, 3, invalid},
    {"a quote after an empty array element", "a = [1, , \"é\"]\n", 1, 12, invalid},
    {"a quote after a line break in a one-line string", "s = \"a\nb\"é\" = 1\n", 2, 3, invalid},
    // Backslashes in basic strings.
    {"after a backslash", "s = \"\\é\"\n", 1, 7, backslash},
    {"after a backslash, multi-line", "s = \"\"\"\\é\"\"\"\n", 1, 9, backslash},
    {"first after a line-ending backslash", "s = \"\"\"abc \\\n   é\"\"\"\n", 2, 4, line_ending},
    {"after a backslash and blanks", "s = \"\"\"a\\  é\"\"\"\n", 1, 12, line_ending},
    {"after a backslash and blank lines", "s = \"\"\"\\\n\n \té\"\"\"\n", 3, 3, line_ending},
    // toml++'s assumptions.
    {"a header without a key", "[=]\n", 1, 2, header},
    {"an array header without a key", "[[ #x]]\n", 1, 4, header},
    {"a header cut by a line break", "[\nx = 1\n", 1, 2, header},
    {"three brackets", "[[[a]]]\n", 1, 3, header},
    {"'}' as an array element", "a = [}]\n", 1, 6, brace},
    {"'}' after a comma and a line break", "a = [1,\n}]\n", 2, 1, brace},
    {"a date, a space, one digit", "d = 1979-05-27 0,\n", 1, 16, date},
    {"a date, a space, one digit in an array", "a = [1979-05-27 0]\n", 1, 17, date},
    {"a date, 'T' and no digit", "d = 1979-05-27Tx:00\n", 1, 16, date_t},
    {"a date, 't' and a terminator", "a = [1979-05-27t]\n", 1, 17, date_t},
    {"a date padded with underscores to 125 characters, a space and a time",
     "d = 9600_______________________________________________________________________________"
     "____________________________________-05-27 0:\n",
     1, 5, long_date},
};

}  // namespace

TEST_CASE("valid TOML with non-ASCII characters in strings and comments passes") {
  for (const auto& c : passes) {
    CAPTURE(c.name);
    const auto finding = screen_toml(c.text);
    CHECK_MESSAGE(!finding, std::string(finding ? finding->what : ""));
  }
}

TEST_CASE("text that toml++ cannot parse safely is refused at the exact place") {
  for (const auto& c : refusals) {
    CAPTURE(c.name);
    const auto finding = screen_toml(c.text);
    REQUIRE(finding);
    CHECK(finding->line == c.line);
    CHECK(finding->column == c.column);
    CHECK_MESSAGE(finding->what.find(c.what) != std::string_view::npos, std::string(finding->what));
  }
}
