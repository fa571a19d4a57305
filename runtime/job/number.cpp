// Job numbers against element types: the one rule for scalars, fills and bounds.

#include "job/number.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "common/element_types.hpp"

namespace tessera::detail {

std::string number_text(const Number& n) {
  if (const auto* i = std::get_if<std::int64_t>(&n)) return fmt::format("{}", *i);
  std::string text = fmt::format("{}", std::get<double>(n));
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // "2.0", not "2"
  return text;
}

double as_double(const Number& n) {
  if (const auto* i = std::get_if<std::int64_t>(&n)) return static_cast<double>(*i);
  return std::get<double>(n);
}

std::pair<std::int64_t, std::int64_t> integer_range(ElementType t) {
  return visit_element_type(t, [](auto zero) -> std::pair<std::int64_t, std::int64_t> {
    using T = decltype(zero);
    using Wide = std::numeric_limits<std::int64_t>;
    if constexpr (std::is_floating_point_v<T>) {
      return {Wide::min(), Wide::max()};
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
      return {0, Wide::max()};
    } else {
      return {std::numeric_limits<T>::min(), std::numeric_limits<T>::max()};
    }
  });
}

std::optional<std::string> misfit(const Number& n, ElementType type) {
  return visit_element_type(type, [&](auto zero) -> std::optional<std::string> {
    using T = decltype(zero);
    const std::string_view name = to_string(type);
    if constexpr (std::is_integral_v<T>) {
      if (std::holds_alternative<double>(n)) {
        return fmt::format("{} is not an integer, and the type is {}", number_text(n), name);
      }
      const auto [lo, hi] = integer_range(type);
      const std::int64_t v = std::get<std::int64_t>(n);
      if (v < lo || v > hi) return fmt::format("{} is outside the range of {} [{}, {}]", v, name, lo, hi);
      return std::nullopt;
    } else {
      if (const auto* i = std::get_if<std::int64_t>(&n)) {
        const T f = static_cast<T>(*i);
        // |f| < 2^63 here, so the round trip is defined; 2^63 itself is no int64.
        if (std::abs(static_cast<double>(f)) >= 9223372036854775808.0 || static_cast<std::int64_t>(f) != *i) {
          return fmt::format("{} has no exact {} value (the nearest is {})", *i, name, static_cast<double>(f));
        }
        return std::nullopt;
      }
      const double v = std::get<double>(n);
      if (!std::isfinite(v) || std::abs(v) > static_cast<double>(std::numeric_limits<T>::max())) {
        return fmt::format("{} is outside the range of {}", number_text(n), name);
      }
      return std::nullopt;
    }
  });
}

}  // namespace tessera::detail
