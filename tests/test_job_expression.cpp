// Integer expressions of job files: precedence, checked arithmetic, names, and [params] tables
// resolved in dependency order, with the error each mistake gives.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "job/expression.hpp"

using tessera::detail::evaluate_expression;
using tessera::detail::Expression;
using tessera::detail::ExpressionError;
using tessera::detail::ParamValue;
using tessera::detail::ParamValues;
using tessera::detail::resolve_params;

namespace {

std::int64_t eval(const std::string& text, const ParamValues& values = {}) {
  return evaluate_expression(text, values);
}

// The error evaluating `text` gives (fails the test if there is none).
ExpressionError error_of(const std::string& text, const ParamValues& values = {}) {
  try {
    eval(text, values);
  } catch (const ExpressionError& e) {
    return e;
  }
  FAIL("no error for \"" << text << "\"");
  return ExpressionError("", 0);
}

using ParamTable = std::map<std::string, ParamValue, std::less<>>;

ExpressionError params_error(const ParamTable& table) {
  try {
    resolve_params(table);
  } catch (const ExpressionError& e) {
    return e;
  }
  FAIL("no error for the param table");
  return ExpressionError("", 0);
}

}  // namespace

TEST_CASE("literals, whitespace and names") {
  CHECK(eval("0") == 0);
  CHECK(eval("1048576") == 1048576);
  CHECK(eval("  \t42\n ") == 42);
  CHECK(eval("9223372036854775807") == INT64_MAX);
  CHECK(eval("-9223372036854775808") == INT64_MIN);
  CHECK(eval("n", {{"n", 7}}) == 7);
  CHECK(eval("_a1 + B_2", {{"_a1", 3}, {"B_2", 4}}) == 7);
}

TEST_CASE("precedence: * / % bind tighter than + -, both left to right") {
  CHECK(eval("2+3*4") == 14);
  CHECK(eval("2*3+4") == 10);
  CHECK(eval("10-4-3") == 3);
  CHECK(eval("100/10/5") == 2);
  CHECK(eval("7-2*3+1") == 2);
  CHECK(eval("17%5*2") == 4);
  CHECK(eval("1+17%5") == 3);
  CHECK(eval("w*h/4", {{"w", 1024}, {"h", 768}}) == 196608);
}

TEST_CASE("parentheses") {
  CHECK(eval("(2+3)*4") == 20);
  CHECK(eval("2*(3+4)") == 14);
  CHECK(eval("((((5))))") == 5);
  CHECK(eval("100/(10/5)") == 50);
  CHECK(eval("10-(4-3)") == 9);
  CHECK(eval("( n + 1 ) * 2", {{"n", 4}}) == 10);
}

TEST_CASE("unary minus binds tightest") {
  CHECK(eval("-5") == -5);
  CHECK(eval("--5") == 5);
  CHECK(eval("- 5") == -5);
  CHECK(eval("-2*3") == -6);
  CHECK(eval("2*-3") == -6);
  CHECK(eval("-(2+3)") == -5);
  CHECK(eval("4--2") == 6);
  CHECK(eval("-n", {{"n", 9}}) == -9);
  CHECK(eval("-n*-n", {{"n", 9}}) == 81);
}

TEST_CASE("division truncates toward zero; modulo takes the dividend's sign") {
  CHECK(eval("7/2") == 3);
  CHECK(eval("-7/2") == -3);
  CHECK(eval("7/-2") == -3);
  CHECK(eval("7%3") == 1);
  CHECK(eval("-7%3") == -1);
  CHECK(eval("7%-3") == 1);
  CHECK(eval("-9223372036854775808 % -1") == 0);
}

