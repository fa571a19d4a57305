// The geometry of a launch's buffers: global offsets, buffers split along any dimension of their
// shape (strided slices), shifted slices; over host arrays and runtime arrays, on devices that
// work in host memory and on the transfer path. Results are compared bitwise with the host.

#include <doctest/doctest.h>

#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::NDRange;
using tessera::Schedule;

namespace {

// Integer kernels, so that every device gives the same bits.
const char* const kernels = R"CL(
// Column j of a rows x cols row-major matrix: m[i][j] = 2 m[i][j] + j.
kernel void scale_columns(global uint* m, const uint rows, const uint cols) {
  const size_t j = get_global_id(0);
  for (uint i = 0; i < rows; ++i) m[i * cols + j] = 2 * m[i * cols + j] + (uint)j;
}
// out[i][j] = in[i][j-1] + in[i][j] + in[i][j+1] (absent neighbours count 0), by columns.
kernel void column_stencil(global const uint* in, global uint* out, const uint rows, const uint cols) {
  const size_t j = get_global_id(0);
  for (uint i = 0; i < rows; ++i) {
    uint s = in[i * cols + j];
    if (j > 0) s += in[i * cols + j - 1];
    if (j + 1 < cols) s += in[i * cols + j + 1];
    out[i * cols + j] = s;
  }
}
// x is a x b x c; the range is (c, b): x[i][j][k] += 1000 j + k for every i.
kernel void middle(global uint* x, const uint a, const uint b, const uint c) {
  const size_t k = get_global_id(0), j = get_global_id(1);
  for (uint i = 0; i < a; ++i) x[(i * b + j) * c + k] += 1000 * (uint)j + (uint)k;
}
// out[g] = in[g + s] * 3: a kernel indexing its input by a shifted id.
kernel void shifted(global const uint* in, global uint* out, const int s) {
  const size_t g = get_global_id(0);
  out[g] = in[(long)g + s] * 3;
}
// x[g] += g, over whatever range the launch gives (the offset included).
kernel void add_index(global uint* x) { const size_t g = get_global_id(0); x[g] += (uint)g; }
// Rows: x[i][j] = x[i][j] * 5 + i, over the range (cols, rows).
kernel void scale_rows(global uint* x) {
  const size_t j = get_global_id(0), i = get_global_id(1);
  x[i * get_global_size(0) + j] = x[i * get_global_size(0) + j] * 5 + (uint)i;
}
kernel void streamed(global uint* x, const ulong base) { x[get_global_id(0) - base] += 1; }
)CL";

tessera::RuntimeOptions with_zero_copy(bool on) {
  auto o = tessera::test::runtime_options();
  o.zero_copy = on;
  return o;
}

struct Setting {
  tessera::Runtime rt;
  tessera::Program program;
  explicit Setting(bool zero_copy)
      : rt(with_zero_copy(zero_copy)), program(rt.compile(tessera::Source::string(kernels, "geometry_test.cl"))) {}
};

struct Fixture {
  Setting in_place{true};  // devices with host-shared memory work on it
  Setting copying{false};  // every device copies: the transfer path
};

Fixture& fixture() { return tessera::test::shared_fixture<Fixture>(); }

std::vector<std::uint32_t> iota(std::size_t n, std::uint32_t from = 0) {
  std::vector<std::uint32_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

// Small chunks, so that every device gets several and their slices interleave.
Schedule small_chunks() { return Schedule::dynamic(4); }

// Runs `body` with each setting's runtime and program, named in failures.
void for_each_setting(const std::function<void(Setting&)>& body) {
  for (Setting* s : {&fixture().in_place, &fixture().copying}) {
    CAPTURE(s->rt.options().zero_copy);
    body(*s);
  }
}

std::vector<std::uint32_t> scaled_columns(std::vector<std::uint32_t> m, std::size_t rows, std::size_t cols,
                                          std::size_t from) {
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = from; j < cols; ++j) m[i * cols + j] = 2 * m[i * cols + j] + static_cast<std::uint32_t>(j);
  }
  return m;
}

}  // namespace

