#include "tessera/buffer.hpp"

namespace tessera {

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

std::string_view to_string(ElementType type) noexcept {
  switch (type) {
    case ElementType::i8: return "char";
    case ElementType::u8: return "uchar";
    case ElementType::i16: return "short";
    case ElementType::u16: return "ushort";
    case ElementType::i32: return "int";
    case ElementType::u32: return "uint";
    case ElementType::i64: return "long";
    case ElementType::u64: return "ulong";
    case ElementType::f32: return "float";
    case ElementType::f64: return "double";
  }
  return "unknown";
}

std::size_t size_of(ElementType type) noexcept {
  switch (type) {
    case ElementType::i8:
    case ElementType::u8: return 1;
    case ElementType::i16:
    case ElementType::u16: return 2;
    case ElementType::i32:
    case ElementType::u32:
    case ElementType::f32: return 4;
    case ElementType::i64:
    case ElementType::u64:
    case ElementType::f64: return 8;
  }
  return 0;
}

}  // namespace tessera
