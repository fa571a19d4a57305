#pragma once
// Internal: converting job numbers to element types, and reading and writing single elements of
// a host array of any ElementType.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "tessera/buffer.hpp"

namespace tessera::detail {

/// `value` (a std::int64_t or a double) as a T, converted as a C cast would, without undefined
/// behaviour: integers out of range wrap; a double given to an integer type is truncated towards
/// zero and then wrapped modulo 2^64; NaN gives 0. The one conversion rule of job values.
template <typename T, typename V>
T element_cast(V value) noexcept {
  static_assert(std::is_same_v<V, std::int64_t> || std::is_same_v<V, double>);
  if constexpr (std::is_floating_point_v<T> || std::is_integral_v<V>) {
    return static_cast<T>(value);
  } else {
    if (std::isnan(value)) return 0;
    const double t = std::trunc(value);
    if (t >= -9223372036854775808.0 && t < 9223372036854775808.0) {
      return static_cast<T>(static_cast<std::int64_t>(t));
    }
    const double m = std::fmod(t, 18446744073709551616.0);
    return static_cast<T>(static_cast<std::uint64_t>(m < 0 ? m + 18446744073709551616.0 : m));
  }
}

/// Element i of an array of `type`, as a double (64-bit integers beyond 2^53 round).
double element_as_double(ElementType type, const void* data, std::size_t i) noexcept;

/// Stores `value` as element i of an array of `type`, converted by element_cast.
void set_element(ElementType type, void* data, std::size_t i, double value) noexcept;
/// The same from an integer, exact for every integer type.
void set_element(ElementType type, void* data, std::size_t i, std::int64_t value) noexcept;

}  // namespace tessera::detail
