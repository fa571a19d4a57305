#pragma once
// Internal: reading and writing single elements of a host array of any ElementType.

#include <cstddef>
#include <cstdint>

#include "tessera/buffer.hpp"

namespace tessera::detail {

/// Element i of an array of `type`, as a double (64-bit integers beyond 2^53 round).
double element_as_double(ElementType type, const void* data, std::size_t i) noexcept;

/// Stores `value` as element i of an array of `type`, converted as a C cast would (integers
/// out of range wrap; floating-point values are truncated towards zero for integer types).
void set_element(ElementType type, void* data, std::size_t i, double value) noexcept;
/// The same from an integer, exact for every integer type.
void set_element(ElementType type, void* data, std::size_t i, std::int64_t value) noexcept;

}  // namespace tessera::detail
