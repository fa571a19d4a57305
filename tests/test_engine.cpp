// The co-execution engine: every scheduler on every device set, for 1-D and 2-D ranges and every
// partition role, against a host reference (bitwise: integer kernels); chunk-boundary edge
// cases; the ledger; zero-copy; cancellation; when a submission is done; launch errors.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "support/fixture.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::Schedule;

namespace {

const char* const kernels = R"CL(
kernel void iaxpy(const int a, global const int* x, global int* y) {
  const size_t i = get_global_id(0);
  y[i] = a * x[i] + y[i];
}
kernel void fill(global int* out) {
  const size_t i = get_global_id(0);
  out[i] = (int)(i * 7u) - 3;
}
kernel void grid(global const int* in, global int* out, const uint width) {
  const size_t x = get_global_id(0), y = get_global_id(1);
  out[y * width + x] = in[y * width + x] * 3 + (int)x - 2 * (int)y;
}
kernel void blur1(global const int* in, global int* out, const uint n) {
  const size_t i = get_global_id(0);
  const int left = i > 0 ? in[i - 1] : 0;
  const int right = i + 1 < n ? in[i + 1] : 0;
  out[i] = left + 2 * in[i] + right;
}
kernel void blur2(global const int* in, global int* out, const uint width, const uint height) {
  const size_t x = get_global_id(0), y = get_global_id(1);
  int s = 4 * in[y * width + x];
  if (y > 0) s += in[(y - 1) * width + x];
  if (y + 1 < height) s += in[(y + 1) * width + x];
  if (x > 0) s += in[y * width + x - 1];
  if (x + 1 < width) s += in[y * width + x + 1];
  out[y * width + x] = s;
}
kernel void lookup(global const int* in, global const int* lut, const uint lut_n, global int* out) {
  const size_t i = get_global_id(0);
  out[i] = lut[(uint)in[i] % lut_n];
}
kernel void histogram(global const int* in, global int* bins, const uint nbins) {
  atomic_inc(&bins[(uint)in[get_global_id(0)] % nbins]);
}
kernel void maximum(global const int* in, global int* best) {
  atomic_max(&best[0], in[get_global_id(0)]);
}
kernel void wblur(global const int* in, global int* out, const uint n, const ulong base) {
  const size_t i = get_global_id(0);
  const int left = i > 0 ? in[i - 1 - base] : 0;
  const int right = i + 1 < n ? in[i + 1 - base] : 0;
  out[i - base] = left + 2 * in[i - base] + right;
}
kernel void scratch(global int* out, local int* tmp) {
  tmp[get_local_id(0)] = (int)get_global_id(0);
  barrier(CLK_LOCAL_MEM_FENCE);
  out[get_global_id(0)] = tmp[get_local_id(0)];
}
kernel void wgrid(global const int* in, global int* out, const uint width, const uint base) {
  const size_t x = get_global_id(0), y = get_global_id(1) - base;
  out[y * width + x] = in[y * width + x] * 3 + (int)x - 2 * (int)get_global_id(1);
}
)CL";

struct Fixture {
  tessera::Runtime rt{tessera::test::runtime_options()};
  tessera::Program program = rt.compile(tessera::Source::string(kernels, "engine_test.cl"));
};

Fixture& fixture() { return tessera::test::shared_fixture<Fixture>(); }

std::vector<Schedule> schedules(std::size_t devices) {
  std::vector<double> weights(devices, 1.0);
  weights[0] = 3.0;
  return {Schedule::single(), Schedule::static_split(), Schedule::static_split(weights),
          Schedule::dynamic(7), Schedule::dynamic(100000), Schedule::hguided(),
          Schedule::hguided(3)};
}

std::vector<int> pattern(std::size_t n, int seed) {
  std::vector<int> v(n);
  std::uint32_t s = static_cast<std::uint32_t>(seed) * 2654435761u + 1u;
  for (auto& e : v) {
    s = s * 1664525u + 1013904223u;
    e = static_cast<int>(s >> 12) % 2001 - 1000;
  }
  return v;
}

