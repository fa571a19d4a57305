// Integer expressions of job files: parsing to postfix, checked evaluation, [params] resolution.

#include "job/expression.hpp"

#include <fmt/format.h>

#include <set>
#include <utility>

#include "common/suggest.hpp"

namespace tessera::detail {
namespace {

// Deeper nesting (parentheses or unary minus) is refused rather than risking the stack.
constexpr int max_depth = 100;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_printable(char c) {
  return c >= 0x20 && c < 0x7f;
}

// "column 3 of \"w*/2\"", or just "column 3" when the text is too long or unprintable to quote.
std::string where(std::string_view text, std::size_t offset) {
  constexpr std::size_t max_quoted = 60;
  bool quotable = text.size() <= max_quoted;
  for (const char c : text) quotable = quotable && is_printable(c) && c != '"';
  if (quotable) return fmt::format("column {} of \"{}\"", offset + 1, text);
  return fmt::format("column {}", offset + 1);
}

// The token starting at `offset`, for "found ..." in messages.
std::string describe_token(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return "the end";
  const char c = text[offset];
  if (is_name_char(c)) {
    std::size_t end = offset;
    while (end < text.size() && is_name_char(text[end]) && end - offset < 40) ++end;
    return fmt::format("'{}'", text.substr(offset, end - offset));
  }
  if (is_printable(c)) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
}

}  // namespace

ExpressionError::ExpressionError(std::string message, std::size_t offset, std::string param)
    : std::runtime_error(std::move(message)), offset_(offset), param_(std::move(param)) {}

// Recursive descent over the grammar in expression.hpp, emitting postfix operations.
class Expression::Parser {
 public:
  Parser(std::string_view text, Expression& out) : text_(text), out_(out) {}