TEST_CASE("a launch over the columns of a row-major matrix: along({rows, cols}, 1), strided slices") {
  const std::size_t rows = 9, cols = 40;
  for_each_setting([&](Setting& s) {
    std::vector<std::uint32_t> m = iota(rows * cols, 7);
    const auto stats = s.rt.run(tessera::Launch{s.program, "scale_columns", NDRange{cols}}
                                    .arg(tessera::read_write(m).along({rows, cols}, 1))
                                    .arg(std::uint32_t{rows})
                                    .arg(std::uint32_t{cols}),
                                small_chunks());
    CHECK(m == scaled_columns(iota(rows * cols, 7), rows, cols, 0));
    std::uint64_t in = 0;
    for (const auto& d : stats.devices) in += d.bytes_in;
    // On the transfer path, every chunk moves its columns of every row, no more.
    if (!s.rt.options().zero_copy) CHECK(in == rows * cols * sizeof(std::uint32_t));
  });
}

TEST_CASE("a global offset: chunks cut from [offset, offset + global), get_global_id from the offset") {
  const std::size_t rows = 6, cols = 36, k = 13;
  for_each_setting([&](Setting& s) {
    // 1-D: x[g] += g for g in [k, n) only.
    std::vector<std::uint32_t> x = iota(cols * 2, 1);
    s.rt.run(tessera::Launch{s.program, "add_index", NDRange{cols * 2 - k}}.offset(NDRange{k}).arg(tessera::read_write(x)),
             small_chunks());
    std::vector<std::uint32_t> want = iota(cols * 2, 1);
    for (std::size_t g = k; g < want.size(); ++g) want[g] += static_cast<std::uint32_t>(g);
    CHECK(x == want);
    // Columns [k, cols) of a matrix split along its columns.
    std::vector<std::uint32_t> m = iota(rows * cols);
    s.rt.run(tessera::Launch{s.program, "scale_columns", NDRange{cols - k}}
                 .offset(NDRange{k})
                 .arg(tessera::read_write(m).along({rows, cols}, 1))
                 .arg(std::uint32_t{rows})
                 .arg(std::uint32_t{cols}),
             small_chunks());
    CHECK(m == scaled_columns(iota(rows * cols), rows, cols, k));
  });
}

TEST_CASE("the middle index of a 3-D array as the split dimension") {
  const std::size_t a = 3, b = 20, c = 5;
  for_each_setting([&](Setting& s) {
    std::vector<std::uint32_t> x = iota(a * b * c, 11);
    s.rt.run(tessera::Launch{s.program, "middle", NDRange{c, b}}
                 .arg(tessera::read_write(x).along({a, b, c}, 1))
                 .arg(std::uint32_t{a})
                 .arg(std::uint32_t{b})
                 .arg(std::uint32_t{c}),
             small_chunks());
    std::vector<std::uint32_t> want = iota(a * b * c, 11);
    for (std::size_t i = 0; i < a; ++i) {
      for (std::size_t j = 0; j < b; ++j) {
        for (std::size_t l = 0; l < c; ++l) want[(i * b + j) * c + l] += static_cast<std::uint32_t>(1000 * j + l);
      }
    }
    CHECK(x == want);
  });
}

TEST_CASE("shifted slices: chunk [a, b) reads [a + s, b + s), for positive and negative shifts") {
  const std::size_t n = 64;
  for_each_setting([&](Setting& s) {
    for (const int shift : {5, -3}) {
      CAPTURE(shift);
      const std::vector<std::uint32_t> in = iota(n, 100);
      // Positive: out[g] = 3 in[g + 5] for g in [0, n - 5). Negative: g in [3, n) from offset 3.
      const std::size_t first = shift < 0 ? static_cast<std::size_t>(-shift) : 0;
      const std::size_t count = n - static_cast<std::size_t>(shift < 0 ? -shift : shift);
      std::vector<std::uint32_t> out(n, 9);
      s.rt.run(tessera::Launch{s.program, "shifted", NDRange{count}}
                   .offset(NDRange{first})
                   .arg(tessera::read(in).shift(shift))
                   .arg(tessera::write(out).along({n}, 0))
                   .arg(shift),
               small_chunks());
      std::vector<std::uint32_t> want(n, 9);
      for (std::size_t g = first; g < first + count; ++g) want[g] = 3 * in[g + static_cast<std::size_t>(shift)];
      CHECK(out == want);
    }
  });
}

