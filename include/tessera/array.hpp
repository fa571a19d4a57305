#pragma once
// Arrays owned by a runtime: data that stays where it is used across launches.
//
//   tessera::Array<float> a = rt.array(std::span<const float>(host));  // a copy of host data
//   tessera::Array<float> b = rt.array<float>(n);                      // n zeros
//   for (int t = 0; t < 100; ++t) {
//     rt.submit(tessera::Launch{prog, "step", tessera::NDRange{n}}
//                   .arg(tessera::read(a).halo(1)).arg(tessera::write(b)));
//     std::swap(a, b);                                                 // handles, no copy
//   }
//   std::vector<float> out = a.to_vector();                            // waits for its writers
//
// The runtime knows, per array, which index ranges are valid on the host and on each device: a
// launch's chunk gets only what its device lacks (from the host, or from the device that wrote
// it), and a write makes the other copies of what it wrote stale. Launches over arrays are
// tasks (Runtime::submit): ordered by the arrays they touch, in submission order.
//
// An Array is a handle: copies share the data; std::swap exchanges two handles. The data lives
// as long as a handle or a task that uses it. Every operation is safe from any thread; host
// access waits for the tasks submitted before it that write the array.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "tessera/element_type.hpp"

namespace tessera {

namespace detail {
struct ArrayState;
struct Internals;
}  // namespace detail

/// An array of any element type (what Array<T> is without its type).
class ArrayBase {
 public:
  ArrayBase() = default;
  /// Elements in the array.
  std::size_t size() const noexcept;
  ElementType type() const noexcept;
  std::size_t bytes() const noexcept;
  /// A handle to an array (not one default-constructed or moved from).
  explicit operator bool() const noexcept { return state_ != nullptr; }
  /// Whether two handles name the same array.
  friend bool operator==(const ArrayBase& a, const ArrayBase& b) noexcept { return a.state_ == b.state_; }

  /// Copies the array into `out` (bytes() bytes) once every task submitted before this call
  /// that writes it has finished; ranges valid only on devices are read back (and stay valid
  /// on the host too). Throws Error(opencl) when a task it waits for failed (naming the task),
  /// Error(invalid_argument) for a wrong size or an array whose runtime is gone.
  void read_bytes(void* out, std::size_t bytes) const;
  /// The array's host copy (bytes() bytes), made valid as read_bytes does but without copying it:
  /// a view that stays valid until a task that writes the array is submitted, or write_bytes.
  const void* host_view() const;
  /// Replaces the array's contents with `bytes` bytes from `data`, after every task submitted
  /// before this call that uses the array has finished; the device copies become stale.
  void write_bytes(const void* data, std::size_t bytes);

 protected:
  friend struct detail::Internals;
  explicit ArrayBase(std::shared_ptr<detail::ArrayState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::ArrayState> state_;
};

template <typename T>
class Array : public ArrayBase {
 public:
  Array() = default;
  /// `base` must hold elements of type T (throws Error(invalid_argument) otherwise).
  explicit Array(ArrayBase base) : ArrayBase(std::move(base)) {
    if (*this && type() != element_type_of<T>()) throw_type_mismatch();
  }
  /// The array's contents (see read_bytes).
  std::vector<T> to_vector() const {
    std::vector<T> out(size());
    read_bytes(out.data(), out.size() * sizeof(T));
    return out;
  }
  void read(std::span<T> out) const { read_bytes(out.data(), out.size_bytes()); }
  void write(std::span<const T> data) { write_bytes(data.data(), data.size_bytes()); }
  void write(const std::vector<T>& data) { write(std::span<const T>(data)); }

 private:
  [[noreturn]] void throw_type_mismatch() const;
};

namespace detail {
[[noreturn]] void throw_array_type_mismatch(ElementType have, ElementType want);
}

template <typename T>
void Array<T>::throw_type_mismatch() const {
  detail::throw_array_type_mismatch(type(), element_type_of<T>());
}

}  // namespace tessera
