#include "job/toml_screen.hpp"

#include <algorithm>
#include <array>
#include <cstddef>

// The screen is a lexer with toml++'s view of where strings start: only where toml++ parses a key
// or a value. Anywhere else a quote is an ordinary character: toml++ either scans it as part of a
// number or date, or stops at it with an error. Where toml++ would stop with an error, the rest of
// the line is refused on any non-ASCII byte (toml++ never reads it, but the screen no longer
// knows where strings are). See parse_document, parse_key, parse_value, parse_array,
// parse_inline_table, parse_table_header and parse_basic_string in toml++/impl/parser.inl.

namespace tessera::detail {
namespace {

constexpr std::string_view outside_string =
    "non-ASCII character outside a string or comment (TOML allows them only there)";
constexpr std::string_view after_invalid =
    "non-ASCII character after invalid TOML on this line (outside any string)";
constexpr std::string_view after_backslash =
    "non-ASCII character after a backslash in a string (not an escape sequence)";
constexpr std::string_view after_line_ending_backslash =
    "non-ASCII character first after a line-ending backslash in a multi-line string (toml++ "
    "cannot read it there: write it as \\uXXXX)";
constexpr std::string_view header_without_key = "a table header must start with a key";
constexpr std::string_view brace_in_array = "'}' where an array element is expected";
constexpr std::string_view date_and_digit =
    "a date, a space and one digit (expected a time, HH:MM:SS)";
constexpr std::string_view date_and_t = "a date and 'T' without a time after it (HH:MM:SS)";
constexpr std::string_view long_date =
    "a date-like value of 120 characters or more, a space and a digit (toml++ cannot look back "
    "that far)";

bool non_ascii(char c) {
  return static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_bare_key_char(char c) {
  return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
}
bool is_quote(char c) {
  return c == '"' || c == '\'';
}
/// Starts with YYYY-MM-DD.
bool is_date(std::string_view s) {
  for (std::size_t k = 0; k < 10; ++k) {
    if (k < s.size() && (k == 4 || k == 7 ? s[k] == '-' : is_digit(s[k]))) continue;
    return false;
  }
  return true;
}
/// toml++'s is_value_terminator, ASCII part (every other byte outside ASCII is refused anyway).
bool ends_value(char c) {
  return c == ' ' || c == '\t' || (c >= '\n' && c <= '\r') || c == ']' || c == '}' || c == ',' ||
         c == '#';
}

class Screen {
 public:
  explicit Screen(std::string_view text) : text_(text) {
    if (text_.starts_with("\xEF\xBB\xBF")) i_ = 3;  // a byte order mark, which toml++ skips
  }

  std::optional<ScreenFinding> run() {
    while (i_ < text_.size() && !found_) step();
    if (!found_) return std::nullopt;
    const auto before = text_.substr(0, found_at_);
    const auto line_start = before.rfind('\n') + 1;  // npos + 1 == 0
    return ScreenFinding{
        static_cast<std::uint32_t>(std::count(before.begin(), before.end(), '\n') + 1),
        static_cast<std::uint32_t>(found_at_ - line_start + 1), found_what_};
  }

 private:
  // Where the lexer stands, in toml++'s terms.
  enum class Mode {
    line_start,    // top level, start of a line: a key, a [table] header, or nothing
    key_start,     // in an inline table after '{' or ',': a key or '}'
    segment,       // a key segment: bare or quoted
    segment_done,  // after a key segment: '.', '=' (or ']' in a header)
    value,         // after '=', or after '[' or ',' in an array
    after_value,   // after a value or a header: ',' ']' '}' as the container allows, else invalid
    invalid,       // toml++ stops with an error in this line: no strings any more
  };

  void step() {
    const char c = text_[i_];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i_;
    } else if (c == '#') {
      const auto end = text_.find('\n', i_);
      i_ = end == std::string_view::npos ? text_.size() : end;
    } else if (c == '\n') {
      new_line();
      ++i_;
    } else if (non_ascii(c)) {
      fail(i_, mode_ == Mode::invalid ? after_invalid : outside_string);
    } else if (mode_ == Mode::invalid || c == '\v' || c == '\f') {
      to_invalid();
      ++i_;
    } else {
      token(c);
    }
  }

  void new_line() {
    // A line break ends a top-level line and is whitespace in an array; toml++ 1.0 refuses one in
    // an inline table (and anywhere else inside a key-value pair).
    if (depth_ > 0 && open_[depth_ - 1] == '[') return;
    depth_ = 0;
    header_ = 0;
    mode_ = Mode::line_start;
  }

  void token(char c) {
    const char open = depth_ > 0 ? open_[depth_ - 1] : '\0';
    switch (mode_) {
      case Mode::line_start:
        if (c == '[') return table_header();
        return key_segment();
      case Mode::key_start:
        if (c == '}') return close();
        return key_segment();
      case Mode::segment:
        return key_segment();
      case Mode::segment_done:
        if (c == '.') return take(Mode::segment);
        if (c == '=' && header_ == 0) return take(Mode::value);
        if (c == ']' && header_ != 0) return close_header();
        return to_invalid();
      case Mode::value:
        return value(c, open);
      case Mode::after_value:
        if (c == ',' && open == '[') return take(Mode::value);
        if (c == ',' && open == '{') return take(Mode::key_start);
        if ((c == ']' && open == '[') || (c == '}' && open == '{')) return close();
        if (c == ',' || c == ']' || c == '}') return to_invalid();
        return bare_value(false);  // the time of a date-time, or invalid
      case Mode::invalid:
        return;
    }
  }

  void value(char c, char open) {
    if (is_quote(c)) {
      if (string()) mode_ = Mode::after_value;
    } else if (c == '[' || c == '{') {
      if (depth_ == open_.size()) return to_invalid();  // toml++ refuses 256 levels anyway
      open_[depth_++] = c;
      take(c == '[' ? Mode::value : Mode::key_start);
    } else if (c == ']' && open == '[') {
      close();  // an empty array or a trailing comma
    } else if (c == '}' && open == '[') {
      fail(i_, brace_in_array);
    } else if (c == ',' || c == ']' || c == '}') {
      to_invalid();
    } else {
      bare_value(true);
    }
  }

  void key_segment() {
    const char c = text_[i_];
    if (is_quote(c)) {
      if (string()) mode_ = Mode::segment_done;
    } else if (is_bare_key_char(c)) {
      while (i_ < text_.size() && is_bare_key_char(text_[i_])) ++i_;
      mode_ = Mode::segment_done;
    } else {
      to_invalid();
    }
  }

  // At '[' at the start of a line. toml++ assumes that a key follows "[" or "[[" and blanks.
  void table_header() {
    const auto had_blank = skip_blanks(i_ + 1) != i_ + 1;
    i_ = skip_blanks(i_ + 1);
    header_ = 1;
    if (i_ < text_.size() && text_[i_] == '[') {
      if (had_blank) return to_invalid();
      header_ = 2;
      i_ = skip_blanks(i_ + 1);
    }
    if (i_ == text_.size() || text_[i_] == ']') return to_invalid();
    if (non_ascii(text_[i_])) return fail(i_, outside_string);
    if (!is_bare_key_char(text_[i_]) && !is_quote(text_[i_])) return fail(i_, header_without_key);
    mode_ = Mode::segment;
  }

  void close_header() {
    const std::size_t brackets = header_ == 2 ? 2 : 1;
    if (text_.substr(i_, brackets) != std::string_view("]]", brackets)) return to_invalid();
    i_ += brackets;
    header_ = 0;
    mode_ = Mode::after_value;
  }

  void close() {
    --depth_;
    take(Mode::after_value);
  }

  void take(Mode next) {
    ++i_;
    mode_ = next;
  }

  // A value that is not a string, array or inline table: toml++ scans it up to a value
  // terminator, whatever it holds.
  void bare_value(bool at_value_start) {
    const std::size_t begin = i_;
    for (; i_ < text_.size() && !ends_value(text_[i_]); ++i_) {
      if (non_ascii(text_[i_])) return fail(i_, outside_string);
    }
    if (at_value_start && date_without_time(begin)) return;
    mode_ = Mode::after_value;
  }

  // toml++ assumes a digit where a time should start after a date: after "DDDD-DD-DDT" (or 't'),
  // and after "DDDD-DD-DD " and a digit when it reads on (it does not look at the digit twice).
  // Reading on, it also assumes that it can step back to the start of the value, which its buffer
  // of 127 characters allows only if the date (with underscores: it does not count them) is
  // short enough. True on a finding in the value [begin, i_).
  bool date_without_time(std::size_t begin) {
    const auto token = text_.substr(begin, i_ - begin);
    if (token.size() >= 11 && is_date(token) && (token[10] == 'T' || token[10] == 't') &&
        begin + 11 < text_.size() && !is_digit(text_[begin + 11])) {
      fail(begin + 11, date_and_t);
    } else if (is_digit(token.front()) && token.find('-') != std::string_view::npos &&
               i_ + 1 < text_.size() && text_[i_] == ' ' && is_digit(text_[i_ + 1])) {
      if (i_ + 2 < text_.size() && ends_value(text_[i_ + 2]))
        fail(i_ + 1, date_and_digit);
      else if (token.size() >= 120)
        fail(begin, long_date);
    }
    return found_;
  }

  // At a quote where toml++ parses a string. True when the string ends; false on a finding, at
  // the end of the text, or where toml++ stops with an error (a line break in a one-line string).
  bool string() {
    const char quote = text_[i_];
    if (text_.substr(i_, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''")) {
      i_ += 3;
      return multi_line_string(quote);
    }
    for (++i_; i_ < text_.size(); ++i_) {
      const char c = text_[i_];
      if (c == quote) {
        ++i_;
        return true;
      }
      if (c == '\n' || (quote == '"' && c == '\\' && !escape(false))) break;
    }
    if (i_ < text_.size() && !found_) to_invalid();
    return false;
  }

  bool multi_line_string(char quote) {
    while (i_ < text_.size()) {
      if (text_[i_] == quote) {
        // A run of 3 to 5 quotes closes the string (the first one or two are its content).
        const auto run = std::min(text_.find_first_not_of(quote, i_), text_.size()) - i_;
        i_ += std::min<std::size_t>(run, 5);
        if (run >= 3) return true;
      } else if (quote == '"' && text_[i_] == '\\') {
        if (!escape(true)) return false;
        ++i_;
      } else {
        ++i_;
      }
    }
    return false;
  }

  // At a backslash in a basic string: moves to the last byte of the escape. toml++ tests the
  // next character for whitespace in a multi-line string, and after a line-ending backslash
  // every character up to the first that is not whitespace. False on a finding, at the end of
  // the text and on a line break in a one-line string.
  bool escape(bool multi_line) {
    const auto next = multi_line ? text_.find_first_not_of(" \t\r\n", i_ + 1) : i_ + 1;
    if (next >= text_.size() || (!multi_line && text_[next] == '\n')) {
      i_ = std::min(next, text_.size());
      return false;
    }
    if (non_ascii(text_[next])) {
      fail(next, next == i_ + 1 ? after_backslash : after_line_ending_backslash);
      return false;
    }
    i_ = next == i_ + 1 ? next : next - 1;  // the escaped character, or the last blank
    return true;
  }

  std::size_t skip_blanks(std::size_t from) const {
    return std::min(text_.find_first_not_of(" \t", from), text_.size());
  }

  void to_invalid() {
    mode_ = Mode::invalid;
    depth_ = 0;
    header_ = 0;
  }

  void fail(std::size_t at, std::string_view what) {
    found_ = true;
    found_at_ = at;
    found_what_ = what;
  }

  std::string_view text_;
  std::size_t i_ = 0;
  Mode mode_ = Mode::line_start;
  std::array<char, 300> open_{};  // '[' or '{' for each open array or inline table
  std::size_t depth_ = 0;
  int header_ = 0;  // in a table header: 1 for [table], 2 for [[array of tables]]
  bool found_ = false;
  std::size_t found_at_ = 0;
  std::string_view found_what_;
};

}  // namespace

std::optional<ScreenFinding> screen_toml(std::string_view text) noexcept {
  return Screen(text).run();
}

}  // namespace tessera::detail
