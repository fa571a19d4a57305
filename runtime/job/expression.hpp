#pragma once
// Internal: the integer expressions of job files ("n", "w*h", "n/4") and the [params] table.
//
// Grammar (whitespace allowed between tokens):
//   expr    = term { ("+" | "-") term }
//   term    = unary { ("*" | "/" | "%") unary }
//   unary   = "-" unary | primary
//   primary = DECIMAL | NAME | "(" expr ")"
//   NAME    = [A-Za-z_][A-Za-z0-9_]*
// Values are 64-bit signed. Every operation is checked: a result outside the 64-bit range, a
// division or a modulo by zero is an error, never a wrapped value. "/" truncates toward zero and
// "%" takes the sign of the dividend, as in C.

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tessera::detail {

/// An expression that does not parse or cannot be evaluated.
///
/// what() is one line and names the 1-based column inside the expression text; offset() is the
/// same place as a 0-based character offset, so a caller that knows where the text sits in a file
/// can report file:line:col. param() names the [params] entry whose value is at fault (empty when
/// the expression was not a param's).
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(std::string message, std::size_t offset, std::string param = {});

  std::size_t offset() const noexcept { return offset_; }
  const std::string& param() const noexcept { return param_; }

 private:
  std::size_t offset_;
  std::string param_;
};

/// Names and their values (resolved params).
using ParamValues = std::map<std::string, std::int64_t, std::less<>>;

/// A parsed expression, ready to evaluate against any set of names.
class Expression {
 public:
  /// A use of a name inside the text.
  struct NameUse {
    std::string name;
    std::size_t offset;  ///< 0-based offset of the name's first character
  };

  /// Parses `text`; throws ExpressionError on a syntax error or an out-of-range literal.
  static Expression parse(std::string_view text);

  const std::string& text() const noexcept { return text_; }
  /// Every name the expression uses, in order of appearance (repeats included).
  const std::vector<NameUse>& names() const noexcept { return names_; }

  /// The value with `values` for the names. Throws ExpressionError on an undefined name
  /// (suggesting the closest defined one), an overflow, or a division or modulo by zero.
  std::int64_t evaluate(const ParamValues& values) const;
  /// Throws the ExpressionError evaluate() would for the first name `values` lacks.
  void check_names(const ParamValues& values) const;
  /// The expression uses `name`.
  bool uses(std::string_view name) const;

 private:
  enum class OpKind { literal, name, negate, add, subtract, multiply, divide, modulo };
  struct Op {
    OpKind kind;
    std::int64_t value;  ///< literal: the value; name: the index into names_
    std::size_t offset;  ///< where the operator or operand sits in text_
  };
  class Parser;
  ExpressionError undefined(const NameUse& use, const ParamValues& values) const;

  std::string text_;
  std::vector<Op> program_;  // postfix order
  std::vector<NameUse> names_;
};

/// Parses and evaluates `text` in one step (see Expression).
std::int64_t evaluate_expression(std::string_view text, const ParamValues& values);

/// A [params] entry as written: an integer, or an expression over other params.
using ParamValue = std::variant<std::int64_t, std::string>;

/// Resolves a whole [params] table, each param after the ones it uses.
///
/// Throws ExpressionError with param() set to the param at fault: a syntax error in its
/// expression, a name that is no param ("did you mean" the closest one), a cycle (the message
/// names it: "a -> b -> a"; the offset is that of the first reference on it), an overflow or a
/// division by zero.
ParamValues resolve_params(const std::map<std::string, ParamValue, std::less<>>& params);

}  // namespace tessera::detail
