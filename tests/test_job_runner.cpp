// Running job files through the engine on every device set: results against host references,
// repetitions with swaps, buffer roles, outputs and checks, kernel mismatches pointing at the
// TOML, and interruption.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <cstring>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "job/job_loader.hpp"
#include "job/job_runner.hpp"
#include "job/npy.hpp"
#include "support/fixture.hpp"
#include "support/job_values.hpp"
#include "support/temp_dir.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::detail::JobData;
using tessera::detail::JobSpec;

namespace {

struct Fixture {
  tessera::Runtime rt{tessera::test::runtime_options()};
};

const tessera::Runtime& runtime() { return tessera::test::shared_fixture<Fixture>().rt; }

JobSpec spec(tessera::test::TempDir& dir, const std::string& text) {
  return tessera::detail::load_job_spec(dir.write("job.toml", text));
}

// The JobError running `text` as a job ends with, or "no error".
std::string run_error(tessera::test::TempDir& dir, const std::string& text) {
  try {
    tessera::detail::run_job(runtime(), spec(dir, text));
  } catch (const tessera::JobError& e) {
    return e.what();
  }
  return "no error";
}

template <typename T>
std::vector<T> values(const JobSpec& job, const JobData& data, const std::string& name) {
  return tessera::test::job_values<T>(job, data, name);
}

const char* const kernels = R"(
kernel void increment(global const int* a, global int* b) { b[get_global_id(0)] = a[get_global_id(0)] + 1; }
kernel void blur(global const int* a, global int* b, const int n) {
  const int i = (int)get_global_id(0);
  b[i] = a[i > 0 ? i - 1 : i] + a[i] + a[i < n - 1 ? i + 1 : i];
}
kernel void lookup(global const int* lut, global const int* idx, global int* out) {
  out[get_global_id(0)] = lut[idx[get_global_id(0)]];
}
kernel void histogram(global const int* v, global int* bins) { atomic_inc(&bins[v[get_global_id(0)] % 8]); }
)";

