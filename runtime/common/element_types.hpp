#pragma once
// Internal: the one table of element types. Everything that needs a type's name, size, numpy
// dtype or C++ type asks here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "tessera/element_type.hpp"

namespace tessera::detail {

struct ElementTypeInfo {
  ElementType type;
  std::string_view name;   ///< OpenCL C: "ushort"
  std::size_t size;        ///< bytes
  std::string_view numpy;  ///< numpy's name: "uint16"
  std::string_view dtype;  ///< numpy's kind and itemsize, as in a .npy descr: "u2"
  std::string_view cpp;    ///< the C++ type: "std::uint16_t"
  bool floating;
  bool is_signed;
};

inline constexpr std::array<ElementTypeInfo, 10> element_types{{
    {ElementType::i8, "char", 1, "int8", "i1", "std::int8_t", false, true},
    {ElementType::u8, "uchar", 1, "uint8", "u1", "std::uint8_t", false, false},
    {ElementType::i16, "short", 2, "int16", "i2", "std::int16_t", false, true},
    {ElementType::u16, "ushort", 2, "uint16", "u2", "std::uint16_t", false, false},
    {ElementType::i32, "int", 4, "int32", "i4", "std::int32_t", false, true},
    {ElementType::u32, "uint", 4, "uint32", "u4", "std::uint32_t", false, false},
    {ElementType::i64, "long", 8, "int64", "i8", "std::int64_t", false, true},
    {ElementType::u64, "ulong", 8, "uint64", "u8", "std::uint64_t", false, false},
    {ElementType::f32, "float", 4, "float32", "f4", "float", true, true},
    {ElementType::f64, "double", 8, "float64", "f8", "double", true, true},
}};

/// The table's entry for `type`.
constexpr const ElementTypeInfo& info_of(ElementType type) noexcept {
  return element_types[static_cast<std::size_t>(type)];
}

/// The element type of a kernel's scalar parameter, by the type name OpenCL reports for it
/// ("uint", "unsigned int"; size_t, uintptr_t as ulong and ptrdiff_t, intptr_t as long, the
/// devices being 64-bit); none for the types no element type is (bool, half, vectors).
std::optional<ElementType> scalar_parameter_type(std::string_view opencl_type) noexcept;

/// The C++ type of `type` as source code spells it ("std::uint32_t").
constexpr std::string_view cpp_name(ElementType type) noexcept { return info_of(type).cpp; }

/// Calls f(T{}) with the C++ type T of `type` and returns what it returns.
template <typename F>
decltype(auto) visit_element_type(ElementType type, F&& f) {
  switch (type) {
    case ElementType::i8: return std::forward<F>(f)(std::int8_t{});
    case ElementType::u8: return std::forward<F>(f)(std::uint8_t{});
    case ElementType::i16: return std::forward<F>(f)(std::int16_t{});
    case ElementType::u16: return std::forward<F>(f)(std::uint16_t{});
    case ElementType::i32: return std::forward<F>(f)(std::int32_t{});
    case ElementType::u32: return std::forward<F>(f)(std::uint32_t{});
    case ElementType::i64: return std::forward<F>(f)(std::int64_t{});
    case ElementType::u64: return std::forward<F>(f)(std::uint64_t{});
    case ElementType::f32: return std::forward<F>(f)(float{});
    case ElementType::f64: return std::forward<F>(f)(double{});
  }
  return std::forward<F>(f)(std::uint8_t{});
}

}  // namespace tessera::detail