  void parse() {
    skip_space();
    if (at_end()) throw ExpressionError("empty expression", 0);
    expression(0);
    skip_space();
    if (at_end()) return;
    if (text_[pos_] == ')') {
      throw error(pos_, "')' without a matching '('");
    }
    throw expected("an operator (+ - * / %) or the end");
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_space() {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }
  ExpressionError error(std::size_t offset, std::string_view what) const {
    return ExpressionError(fmt::format("{} at {}", what, where(text_, offset)), offset);
  }
  ExpressionError expected(std::string_view what) const {
    return error(pos_, fmt::format("expected {}, found {}", what, describe_token(text_, pos_)));
  }
  void emit(OpKind kind, std::int64_t value, std::size_t offset) {
    out_.program_.push_back(Op{kind, value, offset});
  }

  void expression(int depth) {
    term(depth);
    for (;;) {
      skip_space();
      if (at_end() || (text_[pos_] != '+' && text_[pos_] != '-')) return;
      const std::size_t op = pos_++;
      const OpKind kind = text_[op] == '+' ? OpKind::add : OpKind::subtract;
      term(depth);
      emit(kind, 0, op);
    }
  }

  void term(int depth) {
    unary(depth);
    for (;;) {
      skip_space();
      if (at_end()) return;
      const char c = text_[pos_];
      OpKind kind{};
      if (c == '*') {
        kind = OpKind::multiply;
      } else if (c == '/') {
        kind = OpKind::divide;
      } else if (c == '%') {
        kind = OpKind::modulo;
      } else {
        return;
      }
      const std::size_t op = pos_++;
      unary(depth);
      emit(kind, 0, op);
    }
  }

  void unary(int depth) {
    if (depth >= max_depth) {
      throw error(pos_,
                  fmt::format("expression nested too deeply (more than {} levels)", max_depth));
    }
    skip_space();
    if (!at_end() && text_[pos_] == '-') {
      const std::size_t op = pos_++;
      skip_space();
      // "-9223372036854775808" is a literal of its own: its magnitude alone does not fit.
      if (!at_end() && is_digit(text_[pos_])) {
        literal(op, true);
        return;
      }
      unary(depth + 1);
      emit(OpKind::negate, 0, op);
      return;
    }
    primary(depth);
  }

  void primary(int depth) {
    skip_space();
    if (at_end()) throw expected("a number, a name, '-' or '('");
    const char c = text_[pos_];
    if (is_digit(c)) {
      literal(pos_, false);
    } else if (is_name_start(c)) {
      const std::size_t start = pos_;
      while (!at_end() && is_name_char(text_[pos_])) ++pos_;
      emit(OpKind::name, static_cast<std::int64_t>(out_.names_.size()), start);
      out_.names_.push_back({std::string(text_.substr(start, pos_ - start)), start});
    } else if (c == '(') {
      const std::size_t open = pos_++;
      expression(depth + 1);
      skip_space();
      if (at_end()) {
        throw expected(fmt::format("')' to close the '(' at column {}", open + 1));
      }
      if (text_[pos_] != ')') throw expected("an operator (+ - * / %) or ')'");
      ++pos_;
    } else {
      throw expected("a number, a name, '-' or '('");
    }
  }

  // A decimal literal starting at pos_; `start` is where it (or its minus sign) begins.
  void literal(std::size_t start, bool negative) {
    const std::size_t digits = pos_;
    while (!at_end() && is_name_char(text_[pos_])) ++pos_;
    const std::string_view token = text_.substr(digits, pos_ - digits);
    std::uint64_t magnitude = 0;
    for (const char d : token) {
      if (!is_digit(d)) {
        throw error(digits, fmt::format("invalid number '{}' (decimal integers only)", token));
      }
      const auto digit = static_cast<std::uint64_t>(d - '0');
      if (magnitude > (UINT64_MAX - digit) / 10) {
        magnitude = UINT64_MAX;
        break;
      }
      magnitude = magnitude * 10 + digit;
    }
    constexpr std::uint64_t limit = std::uint64_t{1} << 63;  // |INT64_MIN|
    if (magnitude > limit - (negative ? 0 : 1)) {
      throw error(start, fmt::format("number {}{} is outside the 64-bit range", negative ? "-" : "",
                                     token));
    }
    const std::int64_t value =
        negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
    emit(OpKind::literal, value, start);
  }

  std::string_view text_;
  Expression& out_;
  std::size_t pos_ = 0;
};

Expression Expression::parse(std::string_view text) {
  Expression e;
  e.text_ = std::string(text);
  Parser(e.text_, e).parse();
  return e;
}

std::int64_t Expression::evaluate(const ParamValues& values) const {
  std::vector<std::int64_t> stack;
  stack.reserve(program_.size());
  const auto overflow = [&](const Op& op, std::string_view operation) {
    return ExpressionError(fmt::format("overflow at {}: {} is outside the 64-bit range",
                                       where(text_, op.offset), operation),
                           op.offset);
  };
  for (const Op& op : program_) {
    switch (op.kind) {
      case OpKind::literal:
        stack.push_back(op.value);
        continue;
      case OpKind::name: {
        const NameUse& use = names_[static_cast<std::size_t>(op.value)];
        const auto found = values.find(use.name);
        if (found == values.end()) throw undefined(use, values);
        stack.push_back(found->second);
        continue;
      }
      case OpKind::negate: {
        const std::int64_t a = stack.back();
        if (a == INT64_MIN) throw overflow(op, fmt::format("-({})", a));
        stack.back() = -a;
        continue;
      }
      default:
        break;
    }
    const std::int64_t b = stack.back();
    stack.pop_back();
    const std::int64_t a = stack.back();
    std::int64_t r = 0;
    switch (op.kind) {
      case OpKind::add:
        if (__builtin_add_overflow(a, b, &r)) throw overflow(op, fmt::format("{} + {}", a, b));
        break;
      case OpKind::subtract:
        if (__builtin_sub_overflow(a, b, &r)) throw overflow(op, fmt::format("{} - {}", a, b));
        break;
      case OpKind::multiply:
        if (__builtin_mul_overflow(a, b, &r)) throw overflow(op, fmt::format("{} * {}", a, b));
        break;
      case OpKind::divide:
        if (b == 0) {
          throw ExpressionError(fmt::format("division by zero at {}", where(text_, op.offset)),
                                op.offset);
        }
        if (a == INT64_MIN && b == -1) throw overflow(op, fmt::format("{} / {}", a, b));
        r = a / b;
        break;
      case OpKind::modulo:
        if (b == 0) {
          throw ExpressionError(fmt::format("modulo by zero at {}", where(text_, op.offset)),
                                op.offset);
        }
        r = b == -1 ? 0 : a % b;  // INT64_MIN % -1 is 0, but undefined behaviour in C++
        break;
      default:
        break;
    }
    stack.back() = r;
  }
  return stack.back();
}

ExpressionError Expression::undefined(const NameUse& use, const ParamValues& values) const {
  std::vector<std::string> candidates;
  for (const auto& [name, value] : values) candidates.push_back(name);
  const auto suggestion = closest_match(use.name, candidates);
  return ExpressionError(fmt::format("undefined name '{}' at {}{}", use.name, where(text_, use.offset),
                                     suggestion ? fmt::format("; did you mean '{}'?", *suggestion) : ""),
                         use.offset);
}

void Expression::check_names(const ParamValues& values) const {
  for (const NameUse& use : names_) {
    if (!values.contains(use.name)) throw undefined(use, values);
  }
}

bool Expression::uses(std::string_view name) const {
  for (const NameUse& use : names_) {
    if (use.name == name) return true;
  }
  return false;
}

std::int64_t evaluate_expression(std::string_view text, const ParamValues& values) {
  return Expression::parse(text).evaluate(values);
}

ParamValues resolve_params(const std::map<std::string, ParamValue, std::less<>>& params) {
  // Parse every expression first, so syntax errors come before dependency errors.
  std::map<std::string, Expression, std::less<>> parsed;
  std::vector<std::string> all_names;
  ParamValues values;
  for (const auto& [name, value] : params) {
    all_names.push_back(name);
    if (const auto* number = std::get_if<std::int64_t>(&value)) {
      values.emplace(name, *number);
      continue;
    }
    try {
      parsed.emplace(name, Expression::parse(std::get<std::string>(value)));
    } catch (const ExpressionError& e) {
      throw ExpressionError(e.what(), e.offset(), name);
    }
  }

  // Depth-first over the references, without recursion: a frame is a param being resolved and
  // the index of its next name to visit. `on_path` holds the params on the stack.
  struct Frame {
    const std::string* name;
    const Expression* expression;
    std::size_t next = 0;
  };
  std::set<std::string_view> on_path;
  for (const auto& [root_name, root_expression] : parsed) {
    if (values.contains(root_name)) continue;
    std::vector<Frame> stack{{&root_name, &root_expression}};
    on_path.insert(root_name);
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const auto& uses = frame.expression->names();
      if (frame.next == uses.size()) {
        try {
          values.emplace(*frame.name, frame.expression->evaluate(values));
        } catch (const ExpressionError& e) {
          throw ExpressionError(e.what(), e.offset(), *frame.name);
        }
        on_path.erase(*frame.name);
        stack.pop_back();
        continue;
      }
      const Expression::NameUse& use = uses[frame.next++];
      if (values.contains(use.name)) continue;
      if (!params.contains(use.name)) {
        const auto suggestion = closest_match(use.name, all_names);
        throw ExpressionError(
            fmt::format("undefined name '{}' at {}{}", use.name,
                        where(frame.expression->text(), use.offset),
                        suggestion ? fmt::format("; did you mean '{}'?", *suggestion) : ""),
            use.offset, *frame.name);
      }
      if (on_path.contains(use.name)) {
        std::size_t first = 0;
        while (*stack[first].name != use.name) ++first;
        const Frame& start = stack[first];
        const std::size_t offset = start.expression->names()[start.next - 1].offset;
        if (first + 1 == stack.size()) {
          throw ExpressionError(fmt::format("param '{}' refers to itself at {}", use.name,
                                            where(start.expression->text(), offset)),
                                offset, use.name);
        }
        std::string cycle;
        for (std::size_t i = first; i < stack.size(); ++i) cycle += *stack[i].name + " -> ";
        cycle += use.name;
        throw ExpressionError(fmt::format("params form a cycle: {}", cycle), offset, use.name);
      }
      const auto next = parsed.find(use.name);
      on_path.insert(next->first);
      stack.push_back({&next->first, &next->second});
    }
  }
  return values;
}

}  // namespace tessera::detail
