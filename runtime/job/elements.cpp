#include "job/elements.hpp"

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

template <typename V>
void set(ElementType type, void* data, std::size_t i, V value) noexcept {
  visit_element_type(type, [&](auto zero) {
    using T = decltype(zero);
    store<T>(data, i, element_cast<T>(value));
  });
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