// tests/jobs/good/swapped_stencil.toml: a halo read of a, a write of b, swapped every repetition.
JobSpec swapped_stencil(const tessera::detail::ParamOverrides& overrides = {}) {
  return tessera::detail::load_job_spec(
      std::filesystem::path(TESSERA_TEST_SOURCE_DIR) / "jobs" / "good" / "swapped_stencil.toml", overrides);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("a saxpy job gives the host's answer, writes its .npy and passes its checks") {
  tessera::test::TempDir dir;
  const JobSpec job = spec(dir, R"(
[params]
n = 10007
[program]
builtin = "saxpy"
[buffers.x]
type = "float"
count = "n"
init = { iota = 0 }
[buffers.y]
type = "float"
count = "n"
init = { fill = 1.0 }
output = "y.npy"
[[steps]]
kernel = "saxpy"
global = ["n"]
args = [{ value = 2.0 }, { buffer = "x" }, { buffer = "y", access = "read_write" }]
[[checks]]
buffer = "y"
expect = { sum = 100140049.0, rtol = 1e-12 }
[[checks]]
buffer = "y"
expect = { sum = 5.0, rtol = 1e-3 }
)");
  for (const char* scheduler : {"single", "static", "dynamic", "hguided"}) {
    CAPTURE(scheduler);
    const JobData data = tessera::detail::run_job(runtime(), job, {scheduler, nullptr});
    const auto y = values<float>(job, data, "y");
    bool exact = true;
    for (std::size_t i = 0; i < y.size(); ++i) exact = exact && y[i] == 2.0f * static_cast<float>(i) + 1.0f;
    CHECK(exact);
    CHECK(data.report.steps.size() == 1);
    CHECK(data.report.steps[0].runs.size() == 1);
    const auto checks = tessera::detail::run_checks(job, data);
    REQUIRE(checks.size() == 2);
    CHECK(checks[0].passed);  // n^2
    CHECK_FALSE(checks[1].passed);
    CHECK(checks[1].message.find("differs from 5") != std::string::npos);
  }
  const JobData data = tessera::detail::run_job(runtime(), job);
  const auto written = tessera::detail::write_outputs(job, data);
  REQUIRE(written.size() == 1);
  const auto npy = tessera::detail::read_npy(dir.path() / "y.npy");
  CHECK(npy.header.type == tessera::ElementType::f32);
  CHECK(npy.header.shape == std::vector<std::size_t>{10007});
  float last = 0;
  std::memcpy(&last, npy.data.data() + 10006 * 4, 4);
  CHECK(last == 20013.0f);
}

TEST_CASE("repetitions with swap, halo, whole and reduce buffers") {
  tessera::test::TempDir dir;
  dir.write("k.cl", kernels);
  const JobSpec job = spec(dir, R"(
[params]
n = 4099
[program]
source = "k.cl"
[buffers.a]
type = "int"
count = "n"
init = { iota = 0 }
[buffers.b]
type = "int"
count = "n"
[buffers.blurred]
type = "int"
count = "n"
[buffers.lut]
type = "int"
count = 16
init = { iota = 100 }
[buffers.idx]
type = "int"
count = "n"
init = { random = [0, 15], seed = 3 }
[buffers.looked]
type = "int"
count = "n"
[buffers.bins]
type = "int"
count = 8
init = { fill = 0 }
[[steps]]
kernel = "increment"
global = ["n"]
args = [{ buffer = "a" }, { buffer = "b", access = "write" }]
repeat = 3
swap = ["a", "b"]
[[steps]]
kernel = "blur"
global = ["n"]
args = [{ buffer = "a", halo = 1 }, { buffer = "blurred", access = "write" }, { value = "n" }]
[[steps]]
kernel = "lookup"
global = ["n"]
args = [{ buffer = "lut", whole = true }, { buffer = "idx" }, { buffer = "looked", access = "write" }]
[[steps]]
kernel = "histogram"
global = ["n"]
args = [{ buffer = "idx" }, { buffer = "bins", access = "read_write", reduce = "sum" }]
)");
  for (const char* scheduler : {"static", "dynamic", "hguided"}) {
    CAPTURE(scheduler);
    const JobData data = tessera::detail::run_job(runtime(), job, {scheduler, nullptr});
    const int n = 4099;
    const auto a = values<std::int32_t>(job, data, "a");
    const auto blurred = values<std::int32_t>(job, data, "blurred");
    const auto idx = values<std::int32_t>(job, data, "idx");
    const auto looked = values<std::int32_t>(job, data, "looked");
    const auto bins = values<std::int32_t>(job, data, "bins");
    CHECK(data.report.steps[0].runs.size() == 3);
    bool ok_a = true, ok_blur = true, ok_lookup = true;
    std::vector<int> want_bins(8, 0);
    for (int i = 0; i < n; ++i) {
      ok_a = ok_a && a[static_cast<std::size_t>(i)] == i + 3;  // three steps of +1, newest in a
      const int l = i > 0 ? i - 1 : i, r = i < n - 1 ? i + 1 : i;
      ok_blur = ok_blur && blurred[static_cast<std::size_t>(i)] == (l + 3) + (i + 3) + (r + 3);
      const int k = idx[static_cast<std::size_t>(i)];
      ok_lookup = ok_lookup && k >= 0 && k <= 15 && looked[static_cast<std::size_t>(i)] == 100 + k;
      ++want_bins[static_cast<std::size_t>(k % 8)];
    }
    CHECK(ok_a);
    CHECK(ok_blur);
    CHECK(ok_lookup);
    CHECK(bins == want_bins);
  }
}

TEST_CASE("a step's totals sum its repetitions; without keep_runs they are all that is kept") {
  const JobSpec job = swapped_stencil({{"reps", 7}});
  const JobData kept = tessera::detail::run_job(runtime(), job, {"dynamic", nullptr});
  const tessera::StepReport& step = kept.report.steps.at(0);
  REQUIRE(step.runs.size() == 7);
  tessera::RunTotals sum;
  for (const tessera::RunStats& run : step.runs) sum.add(run);
  CHECK(step.totals.runs == 7);
  CHECK(step.totals.items == 7 * 4099);
  CHECK(step.totals.items == sum.items);
  CHECK(step.totals.wall_s == sum.wall_s);
  CHECK(step.totals.balance() == doctest::Approx(sum.balance_sum / 7));
  CHECK(step.totals.submitted_ns == step.runs.front().submitted_ns);
  REQUIRE(step.totals.devices.size() == step.runs.front().devices.size());
  std::size_t chunks = 0;
  for (std::size_t d = 0; d < sum.devices.size(); ++d) {
    CHECK(step.totals.devices[d].chunks == sum.devices[d].chunks);
    CHECK(step.totals.devices[d].items == sum.devices[d].items);
    chunks += sum.devices[d].chunks;
  }
  std::size_t ledger = 0;
  for (const tessera::RunStats& run : step.runs) ledger += run.ledger.size();
  CHECK(chunks == ledger);

  std::vector<std::size_t> heard;  // the items of each repetition, as the runner hands them over
  tessera::detail::JobRunOptions totals_only{.scheduler = "dynamic", .keep_runs = false};
  totals_only.on_repetition = [&](const tessera::RunStats& run) { heard.push_back(run.items); };
  const JobData data = tessera::detail::run_job(runtime(), job, totals_only);
  CHECK(data.report.steps.at(0).runs.empty());
  CHECK(data.report.steps.at(0).totals.runs == 7);
  CHECK(data.report.steps.at(0).totals.items == 7 * 4099);
  CHECK(heard == std::vector<std::size_t>(7, 4099));
  CHECK(values<std::int32_t>(job, data, "a") == values<std::int32_t>(job, kept, "a"));
}

TEST_CASE("a job's bytes moved against its minimum: a swapped stencil on devices that copy") {
  const JobSpec job = swapped_stencil();
  auto options = tessera::test::runtime_options();
  options.zero_copy = false;  // every device copies, PoCL's too (TESSERA_ZERO_COPY=off)
  const tessera::Runtime copying(options);
  const std::uint64_t bytes = 4099 * 4;
  for (const char* scheduler : {"single", "static", "dynamic"}) {
    CAPTURE(scheduler);
    const JobData data = tessera::detail::run_job(copying, job, {scheduler, nullptr});
    REQUIRE(data.report.transfers);
    const tessera::JobTransfers& t = *data.report.transfers;
    std::vector<bool> worked;
    tessera::TransferBytes steps;  // what the tasks moved: all but the final read-back
    for (const tessera::RunStats& run : data.report.steps.at(0).runs) {
      worked.resize(run.devices.size());
      for (std::size_t d = 0; d < run.devices.size(); ++d) {
        if (run.devices[d].chunks > 0) worked[d] = true;
        steps += run.devices[d].moved;
      }
    }
    CHECK(t.moved.load == steps.load);
    CHECK(t.moved.halo == steps.halo);
    CHECK(t.moved.read_back >= bytes);  // both buffers were written on devices, the newest in a
    CHECK(t.minimum.halo == t.moved.halo);
    CHECK(t.minimum.load >= bytes);  // the input, loaded once, in parts where the step is split
    CHECK(t.ratio() >= 1.0);
    if (std::count(worked.begin(), worked.end(), true) == 1) {
      // One device: a loaded once (b is written before it is read), both read back once.
      CHECK(t.moved.load == bytes);
      CHECK(t.moved.halo == 0);
      CHECK(t.moved.read_back == 2 * bytes);
      CHECK(t.minimum.load == bytes);
      CHECK(t.minimum.read_back == 2 * bytes);
      CHECK(t.ratio() == 1.0);
    }
  }
  // Checked runs work on host copies: no transfers of the job's own.
  CHECK_FALSE(tessera::detail::run_job(copying, job, {std::nullopt, nullptr, true}).report.transfers);
}

TEST_CASE("split dimensions and shifts: columns, a 3-D middle index, a shift by a loop counter, on both paths") {
  const JobSpec job = tessera::detail::load_job_spec(std::filesystem::path(TESSERA_TEST_SOURCE_DIR) / "jobs" / "good" /
                                                     "geometry.toml");
  const std::size_t rows = 6, cols = 40, a = 3, b = 24, c = 5, n = 64;
  std::vector<std::int32_t> m(rows * cols), x(a * b * c), in(n), out(n, -1);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<std::int32_t>(7 + i);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::int32_t>(11 + i);
  for (std::size_t i = 0; i < n; ++i) in[i] = static_cast<std::int32_t>(100 + i);
  for (std::size_t i = 0; i < rows * cols; ++i) m[i] = 2 * m[i] + static_cast<std::int32_t>(i % cols);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += static_cast<std::int32_t>(1000 * (i / c % b) + i % c);
  for (std::size_t k = 1; k < 4; ++k) {
    for (std::size_t g = 0; g < n - k; ++g) out[g] = in[g + k] + static_cast<std::int32_t>(k);
  }
  auto options = tessera::test::runtime_options();
  options.zero_copy = false;  // every device copies: strided slices move by rectangular copies
  const tessera::Runtime copying(options);
  for (const tessera::Runtime* rt : {&runtime(), &copying}) {
    for (const char* scheduler : {"static", "dynamic"}) {
      CAPTURE(scheduler);
      CAPTURE(rt->options().zero_copy);
      const JobData data = tessera::detail::run_job(*rt, job, {scheduler, nullptr});
      CHECK(values<std::int32_t>(job, data, "m") == m);
      CHECK(values<std::int32_t>(job, data, "x") == x);
      CHECK(values<std::int32_t>(job, data, "out") == out);
      REQUIRE(data.report.steps.size() == 3);
      CHECK(data.report.steps[2].totals.runs == 3);
      if (rt == &copying) {
        // Every byte moved was needed: the replay follows the strided and shifted slices.
        REQUIRE(data.report.transfers);
        const tessera::JobTransfers& t = *data.report.transfers;
        CHECK(t.moved.load <= t.minimum.load + t.moved.halo);
        CHECK(t.moved.read_back == t.minimum.read_back);
      }
    }
  }
}

TEST_CASE("a program memo builds a kernel once for jobs of the same text in different folders") {
  const tessera::Runtime rt(tessera::test::runtime_options());
  tessera::test::TempDir one, two;
  const char* text = "kernel void twice(global float* x) { x[get_global_id(0)] *= 2.0f; }\n";
  const auto a = one.write("k.cl", text), b = two.write("k.cl", text);
  tessera::detail::ProgramMemo memo;
  const tessera::Program first = memo.compile(rt, tessera::Source::file(a), "", {});
  const tessera::Program second = memo.compile(rt, tessera::Source::file(b), "", {});
  CHECK(memo.hits() == 1);
  CHECK(second.has_kernel("twice"));
  CHECK(first.has_kernel("twice"));
  memo.compile(rt, tessera::Source::file(b), "-DSCALE=3", {});  // other options: built anew
  memo.compile(rt, tessera::Source::file(b), "", {{"N", "4"}});   // other defines too
  CHECK(memo.hits() == 1);
  memo.compile(rt, tessera::Source::file(a), "", {{"N", "4"}});
  CHECK(memo.hits() == 2);
}

TEST_CASE("what only the kernel can tell is an error at the step or argument in the TOML") {
  tessera::test::TempDir dir;
  const auto error_of = [&](const std::string& text) { return run_error(dir, text); };
  const std::string head = "[program]\nbuiltin = \"saxpy\"\n[buffers.x]\ntype = \"float\"\ncount = 64\n"
                           "init = { fill = 1 }\n[buffers.y]\ntype = \"float\"\ncount = 64\ninit = { fill = 1 }\n"
                           "[[steps]]\n";
  // Line 12 is the first line of the step.
  CHECK(error_of(head + "kernel = \"saxpi\"\nglobal = [64]\nargs = []\n")
            .find("job.toml:12:10: steps[0].kernel: ") != std::string::npos);
  CHECK(error_of(head + "kernel = \"saxpi\"\nglobal = [64]\nargs = []\n").find("saxpy") != std::string::npos);
  CHECK(error_of(head + "kernel = \"saxpy\"\nglobal = [64]\nargs = [{ value = 2.0 }]\n")
            .find(":14:8: steps[0].args: kernel 'saxpy' takes 3 arguments, 1 given") != std::string::npos);
  CHECK(error_of(head + "kernel = \"saxpy\"\nglobal = [64]\nargs = [{ buffer = \"x\" }, { buffer = \"x\" }, "
                        "{ buffer = \"y\", access = \"read_write\" }]\n")
            .find("steps[0].args[0]: parameter 0 'a' of 'saxpy' is a scalar (float); buffer 'x' was given") !=
        std::string::npos);
  CHECK(error_of(head + "kernel = \"saxpy\"\nglobal = [64]\nargs = [{ value = 2.0 }, { value = 1.0 }, "
                        "{ buffer = \"y\", access = \"read_write\" }]\n")
            .find("steps[0].args[1]: parameter 1 'x' of 'saxpy' is a global pointer") != std::string::npos);
}

TEST_CASE("static weights are one per device, checked at job.weights before anything runs") {
  tessera::test::TempDir dir;
  const std::size_t devices = runtime().devices().size();
  const auto job = [&](std::size_t weights) {
    std::string text = "[job]\nscheduler = \"static\"\nweights = [1";
    for (std::size_t w = 1; w < weights; ++w) text += ", 2";
    return text + "]\n[program]\nbuiltin = \"saxpy\"\n[buffers.x]\ntype = \"float\"\ncount = 64\ninit = { fill = 1 }\n"
                  "[buffers.y]\ntype = \"float\"\ncount = 64\noutput = \"y.npy\"\n[[steps]]\nkernel = \"saxpy\"\n"
                  "global = [64]\nargs = [{ value = 2.0 }, { buffer = \"x\" }, { buffer = \"y\", access = \"write\" }]\n";
  };
  CHECK(run_error(dir, job(devices)) == "no error");
  std::string labels;
  for (const auto& d : runtime().devices()) labels += (labels.empty() ? "" : ", ") + d.info().label();
  CHECK(run_error(dir, job(devices + 1)) ==
        (dir / "job.toml").string() + ":3:11: job.weights: " + std::to_string(devices + 1) + " weight(s) for " +
            std::to_string(devices) + " device(s) (" + labels + "): give one weight per device, in that order");
  // Another scheduler than the job's own does not use them.
  CHECK_NOTHROW(tessera::detail::run_job(runtime(), spec(dir, job(devices + 1)), {.scheduler = "dynamic"}));
}

TEST_CASE("a scalar is a value of its parameter's own type, exactly") {
  tessera::test::TempDir dir;
  dir.write("k.cl",
            "kernel void k(const int n, const float f, const uint u, global float* out) {\n"
            "  out[get_global_id(0)] = (float)n + f + (float)(u % 1000u);\n}\n");
  const auto job = [](const std::string& n, const std::string& f, const std::string& u) {
    return "[program]\nsource = \"k.cl\"\n[buffers.out]\ntype = \"float\"\ncount = 16\n"
           "[[steps]]\nkernel = \"k\"\nglobal = [16]\nargs = [" + n + ", " + f + ", " + u +
           ", { buffer = \"out\", access = \"write\" }]\n";
  };
  const auto error_of = [&](const std::string& text) { return run_error(dir, text); };
  const std::string ok_f = "{ value = 0.5 }", ok_u = "{ value = 4000000123 }";
  // Line 9 holds the arguments; the first starts at column 9.
  CHECK(error_of(job("{ value = 3000000000 }", ok_f, ok_u))
            .find(":9:9: steps[0].args[0]: parameter 0 'n' of 'k' is int: 3000000000 is outside the range of "
                  "int [-2147483648, 2147483647]") != std::string::npos);
  CHECK(error_of(job("{ value = 2.5 }", ok_f, ok_u)).find("2.5 is not an integer, and the type is int") !=
        std::string::npos);
  CHECK(error_of(job("{ value = 1024.0, type = \"float\" }", ok_f, ok_u))
            .find("steps[0].args[0]: parameter 0 'n' of 'k' is int; type = \"float\" was given") !=
        std::string::npos);
  CHECK(error_of(job("{ value = 7 }", "{ value = 16777217 }", ok_u))
            .find("args[1]: parameter 1 'f' of 'k' is float: 16777217 has no exact float value") != std::string::npos);
  CHECK(error_of(job("{ value = 7 }", "{ value = 1e39 }", ok_u)).find("1e+39 is outside the range of float") !=
        std::string::npos);
  CHECK(error_of(job("{ value = 7 }", ok_f, "{ value = -1 }")).find("-1 is outside the range of uint") !=
        std::string::npos);

  // Values that fit run: a float takes 0.5 exactly and rounds 0.1 as a C literal does.
  const JobSpec fits = spec(dir, job("{ value = -3 }", "{ value = 0.5 }", ok_u));
  const JobData data = tessera::detail::run_job(runtime(), fits);
  for (const float v : values<float>(fits, data, "out")) CHECK(v == -3.0f + 0.5f + 123.0f);
}

// y += a * x over 65536 floats, `repeat` times.
std::string repeated_saxpy(double a, double y0, std::size_t repeat) {
  return "[program]\nbuiltin = \"saxpy\"\n"
         "[buffers.x]\ntype = \"float\"\ncount = 65536\ninit = { fill = 1.0 }\n"
         "[buffers.y]\ntype = \"float\"\ncount = 65536\ninit = { fill = " + std::to_string(y0) + " }\n"
         "[[steps]]\nkernel = \"saxpy\"\nglobal = [65536]\n"
         "args = [{ value = " + std::to_string(a) + " }, { buffer = \"x\" }, { buffer = \"y\", access = \"read_write\" }]\n"
         "repeat = " + std::to_string(repeat) + "\n";
}

TEST_CASE("an interrupt during a run drains it and stops the repetitions") {
  tessera::test::TempDir dir;
  const JobSpec job = spec(dir, repeated_saxpy(1.0, 0.0, 10000000));
  tessera::detail::Interrupter interrupter;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    interrupter.request();
  });
  const JobData data = tessera::detail::run_job(runtime(), job, {std::nullopt, &interrupter});
  stopper.join();
  CHECK(data.report.interrupted);
  const auto& runs = data.report.steps.at(0).runs;
  REQUIRE_FALSE(runs.empty());
  CHECK(runs.size() < 10000000);
  // Every repetition before the last ran whole: y[i] counts them (each adds x[i] = 1).
  std::size_t whole = 0;
  for (const auto& r : runs) whole += r.cancelled ? 0 : 1;
  CHECK(whole >= runs.size() - 1);
  const auto y = values<float>(job, data, "y");
  CHECK(y[0] >= static_cast<float>(runs.size() - 1));
  CHECK(y[0] <= static_cast<float>(runs.size()));
}

