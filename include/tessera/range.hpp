#pragma once
// Index spaces: the ND-range of a launch and the chunks it is cut into.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>

namespace tessera {

/// A 1-, 2- or 3-dimensional index space. The split dimension is the last one: rows for
/// NDRange{width, height}.
class NDRange {
 public:
  NDRange(std::size_t x) : sizes_{x, 1, 1}, dims_(1) {}  // NOLINT: implicit on purpose
  NDRange(std::size_t x, std::size_t y) : sizes_{x, y, 1}, dims_(2) {}
  NDRange(std::size_t x, std::size_t y, std::size_t z) : sizes_{x, y, z}, dims_(3) {}

  std::size_t dims() const noexcept { return dims_; }
  std::size_t operator[](std::size_t d) const noexcept { return sizes_[d]; }
  std::size_t total() const noexcept { return sizes_[0] * sizes_[1] * sizes_[2]; }
  /// The extent along the split (last) dimension.
  std::size_t split_extent() const noexcept { return sizes_[dims_ - 1]; }
  /// Work-items per index of the split dimension (the product of the other dimensions).
  std::size_t items_per_index() const noexcept { return total() / split_extent(); }
  /// "1024" or "512x512".
  std::string to_string() const;

 private:
  std::array<std::size_t, 3> sizes_;
  std::size_t dims_;
};

/// A contiguous range [offset, offset + size) of the split dimension, given to one device.
struct Chunk {
  std::size_t offset = 0;
  std::size_t size = 0;
  std::size_t device = 0;    ///< index into the devices of the run
  std::size_t sequence = 0;  ///< order in which the scheduler handed it out
};

}  // namespace tessera
