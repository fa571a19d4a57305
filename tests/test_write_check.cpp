// Runtime::check: kernels that keep to their buffers' roles give no finding and run()'s results;
// kernels that write outside their chunk's slice (the scatter role fits), leave part of a `write` slice unwritten, or
// write a buffer given as read or whole are found, on every device (zero-copy ones included:
// a checked run always copies, so what would go unseen there is seen).

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::WriteFinding;

namespace {

const char* const kernels = R"CL(
kernel void fill(global int* out) {
  const size_t i = get_global_id(0);
  out[i] = (int)(i * 7u) - 3;
}
kernel void reverse(global const int* in, global int* out, const uint n) {
  const size_t i = get_global_id(0);
  out[n - 1 - i] = in[i];
}
kernel void shifted(global const int* in, global int* out) {
  const size_t i = get_global_id(0);
  out[i] = i + 1 < 4096 ? in[i + 1] : 0;
}
kernel void evens(global int* out) {
  const size_t i = get_global_id(0);
  if (i % 2 == 0) out[i] = 1;
}
kernel void scratch(global int* in, global int* out) {
  const size_t i = get_global_id(0);
  out[i] = in[i];
  in[i] = 0;
}
kernel void table(global int* lut, global int* out) {
  const size_t i = get_global_id(0);
  out[i] = lut[i % 3];
  if (i == 0) lut[3] = 99;  // an element no work-item reads: no race
}
)CL";

struct Fixture {
  tessera::Runtime rt{tessera::test::runtime_options()};
  tessera::Program program = rt.compile(tessera::Source::string(kernels, "write_check_test.cl"));
};

Fixture& fixture() { return tessera::test::shared_fixture<Fixture>(); }

const std::size_t n = 4096;

}  // namespace

TEST_CASE("a kernel that keeps to its roles: no finding, the results of run(), every device copies") {
  auto& f = fixture();
  std::vector<int> out(n, 0);
  const auto stats = f.rt.check(tessera::Launch{f.program, "fill", tessera::NDRange{n}}.arg(tessera::write(out)));
  CHECK(stats.findings.empty());
  bool right = true;
  for (std::size_t i = 0; i < n; ++i) right = right && out[i] == static_cast<int>(i * 7u) - 3;
  CHECK(right);
  // Four chunks per device, none in place.
  CHECK(stats.ledger.size() >= 4 * f.program.devices().size());
  for (const auto& d : stats.devices) CHECK_FALSE(d.zero_copy);
  std::size_t bytes_out = 0;
  for (const auto& d : stats.devices) bytes_out += d.bytes_out;
  CHECK(bytes_out == n * sizeof(int));
}

TEST_CASE("a kernel that writes outside its chunk's slice is found, with the role that fits") {
  auto& f = fixture();
  std::vector<int> in(n), out(n, 0);
  for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<int>(i);
  const auto stats = f.rt.check(
      tessera::Launch{f.program, "reverse", tessera::NDRange{n}}.arg(tessera::read(in)).arg(tessera::write(out)).arg(static_cast<std::uint32_t>(n)));
  REQUIRE(stats.findings.size() >= 1);
  const WriteFinding& w = stats.findings.front();
  CHECK(w.kind == WriteFinding::Kind::outside_slice);
  CHECK(w.arg == 1);
  CHECK(w.chunk.offset == 0);  // the first chunk writes the far end of the array
  CHECK(w.element == n - w.chunk.size);
  CHECK(w.elements == w.chunk.size);
  CHECK(w.message.find("kernel 'reverse' argument 1 (write, split): chunk [0, ") == 0);
  CHECK(w.message.find("outside its slice") != std::string::npos);
  CHECK(w.message.find("give it the scatter role when each element has one writer") != std::string::npos);
  // Its own slice, left to the chunk that writes it, is no finding of its own: scatter fits both.
  bool unwritten = false;
  for (const auto& g : stats.findings) unwritten = unwritten || g.kind == WriteFinding::Kind::unwritten;
  CHECK_FALSE(unwritten);
  // With the scatter role the same kernel is right on every device.
  const auto fixed = f.rt.check(tessera::Launch{f.program, "reverse", tessera::NDRange{n}}
                                    .arg(tessera::read(in))
                                    .arg(tessera::write(out).scatter())
                                    .arg(static_cast<std::uint32_t>(n)));
  CHECK(fixed.findings.empty());
  bool right = true;
  for (std::size_t i = 0; i < n; ++i) right = right && out[i] == static_cast<int>(n - 1 - i);
  CHECK(right);
}