// The ledger covers [0, extent) exactly once, in whole granules, on known devices.
void check_ledger(const tessera::RunStats& stats, std::size_t extent, std::size_t granule,
                  std::size_t devices) {
  auto ledger = stats.ledger;
  std::sort(ledger.begin(), ledger.end(),
            [](const auto& a, const auto& b) { return a.chunk.offset < b.chunk.offset; });
  std::size_t next = 0;
  std::size_t chunks = 0;
  for (const auto& r : ledger) {
    CHECK(r.chunk.offset == next);
    CHECK(r.chunk.size > 0);
    CHECK(r.chunk.size % granule == 0);
    CHECK(r.chunk.device < devices);
    next += r.chunk.size;
    ++chunks;
  }
  CHECK(next == extent);
  std::size_t counted = 0;
  for (const auto& d : stats.devices) counted += d.chunks;
  CHECK(counted == chunks);
  CHECK_FALSE(stats.cancelled);
}

}  // namespace

TEST_CASE("1-D read and read_write buffers, every scheduler") {
  auto& f = fixture();
  for (std::size_t n : {1u, 2u, 997u, 1024u, 3001u}) {
    for (const auto& schedule : schedules(f.program.devices().size())) {
      INFO("n = " << n << ", schedule " << schedule.name());
      const auto x = pattern(n, 1);
      auto y = pattern(n, 2);
      std::vector<int> expect(n);
      for (std::size_t i = 0; i < n; ++i) expect[i] = 5 * x[i] + y[i];
      const auto stats = f.rt.run(tessera::Launch{f.program, "iaxpy", tessera::NDRange{n}}
                                      .arg(5)
                                      .arg(tessera::read(x))
                                      .arg(tessera::read_write(y)),
                                  schedule);
      CHECK(y == expect);
      check_ledger(stats, n, 1, f.program.devices().size());
      CHECK(stats.items == n);
    }
  }
}

TEST_CASE("write-only buffers and local sizes: chunks never cut a work-group") {
  auto& f = fixture();
  for (std::size_t local : {1u, 4u, 16u}) {
    const std::size_t n = local * 61;
    for (const auto& schedule : schedules(f.program.devices().size())) {
      INFO("local " << local << ", schedule " << schedule.name());
      std::vector<int> out(n, 12345);
      const auto stats = f.rt.run(
          tessera::Launch{f.program, "fill", tessera::NDRange{n}, tessera::NDRange{local}}.arg(
              tessera::write(out)),
          schedule);
      bool all = true;
      for (std::size_t i = 0; i < n; ++i) all = all && out[i] == static_cast<int>(i * 7) - 3;
      CHECK(all);
      check_ledger(stats, n, local, f.program.devices().size());
    }
  }
}

TEST_CASE("2-D ranges split by rows") {
  auto& f = fixture();
  for (const auto& size : {std::pair<std::size_t, std::size_t>{37, 23}, {1, 50}, {64, 1}, {16, 16}}) {
    const std::size_t w = size.first, h = size.second;  // INFO captures: no structured bindings (Clang 14)
    for (const auto& schedule : schedules(f.program.devices().size())) {
      INFO(w << "x" << h << ", schedule " << schedule.name());
      const auto in = pattern(w * h, 3);
      std::vector<int> out(w * h, 0);
      const auto stats = f.rt.run(tessera::Launch{f.program, "grid", tessera::NDRange{w, h}}
                                      .arg(tessera::read(in))
                                      .arg(tessera::write(out))
                                      .arg(static_cast<std::uint32_t>(w)),
                                  schedule);
      bool all = true;
      for (std::size_t y = 0; y < h; ++y) {
        for (std::size_t x = 0; x < w; ++x) {
          all = all && out[y * w + x] == in[y * w + x] * 3 + static_cast<int>(x) - 2 * static_cast<int>(y);
        }
      }
      CHECK(all);
      check_ledger(stats, h, 1, f.program.devices().size());
      CHECK(stats.items == w * h);
    }
  }
}

