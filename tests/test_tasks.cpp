// Tasks over arrays: ordering by data across devices, swap chains, explicit ordering, what
// moves on the transfer path, placement of small launches, and bad use (each a clear error).

#include <doctest/doctest.h>

#include <cstdint>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/task_kernels.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::Schedule;

namespace {

const char* const kernels = tessera::test::task_kernels;

tessera::RuntimeOptions copying_options() {
  auto o = tessera::test::runtime_options();
  o.zero_copy = false;
  return o;
}

struct Fixture {
  tessera::Runtime rt{copying_options()};
  tessera::Program program = rt.compile(tessera::Source::string(kernels, "tasks_test.cl"));
};

Fixture& fixture() { return tessera::test::shared_fixture<Fixture>(); }

std::vector<std::uint32_t> iota(std::size_t n) {
  std::vector<std::uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  return v;
}

}  // namespace

TEST_CASE("a swap chain of split stencils moves only halos after the first load, and reads back once") {
  auto& f = fixture();
  const std::size_t n = 1 << 14;
  auto a = f.rt.array(iota(n));
  auto b = f.rt.array<std::uint32_t>(n);
  std::vector<std::uint32_t> model = iota(n), next(n);
  const auto before = f.rt.transfers();
  const int steps = 20;
  tessera::RunStats last;
  for (int t = 0; t < steps; ++t) {
    last = f.rt.submit(tessera::Launch{f.program, "smooth", tessera::NDRange{n}}
                    .arg(tessera::read(a).halo(1))
                    .arg(tessera::write(b))
                    .arg(static_cast<std::uint32_t>(n)),
                Schedule::static_split(std::vector<double>(f.program.devices().size(), 1.0))).wait();
    std::swap(a, b);
    for (std::size_t i = 0; i < n; ++i) next[i] = (i > 0 ? model[i - 1] : 0u) + model[i] + (i + 1 < n ? model[i + 1] : 0u);
    std::swap(model, next);
  }
  REQUIRE(a.to_vector() == model);
  const auto after = f.rt.transfers();
  tessera::TransferBytes moved;
  for (std::size_t d = 0; d < after.size(); ++d) {
    moved.load += after[d].load - before[d].load;
    moved.halo += after[d].halo - before[d].halo;
    moved.read_back += after[d].read_back - before[d].read_back;
  }
  // Fixed equal weights: the boundaries stay (a partition kept without weights moves rows when
  // measured paces diverge).
  std::size_t working = 0;
  std::set<std::size_t> roots;  // sub-devices of one root device share a context
  for (std::size_t d = 0; d < last.devices.size(); ++d) {
    if (last.devices[d].chunks == 0) continue;
    ++working;
    roots.insert(f.program.devices()[d].info().index);
  }
  // One load of the input (the output is written, never loaded) and, on several devices, the
  // halo element on each side of each boundary; one read of the result.
  CHECK(moved.load >= n * 4);
  CHECK(moved.load <= n * 4 + (working - 1) * 2 * 4);
  CHECK(moved.read_back == n * 4);
  if (working == 1) {
    CHECK(moved.halo == 0);
  } else {
    // Per later step and boundary one element each way: copied between the devices' buffers
    // within one context, else staged through the host (counted leaving and reaching).
    const std::uint64_t per_element = roots.size() == 1 ? 1 : 2;
    CHECK(moved.halo > 0);
    CHECK(moved.halo <= static_cast<std::uint64_t>(steps) * (working - 1) * 2 * 4 * per_element);
  }
}

TEST_CASE("dependent tasks on different devices see each other's results; after() orders without data") {
  auto& f = fixture();
  const std::size_t n = 4096;
  auto x = f.rt.array<std::uint32_t>(n);
  auto y = f.rt.array<std::uint32_t>(n);
  const std::size_t devices = f.program.devices().size();
  for (std::uint32_t k = 0; k < 12; ++k) {
    // Each one whole, on a device chosen in turn: the data follows it.
    f.rt.submit(tessera::Launch{f.program, "add", tessera::NDRange{n}}.arg(tessera::read_write(x)).arg(k + 1),
                Schedule::single(k % devices));
  }
  auto copied = f.rt.submit(tessera::Launch{f.program, "copy", tessera::NDRange{n}}.arg(tessera::read(x)).arg(
                                tessera::write(y)),
                            Schedule::single(devices - 1));
  const tessera::RunStats stats = copied.wait();
  CHECK(stats.devices[devices - 1].chunks == 1);
  CHECK(copied.done());
  CHECK(y.to_vector() == std::vector<std::uint32_t>(n, 78u));  // 1 + 2 + ... + 12

  auto first = f.rt.submit(tessera::Launch{f.program, "add", tessera::NDRange{n}}.arg(tessera::read_write(x)).arg(1u));
  auto second = f.rt.submit(
      tessera::Launch{f.program, "add", tessera::NDRange{n}}.arg(tessera::read_write(y)).arg(1u).after(first));
  second.wait();
  CHECK(first.done());  // second ran after it, though they share no array
}

