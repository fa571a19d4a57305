#include "job/elements.hpp"

#include <cmath>
#include <cstring>

#include "common/element_types.hpp"

namespace tessera::detail {
namespace {

template <typename T>
T load(const void* data, std::size_t i) noexcept {
  T v;
  std::memcpy(&v, static_cast<const unsigned char*>(data) + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T>
void store(void* data, std::size_t i, T v) noexcept {
  std::memcpy(static_cast<unsigned char*>(data) + i * sizeof(T), &v, sizeof(T));
}

// A double into an integer type without undefined behaviour: truncated, then wrapped modulo
// 2^64 like an integer conversion; NaN gives 0.
template <typename T>
T to_integer(double v) noexcept {
  if (std::isnan(v)) return 0;
  const double t = std::trunc(v);
  if (t >= -9223372036854775808.0 && t < 9223372036854775808.0) {
    return static_cast<T>(static_cast<std::int64_t>(t));
  }
  const double m = std::fmod(t, 18446744073709551616.0);
  return static_cast<T>(static_cast<std::uint64_t>(m < 0 ? m + 18446744073709551616.0 : m));
}

template <typename V>
void set(ElementType type, void* data, std::size_t i, V value) noexcept {
  const auto as = [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_floating_point_v<T> || std::is_integral_v<V>) {
      store<T>(data, i, static_cast<T>(value));
    } else {
      store<T>(data, i, to_integer<T>(value));
    }
  };
  visit_element_type(type, as);
}

}  // namespace

double element_as_double(ElementType type, const void* data, std::size_t i) noexcept {
  return visit_element_type(type, [&](auto zero) {
    return static_cast<double>(load<decltype(zero)>(data, i));
  });
}

void set_element(ElementType type, void* data, std::size_t i, double value) noexcept {
  set(type, data, i, value);
}

void set_element(ElementType type, void* data, std::size_t i, std::int64_t value) noexcept {
  set(type, data, i, value);
}

}  // namespace tessera::detail