TEST_CASE("halo buffers read their neighbours across chunk boundaries") {
  auto& f = fixture();
  for (const auto& schedule : schedules(f.program.devices().size())) {
    INFO("schedule " << schedule.name());
    const std::size_t n = 1009;
    const auto in = pattern(n, 4);
    std::vector<int> out(n, 0), expect(n);
    for (std::size_t i = 0; i < n; ++i) {
      expect[i] = (i > 0 ? in[i - 1] : 0) + 2 * in[i] + (i + 1 < n ? in[i + 1] : 0);
    }
    f.rt.run(tessera::Launch{f.program, "blur1", tessera::NDRange{n}}
                 .arg(tessera::read(in).halo(1))
                 .arg(tessera::write(out))
                 .arg(static_cast<std::uint32_t>(n)),
             schedule);
    CHECK(out == expect);

    const std::size_t w = 29, h = 31;
    const auto img = pattern(w * h, 5);
    std::vector<int> blurred(w * h, 0), reference(w * h);
    for (std::size_t y = 0; y < h; ++y) {
      for (std::size_t x = 0; x < w; ++x) {
        int s = 4 * img[y * w + x];
        if (y > 0) s += img[(y - 1) * w + x];
        if (y + 1 < h) s += img[(y + 1) * w + x];
        if (x > 0) s += img[y * w + x - 1];
        if (x + 1 < w) s += img[y * w + x + 1];
        reference[y * w + x] = s;
      }
    }
    f.rt.run(tessera::Launch{f.program, "blur2", tessera::NDRange{w, h}}
                 .arg(tessera::read(img).halo(1))
                 .arg(tessera::write(blurred))
                 .arg(static_cast<std::uint32_t>(w))
                 .arg(static_cast<std::uint32_t>(h)),
             schedule);
    CHECK(blurred == reference);
  }
}

TEST_CASE("whole buffers reach every chunk") {
  auto& f = fixture();
  for (const auto& schedule : schedules(f.program.devices().size())) {
    INFO("schedule " << schedule.name());
    const std::size_t n = 777;
    const auto in = pattern(n, 6);
    const auto lut = pattern(53, 7);
    std::vector<int> out(n, 0), expect(n);
    for (std::size_t i = 0; i < n; ++i) expect[i] = lut[static_cast<std::uint32_t>(in[i]) % 53u];
    f.rt.run(tessera::Launch{f.program, "lookup", tessera::NDRange{n}}
                 .arg(tessera::read(in))
                 .arg(tessera::read(lut).whole())
                 .arg(std::uint32_t{53})
                 .arg(tessera::write(out)),
             schedule);
    CHECK(out == expect);
  }
}

TEST_CASE("reduce buffers fold every chunk's copy into the host array") {
  auto& f = fixture();
  for (const auto& schedule : schedules(f.program.devices().size())) {
    INFO("schedule " << schedule.name());
    const std::size_t n = 2000;
    const auto in = pattern(n, 8);
    std::vector<int> bins(17, 100), expect(17, 100);  // folded into the existing contents
    for (int v : in) ++expect[static_cast<std::uint32_t>(v) % 17u];
    f.rt.run(tessera::Launch{f.program, "histogram", tessera::NDRange{n}}
                 .arg(tessera::read(in))
                 .arg(tessera::read_write(bins).reduce(tessera::ReduceOp::sum))
                 .arg(std::uint32_t{17}),
             schedule);
    CHECK(bins == expect);

    std::vector<int> best{-5000};
    f.rt.run(tessera::Launch{f.program, "maximum", tessera::NDRange{n}}
                 .arg(tessera::read(in))
                 .arg(tessera::write(best).reduce(tessera::ReduceOp::max)),
             schedule);
    CHECK(best[0] == *std::max_element(in.begin(), in.end()));
  }
}

// Devices within 16x of the fastest by estimated power: the ones hguided treats as peers.
std::vector<bool> peers(const std::vector<tessera::Device>& devices) {
  auto power = [](const tessera::Device& d) {
    return static_cast<double>(d.info().compute_units) * std::max(1u, d.info().clock_mhz);
  };
  double fastest = 0;
  for (const auto& d : devices) fastest = std::max(fastest, power(d));
  std::vector<bool> out;
  for (const auto& d : devices) out.push_back(power(d) * 16 >= fastest);
  return out;
}