TEST_CASE("overflow is an error, never a wrapped value") {
  const auto mul = error_of("4611686018427387904*2");
  CHECK(std::string(mul.what()) ==
        "overflow at column 20 of \"4611686018427387904*2\": 4611686018427387904 * 2 is outside "
        "the 64-bit range");
  CHECK(mul.offset() == 19);
  CHECK(error_of("9223372036854775807 + 1").offset() == 20);
  CHECK(error_of("-9223372036854775808 - 1").offset() == 21);
  CHECK(
      std::string(error_of("-9223372036854775808 / -1").what()).find("outside the 64-bit range") !=
      std::string::npos);
  CHECK(error_of("-m", {{"m", INT64_MIN}}).offset() == 0);
  CHECK(error_of("w*h*h*h", {{"w", 1 << 20}, {"h", 1 << 20}}).offset() == 5);

  const auto literal = error_of("1 + 9223372036854775808");
  CHECK(std::string(literal.what()) ==
        "number 9223372036854775808 is outside the 64-bit range at column 5 of "
        "\"1 + 9223372036854775808\"");
  CHECK(literal.offset() == 4);
  CHECK(error_of("99999999999999999999999999").offset() == 0);
}

TEST_CASE("division and modulo by zero") {
  const auto div = error_of("n / (n - 4)", {{"n", 4}});
  CHECK(std::string(div.what()) == "division by zero at column 3 of \"n / (n - 4)\"");
  CHECK(div.offset() == 2);
  const auto mod = error_of("5%0");
  CHECK(std::string(mod.what()) == "modulo by zero at column 2 of \"5%0\"");
  CHECK(mod.offset() == 1);
}

TEST_CASE("an undefined name suggests the closest defined one") {
  const auto e = error_of("2 * widht", {{"width", 1}, {"height", 2}});
  CHECK(std::string(e.what()) ==
        "undefined name 'widht' at column 5 of \"2 * widht\"; did you mean 'width'?");
  CHECK(e.offset() == 4);
  CHECK(e.param().empty());
  CHECK(std::string(error_of("zzz", {{"width", 1}}).what()) ==
        "undefined name 'zzz' at column 1 of \"zzz\"");
}

