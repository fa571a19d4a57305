// Buffer inits: the typed fills, split across threads, give element for element what set_element
// gives, for every element type and init kind, at sizes that cut across pages and threads;
// random inits keep their sequence for a seed; file inits read straight into the buffer.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "common/element_types.hpp"
#include "job/buffer_init.hpp"
#include "job/elements.hpp"
#include "job/npy.hpp"
#include "support/temp_dir.hpp"

using tessera::ElementType;
using tessera::detail::BufferInit;
using tessera::detail::BufferSpec;
using tessera::detail::FillInit;
using tessera::detail::FileInit;
using tessera::detail::initialise;
using tessera::detail::IotaInit;
using tessera::detail::Number;
using tessera::detail::RandomInit;

namespace {

// Bytes aligned for every element type, as a job's host arrays are.
struct Aligned {
  explicit Aligned(std::size_t bytes) : words((bytes + 7) / 8) {}
  unsigned char* data() { return reinterpret_cast<unsigned char*>(words.data()); }
  std::vector<std::uint64_t> words;
};

BufferSpec buffer(ElementType type, std::size_t count, BufferInit init) {
  return BufferSpec{.name = "x", .type = type, .shape = {count}, .init = std::move(init)};
}

// The buffer's bytes after initialise.
std::vector<unsigned char> initialised(const BufferSpec& b) {
  Aligned out(b.bytes());
  std::memset(out.data(), 0xab, b.bytes());
  initialise(b, out.data());
  return {out.data(), out.data() + b.bytes()};
}

// What set_element gives, element by element.
std::vector<unsigned char> reference(const BufferSpec& b) {
  std::vector<unsigned char> out(b.bytes());
  const auto set = [&](std::size_t i, const Number& v) {
    std::visit([&](auto x) { tessera::detail::set_element(b.type, out.data(), i, x); }, v);
  };
  for (std::size_t i = 0; i < b.count(); ++i) {
    if (const auto* f = std::get_if<FillInit>(&b.init)) {
      set(i, f->value);
    } else if (const auto* s = std::get_if<IotaInit>(&b.init)) {
      if (const auto* start = std::get_if<std::int64_t>(&s->start)) {
        set(i, static_cast<std::int64_t>(static_cast<std::uint64_t>(*start) + i));
      } else {
        set(i, std::get<double>(s->start) + static_cast<double>(i));
      }
    } else {
      set(i, std::int64_t{0});
    }
  }
  return out;
}

template <typename T>
std::vector<T> as(const std::vector<unsigned char>& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace

TEST_CASE("zeros, fill and iota give what set_element gives, for every type, across threads") {
  const std::vector<BufferInit> inits{
      std::monostate{},          FillInit{std::int64_t{-7}}, FillInit{2.75},
      IotaInit{std::int64_t{-100}}, FillInit{-3.5e9},        FillInit{1e30},
      IotaInit{0.5},             IotaInit{std::int64_t{std::numeric_limits<std::int64_t>::max() - 5}},
      IotaInit{-1e19},
  };
  for (const auto& info : tessera::detail::element_types) {
    // A small buffer with every init; one over 16 MiB (two threads on two cores, a last range
    // short of a page) with zeros, an integer iota and a floating one.
    for (const std::size_t bytes : {std::size_t{1000}, std::size_t{16} << 20}) {
      const std::size_t count = bytes / info.size + 3;
      for (std::size_t k = 0; k < inits.size(); k += bytes > 1000 ? 3 : 1) {
        CAPTURE(info.name);
        CAPTURE(count);
        CAPTURE(k);
        const BufferSpec b = buffer(info.type, count, inits[k]);
        CHECK(initialised(b) == reference(b));
      }
    }
  }
}

TEST_CASE("random inits keep their sequence for a seed") {
  // Values as the per-element implementation gave them: the sequence is part of the job format.
  CHECK(as<float>(initialised(buffer(ElementType::f32, 4, RandomInit{-1.0, 1.0, 42}))) ==
        std::vector<float>{0x1.05477ep-1f, 0x1.1cbc7ep-2f, 0x1.02325ap-1f, -0x1.7474fp-1f});
  CHECK(as<std::uint8_t>(initialised(buffer(ElementType::u8, 8, RandomInit{std::int64_t{1}, std::int64_t{6}, 42}))) ==
        std::vector<std::uint8_t>{1, 3, 5, 1, 6, 3, 5, 1});
  const RandomInit all64{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 3};
  CHECK(as<std::int64_t>(initialised(buffer(ElementType::i64, 2, all64))) ==
        std::vector<std::int64_t>{1084041170817055659, -5612168153867183641});
  CHECK(as<double>(initialised(buffer(ElementType::f64, 3, RandomInit{0.0, 10.0, 0}))) ==
        std::vector<double>{0x1.99122db9f0927p+0, 0x1.3d7c891b4dd13p+3, 0x1.952fd3bd87f44p-2});

  // A long buffer starts with the short one's values: one sequence, whatever the size.
  const RandomInit r{std::int64_t{-5}, std::int64_t{1000}, 9};
  const auto longer = as<std::int16_t>(initialised(buffer(ElementType::i16, std::size_t{3} << 20, r)));
  const auto shorter = as<std::int16_t>(initialised(buffer(ElementType::i16, 100, r)));
  CHECK(std::equal(shorter.begin(), shorter.end(), longer.begin()));
  CHECK(std::all_of(longer.begin(), longer.end(), [](std::int16_t v) { return v >= -5 && v <= 1000; }));
}

TEST_CASE("file inits read .npy and .bin data straight into the buffer") {
  tessera::test::TempDir dir;
  std::vector<double> values(70000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i) * 0.25 - 3;
  const std::span<const unsigned char> bytes(reinterpret_cast<const unsigned char*>(values.data()),
                                             values.size() * sizeof(double));
  tessera::detail::write_npy(dir / "v.npy", ElementType::f64, std::vector<std::size_t>{values.size()}, bytes);
  const auto bin = dir.write("v.bin", std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));

  CHECK(as<double>(initialised(buffer(ElementType::f64, values.size(), FileInit{dir / "v.npy", true}))) == values);
  CHECK(as<double>(initialised(buffer(ElementType::f64, values.size(), FileInit{bin, false}))) == values);
  CHECK_THROWS_AS(initialised(buffer(ElementType::f32, values.size(), FileInit{dir / "v.npy", true})),
                  tessera::detail::NpyError);
}