TEST_CASE("every policy but single shares a large launch among the devices") {
  auto& f = fixture();
  const auto& devices = f.program.devices();
  if (devices.size() < 2) return;  // one device: nothing to share (sets pocl)
  // 2^18 items: hguided's least chunk is 8192, so its first chunks alone cover two devices.
  const std::size_t n = std::size_t{1} << 18;
  const auto x = pattern(n, 13);
  const std::vector<bool> peer = peers(devices);
  const std::vector<double> equal(devices.size(), 1.0);
  for (const auto& schedule : {Schedule::static_split(), Schedule::static_split(equal),
                               Schedule::dynamic(n / 64), Schedule::hguided()}) {
    INFO("schedule " << schedule.name());
    auto y = pattern(n, 14);
    std::vector<int> expect(n);
    for (std::size_t i = 0; i < n; ++i) expect[i] = 3 * x[i] + y[i];
    const auto stats = f.rt.run(tessera::Launch{f.program, "iaxpy", tessera::NDRange{n}}
                                    .arg(3)
                                    .arg(tessera::read(x))
                                    .arg(tessera::read_write(y)),
                                schedule);
    CHECK(y == expect);
    for (std::size_t d = 0; d < devices.size(); ++d) {
      INFO("device " << devices[d].info().label() << " " << devices[d].name());
      // Every peer gets work; a device far slower than the rest may be left out, except by
      // dynamic (a first chunk for everyone) and equal static weights.
      const auto* weighted = std::get_if<tessera::policy::Static>(&schedule.policy());
      const bool must = peer[d] || schedule.name() == "dynamic" || (weighted && !weighted->weights.empty());
      if (must) CHECK(stats.devices[d].items > 0);
    }
  }
  // single: one device takes it all.
  auto y = pattern(n, 14);
  const auto one = f.rt.run(tessera::Launch{f.program, "iaxpy", tessera::NDRange{n}}
                                .arg(3)
                                .arg(tessera::read(x))
                                .arg(tessera::read_write(y)),
                            Schedule::single());
  std::size_t working = 0;
  for (const auto& d : one.devices) working += d.chunks > 0 ? 1 : 0;
  CHECK(working == 1);
}

TEST_CASE("more devices than chunks, and a single work-item") {
  auto& f = fixture();
  std::vector<int> out(1, 0);
  const auto stats = f.rt.run(tessera::Launch{f.program, "fill", tessera::NDRange{1}}.arg(tessera::write(out)),
                              Schedule::dynamic(1));
  CHECK(out[0] == -3);
  REQUIRE(stats.ledger.size() == 1);
  std::size_t idle = 0;
  for (const auto& d : stats.devices) idle += d.chunks == 0 ? 1 : 0;
  CHECK(idle == f.program.devices().size() - 1);
}

namespace {

// y = 2 x + y over 4096 ints in chunks of 256 on `rt`'s devices: each device in place when it
// shares host memory and `zero_copy` allows, else moving exactly its slices; returns how many
// devices copied.
std::size_t check_transfers(const tessera::Runtime& rt, const tessera::Program& program, bool zero_copy) {
  const std::size_t n = 4096;
  const auto x = pattern(n, 9);
  auto y = pattern(n, 10);
  const auto before = y;
  const auto stats = rt.run(tessera::Launch{program, "iaxpy", tessera::NDRange{n}}
                                .arg(2)
                                .arg(tessera::read(x))
                                .arg(tessera::read_write(y)),
                            Schedule::dynamic(256));
  bool right = true;
  for (std::size_t i = 0; i < n; ++i) right = right && y[i] == 2 * x[i] + before[i];
  CHECK(right);
  std::size_t copying = 0;
  for (const auto& d : stats.devices) {
    INFO(d.device.name());
    // PoCL shares host memory; Oclgrind, the simulator, does not.
    const bool simulator = d.device.info().platform_name.find("Oclgrind") != std::string::npos;
    CHECK(d.zero_copy == (!simulator && zero_copy));
    CHECK(d.items > 0);  // dynamic hands every device a first chunk: both paths ran
    copying += d.zero_copy ? 0 : 1;
    if (d.zero_copy) {
      CHECK(d.bytes_in == 0);
      CHECK(d.bytes_out == 0);
    } else {
      // x and y slices in, y slice out, for exactly the items it ran.
      CHECK(d.bytes_in == 2 * d.items * sizeof(int));
      CHECK(d.bytes_out == d.items * sizeof(int));
    }
  }
  return copying;
}

}  // namespace

