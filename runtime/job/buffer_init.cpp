#include "job/buffer_init.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <random>
#include <system_error>
#include <thread>
#include <vector>

#include "common/element_types.hpp"
#include "job/elements.hpp"
#include "job/npy.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {
namespace {

// Calls part(begin, end) over [0, n) cut into ranges of whole pages (1 MiB each), which the
// calling thread and up to one more thread per hardware thread take in turn from a shared
// counter until none is left, so a page is first touched by the thread that writes it and a
// thread the system delays holds up no more than one range. Each thread comes with 8 MiB at
// least (a thread can take milliseconds to be scheduled). A thread that cannot be started leaves
// its share to the others. `part` must not throw.
template <typename Part>
void for_each_part(std::size_t n, std::size_t element_bytes, const Part& part) {
  constexpr std::size_t range_bytes = std::size_t{1} << 20, bytes_per_thread = std::size_t{8} << 20;
  const std::size_t range = range_bytes / element_bytes;
  const std::size_t ranges = (n + range - 1) / range;
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t k = next++; k < ranges; k = next++) part(k * range, std::min(n, (k + 1) * range));
  };
  const std::size_t threads = std::min<std::size_t>(std::thread::hardware_concurrency(), n * element_bytes / bytes_per_thread);
  std::vector<std::thread> helpers;
  helpers.reserve(threads);  // no allocation failure once a thread runs
  for (std::size_t t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (std::thread& h : helpers) h.join();
}

// A job number as a T.
template <typename T>
T element_of(const Number& n) noexcept {
  return std::visit([](auto v) { return element_cast<T>(v); }, n);
}

template <typename T>
void fill_value(T* out, std::size_t n, T value) {
  for_each_part(n, sizeof(T), [=](std::size_t a, std::size_t b) { std::fill(out + a, out + b, value); });
}

// Element i = start + i: an integer start counts in 64-bit integers (wrapping), a floating one
// in doubles.
template <typename T>
void fill_iota(T* out, std::size_t n, const Number& start) {
  if (const auto* s = std::get_if<std::int64_t>(&start)) {
    const auto first = static_cast<std::uint64_t>(*s);
    for_each_part(n, sizeof(T), [=](std::size_t a, std::size_t b) {
      for (std::size_t i = a; i < b; ++i) out[i] = element_cast<T>(static_cast<std::int64_t>(first + i));
    });
    return;
  }
  const double first = std::get<double>(start);
  for_each_part(n, sizeof(T), [=](std::size_t a, std::size_t b) {
    for (std::size_t i = a; i < b; ++i) out[i] = element_cast<T>(first + static_cast<double>(i));
  });
}

// One std::mt19937_64 sequence from the seed, element by element: the engine cannot jump ahead,
// so this one fill stays on one thread.
template <typename T>
void fill_random(T* out, std::size_t n, const RandomInit& r) {
  std::mt19937_64 bits(r.seed);
  if constexpr (std::is_floating_point_v<T>) {
    const double lo = as_double(r.lo), hi = as_double(r.hi);
    for (std::size_t i = 0; i < n; ++i) {
      const double unit = static_cast<double>(bits() >> 11) * 0x1.0p-53;  // [0, 1)
      out[i] = element_cast<T>(lo + (hi - lo) * unit);
    }
  } else {
    const auto lo = std::get<std::int64_t>(r.lo), hi = std::get<std::int64_t>(r.hi);
    const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;  // 0: all 2^64
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t x = span == 0 ? bits() : bits() % span;
      out[i] = element_cast<T>(static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + x));
    }
  }
}

void read_file(const BufferSpec& b, const FileInit& f, void* data) {
  if (f.npy) {
    const NpyHeader header = read_npy_header(f.path);
    check_npy_matches(header, f.path.string(), b.name, b.type, b.shape);
    read_npy_data(f.path, header, {static_cast<unsigned char*>(data), b.bytes()});
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
  if (const auto* f = std::get_if<FileInit>(&buffer.init)) {
    read_file(buffer, *f, data);
    return;
  }
  visit_element_type(buffer.type, [&](auto zero) {
    using T = decltype(zero);
    T* out = static_cast<T*>(data);
    std::visit(
        [&](const auto& init) {
          using Init = std::decay_t<decltype(init)>;
          if constexpr (std::is_same_v<Init, std::monostate>) {
            fill_value(out, n, T{});
          } else if constexpr (std::is_same_v<Init, FillInit>) {
            fill_value(out, n, element_of<T>(init.value));
          } else if constexpr (std::is_same_v<Init, IotaInit>) {
            fill_iota(out, n, init.start);
          } else if constexpr (std::is_same_v<Init, RandomInit>) {
            fill_random(out, n, init);
          }
        },
        buffer.init);
  });
}

}  // namespace tessera::detail
