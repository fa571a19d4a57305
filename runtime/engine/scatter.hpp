#pragma once
// Internal: scatter buffers (BufferArg::scatter): merging the chunks' private copies of a buffer,
// each of which started as the buffer's contents before the launch, back into one.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/element_type.hpp"
#include "tessera/range.hpp"

namespace tessera::detail {

/// One chunk's private copy of a scatter buffer, after its kernel ran.
struct ScatterCopy {
  Chunk chunk;
  std::string device;                   ///< the device's name, for a conflict's message
  const unsigned char* data = nullptr;  ///< the whole buffer's bytes
};

/// `before` (`count` elements of `type`) with every element that a copy changed (bitwise) taken
/// from that copy. Throws Error(write_conflict) when two copies changed one element to different
/// values: the message names `argument` ("kernel 'k' argument 2"), the element, both chunks with
/// their devices, and both values. Copies that changed an element to the same value agree.
std::vector<unsigned char> merge_scatter(const unsigned char* before, std::size_t count, ElementType type,
                                         std::span<const ScatterCopy> copies, std::string_view argument);

}  // namespace tessera::detail
