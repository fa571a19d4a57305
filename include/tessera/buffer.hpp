#pragma once
// Buffer arguments: host arrays or runtime arrays (array.hpp), with an access and a partition
// role.
//
//   .arg(tessera::read(x))                         // split: each chunk gets its slice of x
//   .arg(tessera::read(img).halo(1))               // slice plus one index on each side
//   .arg(tessera::read(lut).whole())               // the whole array, sent once per device
//   .arg(tessera::read_write(bins).reduce(tessera::ReduceOp::sum))
//   .arg(tessera::write(m).scatter())              // written anywhere, each element by one work-item
//   .arg(tessera::read(m).along({rows, cols}, 1))  // the launch splits the columns of m
//   .arg(tessera::read(x).shift(k))                // chunk [a, b) reads x's indices [a+k, b+k)
//
// A host array must outlive the run; a runtime array is kept alive by the task.
//
// Geometry of split and halo buffers: the launch's split index i (get_global_id of the split
// dimension, from the launch's offset on) maps to index i + shift of the buffer's split
// dimension. With along(shape, dim), the buffer is viewed as the row-major array `shape` and its
// split dimension is `dim`: a chunk's slice is, for every index of the dimensions before `dim`,
// the run of its indices along `dim` times the elements of the dimensions after it (a strided
// slice when dim > 0). Without along(), the buffer is one run of E indices, E the smallest
// extent covering every index the launch touches (offset + global extent + max(shift, 0) along
// the split dimension), each of count / E elements (count must divide exactly).

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tessera/array.hpp"
#include "tessera/element_type.hpp"

namespace tessera {

enum class Access { read, write, read_write };
enum class ReduceOp { sum, min, max, prod };

std::string_view to_string(Access access) noexcept;
std::string_view to_string(ReduceOp op) noexcept;

/// A host array or a runtime array passed to a kernel.
class BufferArg {
 public:
  enum class Role { split, halo, whole, reduce, scatter };

  BufferArg(void* data, std::size_t count, ElementType type, Access access)
      : data_(data), count_(count), type_(type), access_(access) {}
  BufferArg(ArrayBase array, Access access)
      : data_(nullptr), count_(array.size()), type_(array.type()), access_(access), array_(std::move(array)) {}

  /// Split plus `h` indices on each side (clamped to the range) for reading.
  BufferArg& halo(std::size_t h) & { role_ = Role::halo, halo_ = h; return *this; }
  BufferArg&& halo(std::size_t h) && { return std::move(halo(h)); }
  /// The entire array for every chunk; read-only, sent once per device.
  BufferArg& whole() & { role_ = Role::whole; return *this; }
  /// Views the buffer as the row-major array `shape` (whose elements must number count()) split
  /// along its dimension `dim`. Split and halo buffers only; not with tessera::window_base().
  BufferArg& along(std::initializer_list<std::size_t> shape, std::size_t dim) &;
  BufferArg&& along(std::initializer_list<std::size_t> shape, std::size_t dim) && { return std::move(along(shape, dim)); }
  /// The same with the shape as a span (the job runner's buffers).
  BufferArg& along(std::span<const std::size_t> shape, std::size_t dim) &;
  /// Split index i reads (and writes) the buffer's index i + s along its split dimension; the
  /// indices a launch touches must lie inside the buffer. Split and halo buffers only.
  BufferArg& shift(std::ptrdiff_t s) & { shift_ = s; return *this; }
  BufferArg&& shift(std::ptrdiff_t s) && { return std::move(shift(s)); }
  BufferArg&& whole() && { return std::move(whole()); }
  /// Every chunk writes its own copy, initialised to the op's identity; the copies are folded
  /// into the array elementwise in chunk order.
  BufferArg& reduce(ReduceOp op) & { role_ = Role::reduce, op_ = op; return *this; }
  BufferArg&& reduce(ReduceOp op) && { return std::move(reduce(op)); }
  /// An output the kernel writes anywhere, each element by at most one work-item (a symmetric
  /// matrix filled by rows and by columns; a permutation). Access write or read_write. Every
  /// chunk writes its own copy of the whole array, holding its contents before the launch; after
  /// the launch the elements a chunk changed (compared bitwise with that state) are merged into
  /// the array, and the others keep their contents, whatever they were. Two chunks changing one
  /// element to different values fail the launch with Error(write_conflict), naming the argument,
  /// the element and both chunks, and leave the array as it was; changing it to the same value
  /// is no conflict.
  BufferArg& scatter() & { role_ = Role::scatter; return *this; }
  BufferArg&& scatter() && { return std::move(scatter()); }