TEST_CASE("an interrupt requested before a run stops it: nothing more runs") {
  tessera::test::TempDir dir;
  const JobSpec job = spec(dir, repeated_saxpy(2.0, 1.0, 5));
  tessera::detail::Interrupter interrupter;
  interrupter.request();
  const JobData data = tessera::detail::run_job(runtime(), job, {std::nullopt, &interrupter});
  CHECK(data.report.interrupted);
  CHECK(data.report.steps.at(0).runs.empty());
  // Stopped before it started: y untouched.
  const auto y = values<float>(job, data, "y");
  CHECK(y[0] == 1.0f);
  CHECK(y[65535] == 1.0f);
}

TEST_CASE("inits from files and random seeds; .bin, .png and .ppm outputs; file checks") {
  tessera::test::TempDir dir;
  dir.write("k.cl", kernels);
  // a.npy: int32 [0, 10, 20, ...]; b.bin: raw int32 [5, 5, ...]; ref.npy: a + 1.
  std::vector<std::int32_t> a(300), b(300, 5), ref(300);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<std::int32_t>(i * 10);
    ref[i] = a[i] + 1;
  }
  const auto bytes = [](const std::vector<std::int32_t>& v) {
    return std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(v.data()), v.size() * 4);
  };
  tessera::detail::write_npy(dir.path() / "a.npy", tessera::ElementType::i32, std::vector<std::size_t>{300}, bytes(a));
  tessera::detail::write_npy(dir.path() / "ref.npy", tessera::ElementType::i32, std::vector<std::size_t>{300}, bytes(ref));
  tessera::detail::write_file_atomically(dir.path() / "b.bin", bytes(b));
  const JobSpec job = spec(dir, R"(
[program]
source = "k.cl"
[buffers.a]
type = "int"
count = 300
init = { file = "a.npy" }
[buffers.b]
type = "int"
count = 300
init = { file = "b.bin" }
[buffers.out]
type = "int"
shape = [15, 20]
output = "out.bin"
[buffers.noise]
type = "float"
shape = [15, 20]
init = { random = [-1.0, 1.0], seed = 42 }
output = "noise.png"
image = { colormap = "viridis" }
[buffers.dice]
type = "uchar"
count = 300
init = { random = [1, 6], seed = 42 }
[buffers.rgb]
type = "uchar"
shape = [8, 10, 3]
init = { iota = 0 }
output = "rgb.ppm"
[[steps]]
kernel = "increment"
global = [300]
args = [{ buffer = "a" }, { buffer = "out", access = "write" }]
[[checks]]
buffer = "out"
expect = { file = "ref.npy", rtol = 0.0, atol = 0.0 }
[[checks]]
buffer = "b"
expect = { sum = 1500.0, rtol = 1e-12 }
)");
  const JobData first = tessera::detail::run_job(runtime(), job);
  const JobData second = tessera::detail::run_job(runtime(), job);
  const auto checks = tessera::detail::run_checks(job, first);
  REQUIRE(checks.size() == 2);
  CHECK(checks[0].passed);
  CHECK(checks[1].passed);

  // The same seed gives the same numbers, within the declared bounds.
  const auto noise = values<float>(job, first, "noise");
  CHECK(noise == values<float>(job, second, "noise"));
  const auto dice = values<std::uint8_t>(job, first, "dice");
  bool in_range = true, all_faces = true;
  for (const auto d : dice) in_range = in_range && d >= 1 && d <= 6;
  for (int face = 1; face <= 6; ++face) all_faces = all_faces && std::count(dice.begin(), dice.end(), face) > 20;
  for (const float f : noise) in_range = in_range && f >= -1.0f && f < 1.0f;
  CHECK(in_range);
  CHECK(all_faces);

  const auto written = tessera::detail::write_outputs(job, first);
  CHECK(written.size() == 3);
  const auto raw = read_file(dir.path() / "out.bin");
  REQUIRE(raw.size() == 300 * 4);
  std::int32_t v = 0;
  std::memcpy(&v, raw.data() + 299 * 4, 4);
  CHECK(v == 2991);
  const auto png = read_file(dir.path() / "noise.png");
  REQUIRE(png.size() > 8);
  CHECK(png.substr(1, 3) == "PNG");
  const auto ppm = read_file(dir.path() / "rgb.ppm");
  CHECK(ppm.substr(0, 12) == "P6\n10 8\n255\n");
  CHECK(ppm.size() == 12 + 240);
  CHECK(static_cast<unsigned char>(ppm[12 + 239]) == 239);
}

TEST_CASE("a step whose buffers cannot fit a device is refused at validation, at the step") {
  tessera::test::TempDir dir;
  // Two 256 KiB buffers (y += a x over 65536 floats) on devices said to hold 64 KiB.
  const JobSpec job = spec(dir, repeated_saxpy(1.0, 0.0, 1));
  for (const bool zero_copy : {true, false}) {
    INFO("zero_copy " << zero_copy);
    auto options = tessera::test::runtime_options();
    options.device_memory_limit = 64 * 1024;
    options.zero_copy = zero_copy;
    const tessera::Runtime small(options);
    try {
      tessera::detail::check_kernels(small, job);
      FAIL("the step cannot fit");
    } catch (const tessera::JobError& e) {
      CHECK(e.key() == "steps[0]");
      CHECK(e.line() == 11);
      CHECK(e.reason().find("262144 bytes exceed the largest allocation of device") != std::string::npos);
    }
  }
  // The same job fits the devices as they are.
  CHECK_NOTHROW(tessera::detail::check_kernels(runtime(), job));
}