TEST_CASE("host writes replace an array's contents after the tasks using it; reads wait for its writers") {
  auto& f = fixture();
  const std::size_t n = 10007;
  auto x = f.rt.array(iota(n));
  for (int r = 0; r < 5; ++r) {
    f.rt.submit(tessera::Launch{f.program, "add", tessera::NDRange{n}}.arg(tessera::read_write(x)).arg(2u));
  }
  std::vector<std::uint32_t> expect = iota(n);
  for (auto& v : expect) v += 10;
  CHECK(x.to_vector() == expect);
  x.write(std::vector<std::uint32_t>(n, 7u));
  f.rt.submit(tessera::Launch{f.program, "add", tessera::NDRange{n}}.arg(tessera::read_write(x)).arg(1u));
  CHECK(x.to_vector() == std::vector<std::uint32_t>(n, 8u));
}

TEST_CASE("arrays larger than a device run through the host's streaming windows; the rest stays resident") {
  auto options = copying_options();
  options.device_memory_limit = 64 << 10;
  const tessera::Runtime rt(options);
  const tessera::Program program = rt.compile(tessera::Source::string(kernels, "tasks_test.cl"));
  const std::size_t n = 1 << 16;  // 256 KiB: four times what a device may hold
  auto big = rt.array(iota(n));
  auto small = rt.array(iota(1024));
  const auto before = rt.transfers();
  auto streamed = rt.submit(tessera::Launch{program, "add_windowed", tessera::NDRange{n}}
                                .arg(tessera::read_write(big))
                                .arg(3u)
                                .arg(tessera::window_base()),
                            Schedule::dynamic(4096));
  const tessera::RunStats stats = streamed.wait();
  CHECK(stats.ledger.size() >= n / 4096);
  std::vector<std::uint32_t> expect = iota(n);
  for (auto& v : expect) v += 3;
  CHECK(big.to_vector() == expect);
  // A task over it that does not stream is refused as a host-array launch would be.
  const std::string refused = [&] {
    try {
      rt.submit(tessera::Launch{program, "add", tessera::NDRange{n}}.arg(tessera::read_write(big)).arg(1u));
    } catch (const tessera::Error& e) {
      CHECK(e.code() == tessera::Errc::invalid_argument);
      return std::string(e.what());
    }
    return std::string("no error");
  }();
  CHECK(refused.find("window_base()") != std::string::npos);
  CHECK(big.to_vector() == expect);
  // A small array is a task on the devices as ever, after the streamed one.
  rt.submit(tessera::Launch{program, "add", tessera::NDRange{1024}}.arg(tessera::read_write(small)).arg(2u)).wait();
  std::vector<std::uint32_t> small_expect = iota(1024);
  for (auto& v : small_expect) v += 2;
  CHECK(small.to_vector() == small_expect);
  std::uint64_t loaded = 0;
  const auto after = rt.transfers();
  for (std::size_t d = 0; d < after.size(); ++d) loaded += after[d].load - before[d].load;
  CHECK(loaded == 1024 * 4);  // only the small array went to a device as a resident array
}

TEST_CASE("bad use of arrays and tasks: clear errors") {
  auto& f = fixture();
  const std::size_t n = 1024;
  auto x = f.rt.array<std::uint32_t>(n);
  std::vector<std::uint32_t> host(n);
  const auto message = [](auto&& call) {
    try {
      call();
    } catch (const tessera::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message([&] {
          f.rt.submit(tessera::Launch{f.program, "copy", tessera::NDRange{n}}.arg(tessera::read(x)).arg(
              tessera::write(host)));
        }).find("takes no host arrays") != std::string::npos);
  CHECK(message([&] {
          f.rt.submit(tessera::Launch{f.program, "copy", tessera::NDRange{n}}.arg(tessera::read(x)).arg(
              tessera::write(x)));
        }).find("also argument 0") != std::string::npos);
  CHECK(message([&] {
          f.rt.submit(tessera::Launch{f.program, "add", tessera::NDRange{n}}.arg(tessera::read_write(x).halo(1)).arg(1u));
        }).find("read-only") != std::string::npos);
  CHECK(message([&] { x.write(std::vector<std::uint32_t>(n + 1)); }).find("holds 4096 bytes") != std::string::npos);
  CHECK(message([&] { tessera::Array<float> wrong(x); }).find("holds uint elements, not float") != std::string::npos);
  CHECK(message([] { tessera::Array<float>{}.to_vector(); }).find("empty Array handle") != std::string::npos);

  // An array of another runtime; an array whose runtime is gone.
  std::optional<tessera::Runtime> other(copying_options());
  auto foreign = other->array<std::uint32_t>(n);
  CHECK(message([&] {
          f.rt.submit(tessera::Launch{f.program, "add", tessera::NDRange{n}}.arg(tessera::read_write(foreign)).arg(1u));
        }).find("another runtime") != std::string::npos);
  // Destroying a runtime with tasks in flight waits for them; its arrays then refuse every use.
  const tessera::Program program = other->compile(tessera::Source::string(kernels, "tasks_test.cl"));
  for (int r = 0; r < 50; ++r) {
    other->submit(tessera::Launch{program, "add", tessera::NDRange{n}}.arg(tessera::read_write(foreign)).arg(1u));
  }
  other.reset();
  CHECK(message([&] { foreign.to_vector(); }).find("runtime is gone") != std::string::npos);
}