TEST_CASE("zero-copy moves nothing on host-memory devices; others move exactly their slices") {
  auto& f = fixture();
  CHECK(f.rt.options().zero_copy == true);
  CHECK(check_transfers(f.rt, f.program, true) == (tessera::test::topology().oclgrind ? 1u : 0u));
}

TEST_CASE("zero_copy = false (TESSERA_ZERO_COPY=off): every device copies, as a discrete one does") {
  auto options = tessera::test::runtime_options();
  options.zero_copy = false;
  const tessera::Runtime rt(options);
  const auto program = rt.compile(tessera::Source::string(kernels, "engine_test.cl"));
  CHECK(check_transfers(rt, program, false) == rt.devices().size());
}

namespace {

// After a cancelled run of `fill` over `out` (first 424242 everywhere): the run says so, fewer
// than all indices ran, and exactly the chunks that ran wrote. Returns the indices that ran.
std::size_t check_stopped_early(const tessera::RunStats& stats, const std::vector<int>& out) {
  std::vector<bool> ran(out.size(), false);
  std::size_t done = 0;
  for (const auto& r : stats.ledger) {
    for (std::size_t i = r.chunk.offset; i < r.chunk.offset + r.chunk.size; ++i) ran[i] = true;
    done += r.chunk.size;
  }
  CHECK(stats.cancelled);
  CHECK(done < out.size());
  bool ok = true;
  for (std::size_t i = 0; i < out.size(); ++i) {
    ok = ok && out[i] == (ran[i] ? static_cast<int>(i * 7) - 3 : 424242);
  }
  CHECK(ok);
  return done;
}

}  // namespace

TEST_CASE("cancellation stops early and leaves unfinished chunks' data untouched") {
  auto& f = fixture();
  const std::size_t n = 200000;
  std::vector<int> out(n, 424242);
  // One-item chunks (local size 1): the whole run would take seconds, so the cancel below
  // lands early even when this thread is descheduled for a while.
  auto submission = f.rt.submit(
      tessera::Launch{f.program, "fill", tessera::NDRange{n}, tessera::NDRange{1}}.arg(tessera::write(out)),
      Schedule::dynamic(1));
  submission.cancel();
  const auto stats = submission.wait();
  const std::size_t done = check_stopped_early(stats, out);
  CHECK(submission.progress() == doctest::Approx(static_cast<double>(done) / n));
}

TEST_CASE("run() stops as cancel() does when its stop token is asked to") {
  auto& f = fixture();
  const std::size_t n = 200000;
  std::vector<int> out(n, 424242);
  const auto launch =
      tessera::Launch{f.program, "fill", tessera::NDRange{n}, tessera::NDRange{1}}.arg(tessera::write(out));
  SUBCASE("a stop requested before: no chunk runs") {
    std::stop_source stop;
    stop.request_stop();
    const auto stats = f.rt.run(launch, Schedule::dynamic(1), stop.get_token());
    CHECK(stats.ledger.empty());
    check_stopped_early(stats, out);
  }
  SUBCASE("a stop requested from another thread during the run") {
    std::stop_source stop;
    std::jthread requester([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      stop.request_stop();
    });
    check_stopped_early(f.rt.run(launch, Schedule::dynamic(1), stop.get_token()), out);
  }
}

