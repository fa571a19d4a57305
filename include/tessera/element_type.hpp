#pragma once
// The element types of buffers and scalar arguments: the ten OpenCL C scalar types.
//
//   tessera::element_type_of<float>()        // ElementType::f32
//   tessera::to_string(ElementType::u16)     // "ushort"
//   tessera::element_type_named("double")    // ElementType::f64

#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>

namespace tessera {

enum class ElementType { i8, u8, i16, u16, i32, u32, i64, u64, f32, f64 };

/// The OpenCL C name: "char", "uchar", ..., "float", "double".
std::string_view to_string(ElementType type) noexcept;
/// Bytes of one element.
std::size_t size_of(ElementType type) noexcept;
/// float or double.
bool is_floating(ElementType type) noexcept;
/// The type whose OpenCL C name is `name` ("uint"), or none.
std::optional<ElementType> element_type_named(std::string_view name) noexcept;

/// The element type of the C++ arithmetic type T (bool excluded).
template <typename T>
constexpr ElementType element_type_of() {
  using U = std::remove_cv_t<T>;
  static_assert(std::is_arithmetic_v<U> && !std::is_same_v<U, bool>, "elements are numbers");
  if constexpr (std::is_floating_point_v<U>) {
    static_assert(sizeof(U) == 4 || sizeof(U) == 8, "float or double");
    return sizeof(U) == 4 ? ElementType::f32 : ElementType::f64;
  } else {
    constexpr bool s = std::is_signed_v<U>;
    if constexpr (sizeof(U) == 1) return s ? ElementType::i8 : ElementType::u8;
    if constexpr (sizeof(U) == 2) return s ? ElementType::i16 : ElementType::u16;
    if constexpr (sizeof(U) == 4) return s ? ElementType::i32 : ElementType::u32;
    if constexpr (sizeof(U) == 8) return s ? ElementType::i64 : ElementType::u64;
  }
}

}  // namespace tessera