TEST_CASE("a halo along an inner dimension: a column stencil") {
  const std::size_t rows = 7, cols = 44;
  for_each_setting([&](Setting& s) {
    const std::vector<std::uint32_t> in = iota(rows * cols, 3);
    std::vector<std::uint32_t> out(rows * cols, 0);
    s.rt.run(tessera::Launch{s.program, "column_stencil", NDRange{cols}}
                 .arg(tessera::read(in).along({rows, cols}, 1).halo(1))
                 .arg(tessera::write(out).along({rows, cols}, 1))
                 .arg(std::uint32_t{rows})
                 .arg(std::uint32_t{cols}),
             small_chunks());
    std::vector<std::uint32_t> want(rows * cols);
    for (std::size_t i = 0; i < rows; ++i) {
      for (std::size_t j = 0; j < cols; ++j) {
        want[i * cols + j] = in[i * cols + j] + (j > 0 ? in[i * cols + j - 1] : 0) + (j + 1 < cols ? in[i * cols + j + 1] : 0);
      }
    }
    CHECK(out == want);
  });
}

TEST_CASE("arrays: launches split by rows and by columns in turn keep every copy coherent") {
  const std::size_t rows = 12, cols = 32;
  for_each_setting([&](Setting& s) {
    auto m = s.rt.array(iota(rows * cols, 1));
    std::vector<std::uint32_t> model = iota(rows * cols, 1);
    for (int t = 0; t < 3; ++t) {
      s.rt.submit(tessera::Launch{s.program, "scale_columns", NDRange{cols}}
                      .arg(tessera::read_write(m).along({rows, cols}, 1))
                      .arg(std::uint32_t{rows})
                      .arg(std::uint32_t{cols}),
                  small_chunks());
      model = scaled_columns(model, rows, cols, 0);
      s.rt.submit(tessera::Launch{s.program, "scale_rows", NDRange{cols, rows}}.arg(tessera::read_write(m)),
                  Schedule::dynamic(2));
      for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < cols; ++j) model[i * cols + j] = model[i * cols + j] * 5 + static_cast<std::uint32_t>(i);
      }
    }
    CHECK(m.to_vector() == model);
  });
}

TEST_CASE("bad geometry is refused before anything runs, naming the argument") {
  auto& s = fixture().copying;
  std::vector<std::uint32_t> x(64);
  const auto refused = [&](const tessera::Launch& launch) -> std::string {
    try {
      s.rt.validate(launch, small_chunks());
    } catch (const tessera::Error& e) {
      CHECK(e.code() == tessera::Errc::invalid_argument);
      return e.what();
    }
    return "accepted";
  };
  const auto add = [&](std::size_t g) { return tessera::Launch{s.program, "add_index", NDRange{g}}; };
  CHECK(refused(add(16).arg(tessera::read_write(x).along({8, 8}, 2))) ==
        "kernel 'add_index' argument 0 'x': along() names dimension 2 of a 2-D shape");
  CHECK(refused(add(16).arg(tessera::read_write(x).along({8, 9}, 1))) ==
        "kernel 'add_index' argument 0 'x': the shape given to along() does not hold the buffer's 64 elements");
  CHECK(refused(add(8).offset(NDRange{1}).arg(tessera::read_write(x).along({8, 8}, 0))) ==
        "kernel 'add_index' argument 0 'x': the launch's split indices [1, 9) shifted by 0 leave the buffer's 8 "
        "indices along its split dimension");
  CHECK(refused(add(32).arg(tessera::read_write(x).shift(-1))) ==
        "kernel 'add_index' argument 0 'x': the launch's split indices [0, 32) shifted by -1 leave the buffer's 32 "
        "indices along its split dimension");
  CHECK(refused(add(16).offset(NDRange{1, 1}).arg(tessera::read_write(x))) ==
        "kernel 'add_index': offset 1x1 has 2 dimension(s), the global range 16 has 1");
  CHECK(refused(add(15).offset(NDRange{2}).arg(tessera::read_write(x))) ==
        "kernel 'add_index' argument 0 'x': 64 elements do not divide by the split extent 17 of the range 15 "
        "(counted from 0, with the offset and the shift)");
  CHECK(refused(add(16).arg(tessera::read(x).whole().shift(1))) ==
        "kernel 'add_index' argument 0 'x': along() and shift() apply to split and halo buffers only");
  CHECK(refused(tessera::Launch{s.program, "streamed", NDRange{32}}
                    .offset(NDRange{32})
                    .arg(tessera::read_write(x))
                    .arg(tessera::window_base())) ==
        "kernel 'streamed': a launch streamed in windows (window_base()) takes no offset along its split dimension");
}