namespace {

// Whether `submission` says it is done within a minute, polled without wait().
bool becomes_done(const tessera::Submission& submission) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!submission.done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

TEST_CASE("done() turns true once the run has ended, however it ended, before wait()") {
  auto& f = fixture();
  SUBCASE("finished: seen from another thread while this one waits") {
    std::vector<int> out(1 << 20, 0);
    auto submission = f.rt.submit(
        tessera::Launch{f.program, "fill", tessera::NDRange{out.size()}}.arg(tessera::write(out)),
        Schedule::dynamic(4096));
    bool seen = false;
    std::thread watcher([&] { seen = becomes_done(submission); });
    const auto stats = submission.wait();
    watcher.join();
    CHECK(seen);
    CHECK_FALSE(stats.cancelled);
    CHECK(out.back() == static_cast<int>((out.size() - 1) * 7) - 3);
  }
  SUBCASE("cancelled: once the chunks in flight have drained") {
    const std::size_t n = 200000;
    std::vector<int> out(n, 424242);
    // One-item chunks: seconds of work, so the run is still going at the first done().
    auto submission = f.rt.submit(
        tessera::Launch{f.program, "fill", tessera::NDRange{n}, tessera::NDRange{1}}.arg(
            tessera::write(out)),
        Schedule::dynamic(1));
    CHECK_FALSE(submission.done());
    submission.cancel();
    CHECK(becomes_done(submission));
    check_stopped_early(submission.wait(), out);
  }
  SUBCASE("failed: a device's error stops the run, and wait() throws it") {
    // An empty local buffer: every device refuses the argument (CL_INVALID_ARG_SIZE).
    std::vector<int> out(4096, 0);
    auto submission =
        f.rt.submit(tessera::Launch{f.program, "scratch", tessera::NDRange{out.size()}}
                        .arg(tessera::write(out))
                        .arg(tessera::local<int>(0)));
    CHECK(becomes_done(submission));
    try {
      submission.wait();
      FAIL("the run must fail");
    } catch (const tessera::Error& e) {
      INFO(std::string(e.what()));
      CHECK(e.code() == tessera::Errc::opencl);
      CHECK(e.cl_status_name() == "CL_INVALID_ARG_SIZE");
    }
  }
}

TEST_CASE("launches that do not fit their kernel are clear errors") {
  auto& f = fixture();
  std::vector<int> v(100), odd(101);
  auto error_of = [&](const tessera::Launch& launch, const Schedule& s = Schedule::hguided()) {
    try {
      f.rt.run(launch, s);
    } catch (const tessera::Error& e) {
      CHECK(e.code() == tessera::Errc::invalid_argument);
      return std::string(e.what());
    }
    FAIL("the launch must be rejected");
    return std::string();
  };
  using tessera::Launch;
  using tessera::NDRange;
  CHECK(error_of(Launch{f.program, "fill", NDRange{0}}.arg(tessera::write(v))).find("empty") != std::string::npos);
  CHECK(error_of(Launch{f.program, "fill", NDRange{100}}).find("takes 1 argument, 0 given") != std::string::npos);
  CHECK(error_of(Launch{f.program, "fill", NDRange{100}, NDRange{7}}.arg(tessera::write(v)))
            .find("does not divide") != std::string::npos);
  CHECK(error_of(Launch{f.program, "fill", NDRange{100}}.arg(3)).find("a scalar") != std::string::npos);
  CHECK(error_of(Launch{f.program, "iaxpy", NDRange{100}}.arg(2.0).arg(tessera::read(v)).arg(tessera::read_write(v)))
            .find("argument 0 'a' takes int; the scalar given is double (a launch never converts: give "
                  "std::int32_t)") != std::string::npos);
  // Same size, other type: still refused (an unsigned or a float of the parameter's size).
  CHECK(error_of(Launch{f.program, "iaxpy", NDRange{100}}.arg(2u).arg(tessera::read(v)).arg(tessera::read_write(v)))
            .find("takes int; the scalar given is uint") != std::string::npos);
  CHECK(error_of(Launch{f.program, "iaxpy", NDRange{100}}.arg(2.0f).arg(tessera::read(v)).arg(tessera::read_write(v)))
            .find("takes int; the scalar given is float") != std::string::npos);
  CHECK(error_of(Launch{f.program, "fill", NDRange{30}}.arg(tessera::write(odd)))
            .find("101 elements do not divide by the split extent 30") != std::string::npos);
  CHECK(error_of(Launch{f.program, "iaxpy", NDRange{100}}.arg(2).arg(tessera::read_write(v)).arg(tessera::read_write(v)))
            .find("const") != std::string::npos);
  CHECK(error_of(Launch{f.program, "fill", NDRange{100}}.arg(tessera::write(v)), Schedule::single(99))
            .find("device 99") != std::string::npos);
  CHECK(error_of(Launch{f.program, "nope", NDRange{100}}).find("no kernel 'nope'") != std::string::npos);
  // Bounds of the schedule and the range: a run records every chunk, so none may be absurd.
  auto piped = [](std::size_t pipeline) {
    auto s = Schedule::dynamic(10);
    s.pipeline = pipeline;
    return s;
  };
  CHECK(error_of(Launch{f.program, "fill", NDRange{100}}.arg(tessera::write(v)), piped(0))
            .find("pipeline must be 1 to 64, not 0") != std::string::npos);
  CHECK(error_of(Launch{f.program, "fill", NDRange{100}}.arg(tessera::write(v)), piped(65))
            .find("pipeline must be 1 to 64, not 65") != std::string::npos);
  std::vector<int> large(std::size_t{1} << 21);
  CHECK(error_of(Launch{f.program, "fill", NDRange{large.size()}, NDRange{1}}.arg(tessera::write(large)), Schedule::dynamic(1))
            .find("into 2097152 chunks; at most 1048576") != std::string::npos);
  const std::size_t huge = std::size_t{1} << 32;
  CHECK(error_of(Launch{f.program, "fill", NDRange{huge, huge}}.arg(tessera::write(v)))
            .find("holds more than 2^62 work-items") != std::string::npos);
}

TEST_CASE("buffers larger than a device's memory stream through it in windows") {
  // Devices limited to 64 KiB: the 400 KB arrays below can only run windowed.
  auto options = tessera::test::runtime_options();
  options.device_memory_limit = 64 * 1024;
  const tessera::Runtime small(options);
  const auto program = small.compile(tessera::Source::string(kernels, "engine_test.cl"));
  const std::size_t n = 100000;
  const auto in = pattern(n, 11);
  std::vector<int> expect(n);
  for (std::size_t i = 0; i < n; ++i) {
    expect[i] = (i > 0 ? in[i - 1] : 0) + 2 * in[i] + (i + 1 < n ? in[i + 1] : 0);
  }
  for (const auto& schedule : schedules(program.devices().size())) {
    INFO("schedule " << schedule.name());
    std::vector<int> out(n, 0);
    const auto stats = small.run(tessera::Launch{program, "wblur", tessera::NDRange{n}}
                                     .arg(tessera::read(in).halo(1))
                                     .arg(tessera::write(out))
                                     .arg(static_cast<std::uint32_t>(n))
                                     .arg(tessera::window_base()),
                                 schedule);
    CHECK(out == expect);
    check_ledger(stats, n, 1, program.devices().size());
    // Two windows of (chunk + 2) indices x 8 bytes per index fit 64 KiB per chunk in flight.
    for (const auto& r : stats.ledger) CHECK((r.chunk.size + 2) * 8 * 2 <= 64 * 1024);
    CHECK(stats.ledger.size() >= n * 8 * 2 / (64 * 1024));
  }

  // 2-D, windows of rows, a uint base.
  const std::size_t w = 100, h = 300;
  const auto img = pattern(w * h, 12);
  std::vector<int> out(w * h, 0);
  small.run(tessera::Launch{program, "wgrid", tessera::NDRange{w, h}}
                .arg(tessera::read(img))
                .arg(tessera::write(out))
                .arg(static_cast<std::uint32_t>(w))
                .arg(tessera::window_base()));
  bool all = true;
  for (std::size_t y = 0; y < h; ++y) {
    for (std::size_t x = 0; x < w; ++x) {
      all = all && out[y * w + x] == img[y * w + x] * 3 + static_cast<int>(x) - 2 * static_cast<int>(y);
    }
  }
  CHECK(all);

  // Without the opt-in the same arrays are a clear error that says how to stream.
  std::vector<int> plain(n, 0);
  try {
    small.run(tessera::Launch{program, "fill", tessera::NDRange{n}}.arg(tessera::write(plain)));
    FAIL("must not fit");
  } catch (const tessera::Error& e) {
    CHECK(e.code() == tessera::Errc::invalid_argument);
    CHECK(std::string(e.what()).find("window_base()") != std::string::npos);
  }
}
