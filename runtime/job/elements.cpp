#include "job/elements.hpp"

#include <cmath>
#include <cstring>

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
  switch (type) {
    case ElementType::i8: return as(std::int8_t{});
    case ElementType::u8: return as(std::uint8_t{});
    case ElementType::i16: return as(std::int16_t{});
    case ElementType::u16: return as(std::uint16_t{});
    case ElementType::i32: return as(std::int32_t{});
    case ElementType::u32: return as(std::uint32_t{});
    case ElementType::i64: return as(std::int64_t{});
    case ElementType::u64: return as(std::uint64_t{});
    case ElementType::f32: return as(float{});
    case ElementType::f64: return as(double{});
  }
}

}  // namespace

double element_as_double(ElementType type, const void* data, std::size_t i) noexcept {
  switch (type) {
    case ElementType::i8: return load<std::int8_t>(data, i);
    case ElementType::u8: return load<std::uint8_t>(data, i);
    case ElementType::i16: return load<std::int16_t>(data, i);
    case ElementType::u16: return load<std::uint16_t>(data, i);
    case ElementType::i32: return load<std::int32_t>(data, i);
    case ElementType::u32: return load<std::uint32_t>(data, i);
    case ElementType::i64: return static_cast<double>(load<std::int64_t>(data, i));
    case ElementType::u64: return static_cast<double>(load<std::uint64_t>(data, i));
    case ElementType::f32: return load<float>(data, i);
    case ElementType::f64: return load<double>(data, i);
  }
  return 0;
}

void set_element(ElementType type, void* data, std::size_t i, double value) noexcept {
  set(type, data, i, value);
}

void set_element(ElementType type, void* data, std::size_t i, std::int64_t value) noexcept {
  set(type, data, i, value);
}

}  // namespace tessera::detail
