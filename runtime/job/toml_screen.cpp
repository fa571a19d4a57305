#include "job/toml_screen.hpp"

namespace tessera::detail {

std::optional<ScreenFinding> find_non_ascii_outside_strings(std::string_view text) noexcept {
  enum class In { code, comment, basic, literal, multi_basic, multi_literal };
  In in = In::code;
  std::uint32_t line = 1, column = 1;
  const auto starts = [&](std::size_t i, std::string_view s) { return text.substr(i, s.size()) == s; };
  for (std::size_t i = 0; i < text.size(); ++i, ++column) {
    const char c = text[i];
    if (c == '\n') {
      if (in == In::comment || in == In::basic || in == In::literal) in = In::code;  // single-line forms end
      ++line;
      column = 0;
      continue;
    }
    switch (in) {
      case In::code:
        if (static_cast<unsigned char>(c) >= 0x80) return ScreenFinding{line, column};
        if (c == '#') in = In::comment;
        else if (starts(i, "\"\"\"")) in = In::multi_basic, i += 2, column += 2;
        else if (starts(i, "'''")) in = In::multi_literal, i += 2, column += 2;
        else if (c == '"') in = In::basic;
        else if (c == '\'') in = In::literal;
        break;
      case In::comment: break;
      case In::basic:
      case In::multi_basic:
        if (c == '\\') {
          ++i, ++column;  // the escaped character (a newline after \\ in multi-line strings too)
          if (i < text.size() && text[i] == '\n') ++line, column = 0;
        } else if (in == In::basic && c == '"') {
          in = In::code;
        } else if (in == In::multi_basic && starts(i, "\"\"\"")) {
          in = In::code, i += 2, column += 2;
        }
        break;
      case In::literal:
        if (c == '\'') in = In::code;
        break;
      case In::multi_literal:
        if (starts(i, "'''")) in = In::code, i += 2, column += 2;
        break;
    }
  }
  return std::nullopt;
}

}  // namespace tessera::detail