TEST_CASE("syntax errors name the column and what was expected") {
  struct Case {
    const char* text;
    std::size_t offset;
    const char* message;
  };
  const Case cases[] = {
      {"", 0, "empty expression"},
      {"   ", 0, "empty expression"},
      {"w*/2", 2, "expected a number, a name, '-' or '(', found '/' at column 3 of \"w*/2\""},
      {"1 +", 3, "expected a number, a name, '-' or '(', found the end at column 4 of \"1 +\""},
      {"(1+2", 4,
       "expected ')' to close the '(' at column 1, found the end at column 5 of \"(1+2\""},
      {"(1 2)", 3, "expected an operator (+ - * / %) or ')', found '2' at column 4 of \"(1 2)\""},
      {"1+2)", 3, "')' without a matching '(' at column 4 of \"1+2)\""},
      {"2 n", 2, "expected an operator (+ - * / %) or the end, found 'n' at column 3 of \"2 n\""},
      {"n $ 2", 2,
       "expected an operator (+ - * / %) or the end, found '$' at column 3 of \"n $ 2\""},
      {"12abc", 0, "invalid number '12abc' (decimal integers only) at column 1 of \"12abc\""},
      {"0x10", 0, "invalid number '0x10' (decimal integers only) at column 1 of \"0x10\""},
      {"+1", 0, "expected a number, a name, '-' or '(', found '+' at column 1 of \"+1\""},
      {"()", 1, "expected a number, a name, '-' or '(', found ')' at column 2 of \"()\""},
      {"1.5", 1, "expected an operator (+ - * / %) or the end, found '.' at column 2 of \"1.5\""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    const auto e = error_of(c.text);
    CHECK(std::string(e.what()) == c.message);
    CHECK(e.offset() == c.offset);
  }
  CHECK(std::string(error_of(std::string("1+\x01")).what()) ==
        "expected a number, a name, '-' or '(', found byte 0x01 at column 3");
}

TEST_CASE("nesting deeper than the limit is refused, not a stack overflow") {
  CHECK(eval(std::string(99, '(') + "1" + std::string(99, ')')) == 1);
  const auto e = error_of(std::string(100000, '(') + "1" + std::string(100000, ')'));
  CHECK(std::string(e.what()).find("nested too deeply") != std::string::npos);
  CHECK(std::string(error_of(std::string(100000, '-') + "1").what()).find("nested too deeply") !=
        std::string::npos);
}

TEST_CASE("a parsed expression lists its names and evaluates against any values") {
  const auto e = Expression::parse("w * h + w");
  REQUIRE(e.names().size() == 3);
  CHECK(e.names()[0].name == "w");
  CHECK(e.names()[0].offset == 0);
  CHECK(e.names()[1].name == "h");
  CHECK(e.names()[1].offset == 4);
  CHECK(e.names()[2].offset == 8);
  CHECK(e.evaluate({{"w", 2}, {"h", 3}}) == 8);
  CHECK(e.evaluate({{"w", 10}, {"h", 0}}) == 10);
}

TEST_CASE("params resolve in dependency order, whatever order they are written in") {
  const auto values = resolve_params({{"n", std::string("w*h")},
                                      {"h", std::string("w/2")},
                                      {"w", std::int64_t{1024}},
                                      {"a", std::string("z - 1")},
                                      {"z", std::string("n % 1000")}});
  CHECK(values.size() == 5);
  CHECK(values.at("w") == 1024);
  CHECK(values.at("h") == 512);
  CHECK(values.at("n") == 524288);
  CHECK(values.at("z") == 288);
  CHECK(values.at("a") == 287);
  CHECK(resolve_params({}).empty());
  CHECK(resolve_params({{"x", std::string("  -3 ")}}).at("x") == -3);
}

TEST_CASE("param errors name the param at fault") {
  SUBCASE("undefined name, with a suggestion among the params") {
    const auto e = params_error({{"width", std::int64_t{4}}, {"n", std::string("widht * 2")}});
    CHECK(std::string(e.what()) ==
          "undefined name 'widht' at column 1 of \"widht * 2\"; did you mean 'width'?");
    CHECK(e.param() == "n");
    CHECK(e.offset() == 0);
  }
  SUBCASE("a cycle, named") {
    const auto e = params_error({{"a", std::string("b + 1")},
                                 {"b", std::string("2 * c")},
                                 {"c", std::string("a")},
                                 {"d", std::int64_t{1}}});
    CHECK(std::string(e.what()) == "params form a cycle: a -> b -> c -> a");
    CHECK(e.param() == "a");
    CHECK(e.offset() == 0);
  }
  SUBCASE("a cycle not through the first param resolved") {
    const auto e = params_error({{"a", std::string("1 + b")},
                                 {"b", std::string("c")},
                                 {"c", std::string("d - 1")},
                                 {"d", std::string("1 + b")}});
    CHECK(std::string(e.what()) == "params form a cycle: b -> c -> d -> b");
    CHECK(e.param() == "b");
  }
  SUBCASE("a param that refers to itself") {
    const auto e = params_error({{"n", std::string("2 * n")}});
    CHECK(std::string(e.what()) == "param 'n' refers to itself at column 5 of \"2 * n\"");
    CHECK(e.param() == "n");
    CHECK(e.offset() == 4);
  }
  SUBCASE("a syntax error") {
    const auto e = params_error({{"w", std::int64_t{8}}, {"h", std::string("w/")}});
    CHECK(std::string(e.what()) ==
          "expected a number, a name, '-' or '(', found the end at column 3 of \"w/\"");
    CHECK(e.param() == "h");
    CHECK(e.offset() == 2);
  }
  SUBCASE("an overflow through a chain of params") {
    const auto e = params_error(
        {{"a", std::int64_t{1} << 40}, {"b", std::string("a * a")}, {"c", std::string("b + 1")}});
    CHECK(e.param() == "b");
    CHECK(e.offset() == 2);
  }
  SUBCASE("a division by zero") {
    const auto e = params_error({{"z", std::int64_t{0}}, {"q", std::string("1 % z")}});
    CHECK(std::string(e.what()) == "modulo by zero at column 3 of \"1 % z\"");
    CHECK(e.param() == "q");
  }
}
