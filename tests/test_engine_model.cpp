// A property test of the engine against a sequential host model: random sequences of launches
// over a few arrays, every partition role (split read, write and read_write, halo, whole,
// reduce), random sizes and schedules, each launch's results compared bitwise with the model's.
// Run on every device set, in place and with every device copying (zero_copy = false): it pins
// down what launches over host arrays do, whatever the engine beneath them becomes.

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::Schedule;

namespace {

// Unsigned arithmetic throughout: wrapping is defined, so the model is exact.
const char* const kernels = R"CL(
kernel void set(global uint* y, const uint v) {
  y[get_global_id(0)] = v + (uint)get_global_id(0) * 3u;
}
kernel void axpy(const uint a, global const uint* x, global uint* y) {
  const size_t i = get_global_id(0);
  y[i] = a * x[i] + y[i];
}
kernel void blur(global const uint* x, global uint* y, const uint n) {
  const size_t i = get_global_id(0);
  y[i] = (i > 0 ? x[i - 1] : 0u) + 2u * x[i] + (i + 1 < n ? x[i + 1] : 0u);
}
kernel void gather(global const uint* lut, const uint m, global const uint* x, global uint* y) {
  const size_t i = get_global_id(0);
  y[i] = lut[x[i] % m];
}
kernel void bins(global const uint* x, global uint* acc) {
  atomic_add(&acc[x[get_global_id(0)] % 8u], 1u);
}
)CL";

using Array = std::vector<std::uint32_t>;

struct Runtimes {
  tessera::Runtime in_place{tessera::test::runtime_options()};
  tessera::Runtime copying{[] {
    auto o = tessera::test::runtime_options();
    o.zero_copy = false;
    return o;
  }()};
  tessera::Program in_place_program = in_place.compile(tessera::Source::string(kernels, "model_test.cl"));
  tessera::Program copying_program = copying.compile(tessera::Source::string(kernels, "model_test.cl"));
};

Runtimes& runtimes() { return tessera::test::shared_fixture<Runtimes>(); }

Schedule random_schedule(std::mt19937& rng) {
  switch (rng() % 5) {
    case 0: return Schedule::single();
    case 1: return Schedule::static_split();
    case 2: return Schedule::dynamic(1 + rng() % 700);
    case 3: {
      auto s = Schedule::dynamic(64);
      s.pipeline = 1 + rng() % 4;
      return s;
    }
    default: return Schedule::hguided(1 + rng() % 300);
  }
}

// Runs `steps` random launches over three arrays of a random size on `rt`, checking each
// against the model; returns how many launches shared their work between devices.
std::size_t run_sequence(const tessera::Runtime& rt, const tessera::Program& program, std::uint32_t seed,
                         std::size_t steps) {
  std::mt19937 rng(seed);
  const std::size_t n = std::array<std::size_t, 4>{1000, 4096, 10007, 65536}[rng() % 4];
  std::array<Array, 3> device_side, model;
  for (std::size_t a = 0; a < 3; ++a) {
    device_side[a].resize(n);
    for (auto& v : device_side[a]) v = static_cast<std::uint32_t>(rng());
    model[a] = device_side[a];
  }
  Array lut(37), acc(8, 0), model_acc(8, 0);
  for (auto& v : lut) v = static_cast<std::uint32_t>(rng());
  std::size_t shared = 0;
  const auto n32 = static_cast<std::uint32_t>(n);
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t x = rng() % 3, y = (x + 1 + rng() % 2) % 3;  // two different arrays
    const Schedule schedule = random_schedule(rng);
    const tessera::NDRange range{n};
    const auto op = static_cast<unsigned>(rng() % 5);
    INFO("seed " << seed << " step " << s << " op " << op << " n " << n << " schedule " << schedule.name());
    tessera::RunStats stats;
    Array& mx = model[x];
    Array& my = model[y];
    if (op == 0) {
      const auto a = static_cast<std::uint32_t>(rng());
      stats = rt.run(tessera::Launch{program, "axpy", range}.arg(a).arg(tessera::read(device_side[x])).arg(
                         tessera::read_write(device_side[y])),
                     schedule);
      for (std::size_t i = 0; i < n; ++i) my[i] = a * mx[i] + my[i];
    } else if (op == 1) {
      const auto v = static_cast<std::uint32_t>(rng());
      stats = rt.run(tessera::Launch{program, "set", range}.arg(tessera::write(device_side[y])).arg(v), schedule);
      for (std::size_t i = 0; i < n; ++i) my[i] = v + static_cast<std::uint32_t>(i) * 3u;
    } else if (op == 2) {
      stats = rt.run(tessera::Launch{program, "blur", range}
                         .arg(tessera::read(device_side[x]).halo(1))
                         .arg(tessera::write(device_side[y]))
                         .arg(n32),
                     schedule);
      for (std::size_t i = 0; i < n; ++i) my[i] = (i > 0 ? mx[i - 1] : 0u) + 2u * mx[i] + (i + 1 < n ? mx[i + 1] : 0u);
    } else if (op == 3) {
      stats = rt.run(tessera::Launch{program, "gather", range}
                         .arg(tessera::read(lut).whole())
                         .arg(static_cast<std::uint32_t>(lut.size()))
                         .arg(tessera::read(device_side[x]))
                         .arg(tessera::write(device_side[y])),
                     schedule);
      for (std::size_t i = 0; i < n; ++i) my[i] = lut[mx[i] % lut.size()];
    } else {
      stats = rt.run(tessera::Launch{program, "bins", range}.arg(tessera::read(device_side[x])).arg(
                         tessera::read_write(acc).reduce(tessera::ReduceOp::sum)),
                     schedule);
      for (std::size_t i = 0; i < n; ++i) ++model_acc[mx[i] % 8u];
    }
    std::size_t working = 0;
    for (const auto& d : stats.devices) working += d.chunks > 0 ? 1 : 0;
    shared += working > 1 ? 1 : 0;
    bool same = acc == model_acc;
    for (std::size_t a = 0; a < 3; ++a) same = same && device_side[a] == model[a];
    REQUIRE(same);
  }
  return shared;
}

}  // namespace

TEST_CASE("random launch sequences match a sequential host model, in place and copying") {
  auto& r = runtimes();
  const std::size_t devices = r.in_place_program.devices().size();
  std::size_t shared = 0;
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    shared += run_sequence(r.in_place, r.in_place_program, seed, 12);
    shared += run_sequence(r.copying, r.copying_program, seed + 100, 12);
  }
  // On several devices the sequences must really have spread work (else they prove little).
  if (devices > 1) CHECK(shared > 10);
}
