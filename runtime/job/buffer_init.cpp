#include "job/buffer_init.hpp"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <random>

#include "job/elements.hpp"
#include "job/npy.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {
namespace {

void set_number(ElementType type, void* data, std::size_t i, const Number& n) {
  if (const auto* v = std::get_if<std::int64_t>(&n)) {
    set_element(type, data, i, *v);
  } else {
    set_element(type, data, i, std::get<double>(n));
  }
}

double as_double(const Number& n) {
  const auto* v = std::get_if<std::int64_t>(&n);
  return v != nullptr ? static_cast<double>(*v) : std::get<double>(n);
}

void fill_random(const BufferSpec& b, const RandomInit& r, void* data) {
  std::mt19937_64 bits(r.seed);
  const std::size_t n = b.count();
  if (is_floating(b.type)) {
    const double lo = as_double(r.lo), hi = as_double(r.hi);
    for (std::size_t i = 0; i < n; ++i) {
      const double unit = static_cast<double>(bits() >> 11) * 0x1.0p-53;  // [0, 1)
      set_element(b.type, data, i, lo + (hi - lo) * unit);
    }
    return;
  }
  const auto lo = std::get<std::int64_t>(r.lo), hi = std::get<std::int64_t>(r.hi);
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;  // 0: all 2^64
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t x = span == 0 ? bits() : bits() % span;
    set_element(b.type, data, i, static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + x));
  }
}

void read_file(const BufferSpec& b, const FileInit& f, void* data) {
  if (f.npy) {
    const NpyArray a = read_npy(f.path);
    check_npy_matches(a.header, f.path.string(), b.name, b.type, b.shape);
    std::memcpy(data, a.data.data(), b.bytes());
    return;
  }
  std::ifstream in(f.path, std::ios::binary);
  in.read(static_cast<char*>(data), static_cast<std::streamsize>(b.bytes()));
  if (!in || in.peek() != std::ifstream::traits_type::eof()) {
    throw Error(Errc::io, fmt::format("'{}': cannot read {} bytes for buffer '{}' (the file must hold "
                                      "exactly the buffer)", f.path.string(), b.bytes(), b.name));
  }
}

}  // namespace

void initialise(const BufferSpec& buffer, void* data) {
  const std::size_t n = buffer.count();
  std::visit(
      [&](const auto& init) {
        using T = std::decay_t<decltype(init)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          std::memset(data, 0, buffer.bytes());
        } else if constexpr (std::is_same_v<T, FillInit>) {
          for (std::size_t i = 0; i < n; ++i) set_number(buffer.type, data, i, init.value);
        } else if constexpr (std::is_same_v<T, IotaInit>) {
          for (std::size_t i = 0; i < n; ++i) {
            if (const auto* s = std::get_if<std::int64_t>(&init.start)) {
              set_element(buffer.type, data, i, static_cast<std::int64_t>(static_cast<std::uint64_t>(*s) + i));
            } else {
              set_element(buffer.type, data, i, std::get<double>(init.start) + static_cast<double>(i));
            }
          }
        } else if constexpr (std::is_same_v<T, RandomInit>) {
          fill_random(buffer, init, data);
        } else {
          read_file(buffer, init, data);
        }
      },
      buffer.init);
}

}  // namespace tessera::detail