  /// The same argument (access, role, geometry) over the host array `data` of count() elements.
  BufferArg on_host(void* data) const {
    BufferArg copy = *this;
    copy.data_ = data;
    copy.array_ = ArrayBase();
    return copy;
  }
  /// The host array; null for a runtime array.
  void* data() const noexcept { return data_; }
  /// The runtime array (a null handle for a host array).
  const ArrayBase& array() const noexcept { return array_; }
  std::size_t count() const noexcept { return count_; }
  std::size_t bytes() const noexcept { return count_ * size_of(type_); }
  ElementType type() const noexcept { return type_; }
  Access access() const noexcept { return access_; }
  Role role() const noexcept { return role_; }
  std::size_t halo_width() const noexcept { return halo_; }
  /// along(): elements before, along and after the split dimension (outer × extent × inner);
  /// extent 0 when along() was not called.
  std::size_t along_outer() const noexcept { return outer_; }
  std::size_t along_extent() const noexcept { return extent_; }
  std::size_t along_inner() const noexcept { return inner_; }
  /// along(): the shape's dimensions and the split one (0 and 0 when along() was not called).
  std::size_t along_dims() const noexcept { return along_dims_; }
  std::size_t along_dim() const noexcept { return along_dim_; }
  std::ptrdiff_t shift_by() const noexcept { return shift_; }
  ReduceOp reduce_op() const noexcept { return op_; }

 private:
  void* data_;
  std::size_t count_;
  ElementType type_;
  Access access_;
  Role role_ = Role::split;
  std::size_t halo_ = 0;
  std::size_t outer_ = 1, extent_ = 0, inner_ = 1;
  std::size_t along_dims_ = 0, along_dim_ = 0;
  std::ptrdiff_t shift_ = 0;
  ReduceOp op_ = ReduceOp::sum;
  ArrayBase array_;
};

template <typename T>
BufferArg read(std::span<const T> data) {
  return {const_cast<T*>(data.data()), data.size(), element_type_of<T>(), Access::read};
}
template <typename T>
BufferArg read(const std::vector<T>& data) { return read(std::span<const T>(data)); }
template <typename T>
BufferArg read(const T* data, std::size_t count) { return read(std::span<const T>(data, count)); }
template <typename T>
BufferArg write(std::span<T> data) {
  return {data.data(), data.size(), element_type_of<T>(), Access::write};
}
template <typename T>
BufferArg write(std::vector<T>& data) { return write(std::span<T>(data)); }
template <typename T>
BufferArg write(T* data, std::size_t count) { return write(std::span<T>(data, count)); }
template <typename T>
BufferArg read_write(std::span<T> data) {
  return {data.data(), data.size(), element_type_of<T>(), Access::read_write};
}
template <typename T>
BufferArg read_write(std::vector<T>& data) { return read_write(std::span<T>(data)); }
template <typename T>
BufferArg read_write(T* data, std::size_t count) { return read_write(std::span<T>(data, count)); }

template <typename T>
BufferArg read(const Array<T>& array) { return {array, Access::read}; }
template <typename T>
BufferArg write(const Array<T>& array) { return {array, Access::write}; }
template <typename T>
BufferArg read_write(const Array<T>& array) { return {array, Access::read_write}; }

/// The streaming opt-in: an argument (a `uint` or `ulong` parameter) that receives, for each
/// chunk, the first index of the split dimension its device buffers hold. A launch with one is
/// windowed: every split and halo buffer is allocated on the device for the chunk's window only,
/// so arrays larger than a device's memory stream through it. The kernel indexes
/// `x[(get_global_id(0) - base) * per_index + ...]`.
///
///   kernel void scale(global float* x, const ulong base) { x[get_global_id(0) - base] *= 2; }
///   Launch{prog, "scale", NDRange{n}}.arg(tessera::read_write(x)).arg(tessera::window_base());
struct WindowBase {};
inline WindowBase window_base() { return {}; }

/// A __local argument of `bytes` bytes (no data moves).
struct LocalArg {
  std::size_t bytes = 0;
};
template <typename T>
LocalArg local(std::size_t count) { return {count * sizeof(T)}; }

}  // namespace tessera