TEST_CASE("a kernel that writes part of a write slice is found; read_write is what fits") {
  auto& f = fixture();
  std::vector<int> out(n, 5);
  const auto stats = f.rt.check(tessera::Launch{f.program, "evens", tessera::NDRange{n}}.arg(tessera::write(out)));
  REQUIRE(stats.findings.size() == 1);
  const WriteFinding& w = stats.findings.front();
  CHECK(w.kind == WriteFinding::Kind::unwritten);
  CHECK(w.chunk.offset == 0);
  CHECK(w.element == 1);
  CHECK(w.elements == w.chunk.size / 2);
  CHECK(w.message.find("read_write") != std::string::npos);
  // With read_write the same kernel is right on every device.
  std::vector<int> kept(n, 5);
  CHECK(f.rt.check(tessera::Launch{f.program, "evens", tessera::NDRange{n}}.arg(tessera::read_write(kept)))
            .findings.empty());
  bool right = true;
  for (std::size_t i = 0; i < n; ++i) right = right && kept[i] == (i % 2 == 0 ? 1 : 5);
  CHECK(right);
}

TEST_CASE("a kernel that writes a buffer given as read, or whole, is found") {
  auto& f = fixture();
  std::vector<int> in(n, 3), out(n, 0);
  const auto stats = f.rt.check(
      tessera::Launch{f.program, "scratch", tessera::NDRange{n}}.arg(tessera::read(in)).arg(tessera::write(out)));
  REQUIRE(stats.findings.size() == 1);
  CHECK(stats.findings.front().kind == WriteFinding::Kind::wrote_input);
  CHECK(stats.findings.front().arg == 0);
  CHECK(stats.findings.front().element == 0);
  CHECK(stats.findings.front().message.find("given as read") != std::string::npos);

  std::vector<int> lut{1, 2, 3, 4};
  const auto whole = f.rt.check(tessera::Launch{f.program, "table", tessera::NDRange{n}}
                                    .arg(tessera::read(lut).whole())
                                    .arg(tessera::write(out)));
  REQUIRE(whole.findings.size() == 1);
  CHECK(whole.findings.front().kind == WriteFinding::Kind::wrote_input);
  CHECK(whole.findings.front().element == 3);
  CHECK(whole.findings.front().elements == 1);
  CHECK(whole.findings.front().message.find("given whole") != std::string::npos);
}

TEST_CASE("a kernel that reads an input outside its chunk's slice is found; a halo fits") {
  auto& f = fixture();
  std::vector<int> in(n), out(n, 0);
  for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<int>(i);
  const auto stats = f.rt.check(
      tessera::Launch{f.program, "shifted", tessera::NDRange{n}}.arg(tessera::read(in)).arg(tessera::write(out)));
  REQUIRE(stats.findings.size() == 1);
  const WriteFinding& w = stats.findings.front();
  CHECK(w.kind == WriteFinding::Kind::read_outside);
  CHECK(w.arg == 1);
  CHECK(w.chunk.offset == 0);
  CHECK(w.element == w.chunk.size - 1);  // the chunk's last element reads the next chunk's first
  CHECK(w.elements == 1);
  CHECK(w.message.find("halo") != std::string::npos);
  const auto fixed = f.rt.check(tessera::Launch{f.program, "shifted", tessera::NDRange{n}}
                                    .arg(tessera::read(in).halo(1))
                                    .arg(tessera::write(out)));
  CHECK(fixed.findings.empty());
  bool right = true;
  for (std::size_t i = 0; i < n; ++i) right = right && out[i] == (i + 1 < n ? static_cast<int>(i) + 1 : 0);
  CHECK(right);
}
