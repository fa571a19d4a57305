#pragma once
// Internal: numbers as a job file writes them, and whether one is a value of an element type.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "tessera/element_type.hpp"

namespace tessera::detail {

/// A number as written: an integer (or an integer expression) or a floating-point value.
using Number = std::variant<std::int64_t, double>;

/// As a job file writes it: "2", "2.0", "1e+39".
std::string number_text(const Number& n);
double as_double(const Number& n);

/// The range of an integer element type, within int64 (ulong's top half is out of reach of a job
/// file); for float types, int64's range.
std::pair<std::int64_t, std::int64_t> integer_range(ElementType t);

/// Why `n` is not a value of `type`, or nothing when it is: integer types take integers within
/// their range (never a float, even 2.0); float types take integers they hold exactly and finite
/// floats within their range (rounded to the nearest value, as a C literal is). For example
/// "3000000000 is outside the range of int [-2147483648, 2147483647]".
std::optional<std::string> misfit(const Number& n, ElementType type);

}  // namespace tessera::detail
