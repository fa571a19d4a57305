#include "tessera/buffer.hpp"

namespace tessera {

BufferArg& BufferArg::along(std::initializer_list<std::size_t> shape, std::size_t dim) & {
  return along(std::span<const std::size_t>(shape.begin(), shape.size()), dim);
}

// Checked when the launch is planned: a dimension that does not exist, or a product that
// overflows (recorded as outer 0), is an error there, named with the argument.
BufferArg& BufferArg::along(std::span<const std::size_t> shape, std::size_t dim) & {
  along_dims_ = shape.size();
  along_dim_ = dim;
  outer_ = 1, extent_ = 0, inner_ = 1;
  if (dim >= shape.size()) return *this;
  bool overflow = false;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    std::size_t& part = d < dim ? outer_ : inner_;
    if (d == dim) {
      extent_ = shape[d];
    } else {
      overflow = overflow || __builtin_mul_overflow(part, shape[d], &part);
    }
  }
  if (overflow) outer_ = 0;
  return *this;
}

std::string_view to_string(Access access) noexcept {
  switch (access) {
    case Access::read: return "read";
    case Access::write: return "write";
    case Access::read_write: return "read_write";
  }
  return "unknown";
}

std::string_view to_string(ReduceOp op) noexcept {
  switch (op) {
    case ReduceOp::sum: return "sum";
    case ReduceOp::min: return "min";
    case ReduceOp::max: return "max";
    case ReduceOp::prod: return "prod";
  }
  return "unknown";
}

}  // namespace tessera
