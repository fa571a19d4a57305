// A property test of the engine against a sequential host model: random sequences of launches
// over a few arrays, every partition role (split read, write and read_write, halo, whole,
// reduce), random sizes and schedules, each launch's results compared bitwise with the model's.
// Run on every device set, in place and with every device copying (zero_copy = false): it pins
// down what launches over host arrays do, whatever the engine beneath them becomes. The same
// sequences run as tasks over runtime arrays, submitted without waiting, with handles swapped
// and host reads at random points between them.

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

// The launches of run_sequence as tasks over runtime arrays: nothing waits between them; after
// a random step the host reads a random array (a synchronisation point) or two handles are
// swapped; everything is compared with the model at those reads and at the end. Returns how
// many tasks were split between devices.
std::size_t run_task_sequence(const tessera::Runtime& rt, const tessera::Program& program, std::uint32_t seed,
                              std::size_t steps, std::size_t fixed_n = 0) {
  std::mt19937 rng(seed);
  const std::size_t drawn = std::array<std::size_t, 5>{1000, 4096, 10007, 65536, 262144}[rng() % 5];
  const std::size_t n = fixed_n > 0 ? fixed_n : drawn;
  std::array<Array, 3> model;
  std::array<tessera::Array<std::uint32_t>, 3> arrays;
  for (std::size_t a = 0; a < 3; ++a) {
    model[a].resize(n);
    for (auto& v : model[a]) v = static_cast<std::uint32_t>(rng());
    arrays[a] = rt.array(model[a]);
  }
  Array lut_model(37), model_acc(8, 0);
  for (auto& v : lut_model) v = static_cast<std::uint32_t>(rng());
  const auto lut = rt.array(lut_model);
  const auto acc = rt.array<std::uint32_t>(8);
  std::vector<tessera::Submission> tasks;
  const auto n32 = static_cast<std::uint32_t>(n);
  for (std::size_t s = 0; s < steps; ++s) {
    const std::size_t x = rng() % 3, y = (x + 1 + rng() % 2) % 3;
    // Equal weights besides the policies: splits even where one device is far slower (Oclgrind).
    const Schedule schedule = rng() % 4 == 0 ? Schedule::static_split(std::vector<double>(program.devices().size(), 1.0))
                                             : random_schedule(rng);
    const tessera::NDRange range{n};
    const auto op = static_cast<unsigned>(rng() % 6);
    INFO("seed " << seed << " step " << s << " op " << op << " n " << n << " schedule " << schedule.name());
    Array& mx = model[x];
    Array& my = model[y];
    if (op == 0) {
      const auto a = static_cast<std::uint32_t>(rng());
      tasks.push_back(rt.submit(tessera::Launch{program, "axpy", range}.arg(a).arg(tessera::read(arrays[x])).arg(
                                    tessera::read_write(arrays[y])),
                                schedule));
      for (std::size_t i = 0; i < n; ++i) my[i] = a * mx[i] + my[i];
    } else if (op == 1) {
      const auto v = static_cast<std::uint32_t>(rng());
      tasks.push_back(rt.submit(tessera::Launch{program, "set", range}.arg(tessera::write(arrays[y])).arg(v), schedule));
      for (std::size_t i = 0; i < n; ++i) my[i] = v + static_cast<std::uint32_t>(i) * 3u;
    } else if (op == 2) {
      tasks.push_back(rt.submit(tessera::Launch{program, "blur", range}
                                    .arg(tessera::read(arrays[x]).halo(1))
                                    .arg(tessera::write(arrays[y]))
                                    .arg(n32),
                                schedule));
      for (std::size_t i = 0; i < n; ++i) my[i] = (i > 0 ? mx[i - 1] : 0u) + 2u * mx[i] + (i + 1 < n ? mx[i + 1] : 0u);
    } else if (op == 3) {
      tasks.push_back(rt.submit(tessera::Launch{program, "gather", range}
                                    .arg(tessera::read(lut).whole())
                                    .arg(static_cast<std::uint32_t>(lut_model.size()))
                                    .arg(tessera::read(arrays[x]))
                                    .arg(tessera::write(arrays[y])),
                                schedule));
      for (std::size_t i = 0; i < n; ++i) my[i] = lut_model[mx[i] % lut_model.size()];
    } else if (op == 4) {
      tasks.push_back(rt.submit(tessera::Launch{program, "bins", range}.arg(tessera::read(arrays[x])).arg(
                                    tessera::read_write(acc).reduce(tessera::ReduceOp::sum)),
                                schedule));
      for (std::size_t i = 0; i < n; ++i) ++model_acc[mx[i] % 8u];
    } else {
      std::swap(arrays[x], arrays[y]);
      std::swap(model[x], model[y]);
    }
    if (rng() % 4 == 0) {
      const std::size_t r = rng() % 3;
      REQUIRE(arrays[r].to_vector() == model[r]);
    }
  }
  std::size_t split = 0;
  for (auto& t : tasks) {
    const tessera::RunStats stats = t.wait();
    std::size_t working = 0;
    for (const auto& d : stats.devices) working += d.chunks > 0 ? 1 : 0;
    split += working > 1 ? 1 : 0;
  }
  for (std::size_t a = 0; a < 3; ++a) REQUIRE(arrays[a].to_vector() == model[a]);
  REQUIRE(acc.to_vector() == model_acc);
  return split;
}

}  // namespace

TEST_CASE("random task sequences over arrays match a sequential host model, in place and copying") {
  auto& r = runtimes();
  const std::size_t devices = r.in_place_program.devices().size();
  std::size_t split = 0;
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    split += run_task_sequence(r.in_place, r.in_place_program, seed + 200, 16);
    split += run_task_sequence(r.copying, r.copying_program, seed + 300, 16);
  }
  if (devices > 1) CHECK(split > 10);
}

TEST_CASE("random task sequences under memory pressure: evicted arrays are written back, never lost") {
  // Each device that copies holds two of the three large arrays (and the small ones): a task's
  // arrays push out the least recently used one, whose only valid rows go back to the host.
  const std::size_t n = 65536, array_bytes = n * sizeof(std::uint32_t);
  auto options = tessera::test::runtime_options();
  options.zero_copy = false;
  options.device_memory_limit = 2 * array_bytes + 4096;
  const tessera::Runtime rt(options);
  const tessera::Program program = rt.compile(tessera::Source::string(kernels, "model_test.cl"));
  for (std::uint32_t seed = 1; seed <= 4; ++seed) run_task_sequence(rt, program, seed + 400, 16, n);
  std::uint64_t evicted = 0;
  for (const auto& t : rt.transfers()) evicted += t.evict;
  CHECK(evicted > 0);
}

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
