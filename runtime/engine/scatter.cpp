// Scatter buffers: the chunks' changes merged into the buffer, conflicts found exactly.

#include "engine/scatter.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

#include "common/element_types.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {
namespace {

// Element i of `bytes`, as the unsigned integer U of the element's size (bitwise comparison).
template <typename U>
U bits_at(const unsigned char* bytes, std::size_t i) {
  U v;
  std::memcpy(&v, bytes + i * sizeof(U), sizeof(U));
  return v;
}

// Element i of `bytes` as its type prints it.
std::string value_text(const unsigned char* bytes, std::size_t i, ElementType type) {
  return visit_element_type(type, [&](auto zero) {
    using T = decltype(zero);
    T v;
    std::memcpy(&v, bytes + i * sizeof(T), sizeof(T));
    return fmt::format("{}", v);
  });
}

[[noreturn]] void conflict(const unsigned char* before, std::size_t i, ElementType type,
                           std::span<const ScatterCopy> copies, std::size_t later, std::string_view argument) {
  // The value merged so far came from the first copy that changed the element.
  const std::size_t size = size_of(type);
  std::size_t first = 0;
  while (std::memcmp(copies[first].data + i * size, before + i * size, size) == 0) ++first;
  const ScatterCopy& a = copies[first];
  const ScatterCopy& b = copies[later];
  throw Error(Errc::write_conflict,
              fmt::format("{} (scatter): element {} was changed by two chunks to different values: chunk [{}, {}) on "
                          "'{}' wrote {}, chunk [{}, {}) on '{}' wrote {}; each element of a scatter buffer may be "
                          "changed by one work-item (or by several to the same value)",
                          argument, i, a.chunk.offset, a.chunk.offset + a.chunk.size, a.device,
                          value_text(a.data, i, type), b.chunk.offset, b.chunk.offset + b.chunk.size, b.device,
                          value_text(b.data, i, type)));
}

template <typename U>
void merge(const unsigned char* before, unsigned char* out, std::size_t count, ElementType type,
           std::span<const ScatterCopy> copies, std::string_view argument) {
  for (std::size_t c = 0; c < copies.size(); ++c) {
    const unsigned char* copy = copies[c].data;
    for (std::size_t i = 0; i < count; ++i) {
      const U v = bits_at<U>(copy, i);
      const U old = bits_at<U>(before, i);
      if (v == old) continue;
      const U now = bits_at<U>(out, i);
      if (now == old) {
        std::memcpy(out + i * sizeof(U), &v, sizeof(U));
      } else if (now != v) {
        conflict(before, i, type, copies, c, argument);
      }
    }
  }
}

}  // namespace

std::vector<unsigned char> merge_scatter(const unsigned char* before, std::size_t count, ElementType type,
                                         std::span<const ScatterCopy> copies, std::string_view argument) {
  const std::size_t size = size_of(type);
  std::vector<unsigned char> out(before, before + count * size);
  switch (size) {
    case 1: merge<std::uint8_t>(before, out.data(), count, type, copies, argument); break;
    case 2: merge<std::uint16_t>(before, out.data(), count, type, copies, argument); break;
    case 4: merge<std::uint32_t>(before, out.data(), count, type, copies, argument); break;
    default: merge<std::uint64_t>(before, out.data(), count, type, copies, argument); break;
  }
  return out;
}

}  // namespace tessera::detail
