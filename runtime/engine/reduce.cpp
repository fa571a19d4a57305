// Reduce buffers: identities and folding private copies into the host array.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "common/element_types.hpp"
#include "engine/run_state.hpp"

namespace tessera::detail {
namespace {

template <typename T>
T identity(ReduceOp op) {
  using L = std::numeric_limits<T>;
  switch (op) {
    case ReduceOp::sum: return T(0);
    case ReduceOp::prod: return T(1);
    case ReduceOp::min: return L::has_infinity ? L::infinity() : L::max();
    case ReduceOp::max: return L::has_infinity ? -L::infinity() : L::lowest();
  }
  return T(0);
}

template <typename T>
T combine(T a, T b, ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return static_cast<T>(a + b);
    case ReduceOp::prod: return static_cast<T>(a * b);
    case ReduceOp::min: return std::min(a, b);
    case ReduceOp::max: return std::max(a, b);
  }
  return a;
}

}  // namespace

std::vector<unsigned char> reduce_identity(ElementType type, ReduceOp op) {
  return visit_element_type(type, [&](auto zero) {
    const auto v = identity<decltype(zero)>(op);
    std::vector<unsigned char> bytes(sizeof v);
    std::memcpy(bytes.data(), &v, sizeof v);
    return bytes;
  });
}

void fold_reduction(void* target, const unsigned char* copy, std::size_t count, ElementType type,
                    ReduceOp op) {
  visit_element_type(type, [&](auto zero) {
    using T = decltype(zero);
    auto* t = static_cast<T*>(target);
    for (std::size_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, copy + i * sizeof(T), sizeof(T));
      t[i] = combine(t[i], v, op);
    }
  });
}

}  // namespace tessera::detail
