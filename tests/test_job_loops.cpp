// Loops over job steps on every device set: a loop gives what the same launches written out as
// flat steps give, and what the host computes (bitwise for integer kernels); counters as scalars,
// in global, local and offset; swaps inside loops; nested and triangular loops; the LU and heat
// samples against host references, on devices in host memory and on devices that copy.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "job/job_loader.hpp"
#include "job/job_runner.hpp"
#include "job/step_walk.hpp"
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
  tessera::Runtime copying{[] {
    auto options = tessera::test::runtime_options();
    options.zero_copy = false;  // every device copies, PoCL's too (TESSERA_ZERO_COPY=off)
    return options;
  }()};
};

const Fixture& fixture() { return tessera::test::shared_fixture<Fixture>(); }

template <typename T>
std::vector<T> values(const JobSpec& job, const JobData& data, const std::string& name) {
  return tessera::test::job_values<T>(job, data, name);
}

const char* const kernels = R"(
kernel void scramble(global int* v, const int k) { const int i = (int)get_global_id(0); v[i] = v[i] * 3 + k + i; }
kernel void add_group(global int* w, const int k) {
  w[get_global_id(0)] += k * 100 + (int)get_local_size(0);
}
kernel void twice(global const int* a, global int* b, const int t) {
  const int i = (int)get_global_id(0);
  b[i] = a[i] * 2 + t;
}
kernel void tri(global int* c, const int i, const int j) { c[get_global_id(0)] += 1 + i * 7 + j; }
)";

// Four int buffers of n elements: v and a count from 1 and 0, w starts at 0, b is written first.
std::string head() {
  std::string text = "[params]\nn = 24\n[program]\nsource = \"k.cl\"\n";
  for (const auto& [name, init] : {std::pair{"v", "{ iota = 1 }"}, {"w", "{ fill = 0 }"}, {"a", "{ iota = 0 }"}}) {
    text += fmt::format("[buffers.{}]\ntype = \"int\"\ncount = \"n\"\ninit = {}\n", name, init);
  }
  return text + "[buffers.b]\ntype = \"int\"\ncount = \"n\"\n";
}

// The body of the loop over k in [0, 3): the counter as a scalar, in global and offset, in local,
// and in a swapped step repeated twice. `k` is "k" inside the loop, a number when written flat.
std::string body(const std::string& table, const std::string& k) {
  return fmt::format(R"(
[[{0}]]
kernel = "scramble"
global = ["n - {1}"]
offset = ["{1}"]
args = [{{ buffer = "v", access = "read_write" }}, {{ value = "{1}" }}]
[[{0}]]
kernel = "add_group"
global = ["n"]
local = ["{1} + 1"]
args = [{{ buffer = "w", access = "read_write" }}, {{ value = "{1}" }}]
[[{0}]]
kernel = "twice"
global = ["n"]
args = [{{ buffer = "a" }}, {{ buffer = "b", access = "write" }}, {{ value = "{1}" }}]
repeat = 2
swap = ["a", "b"]
)",
                     table, k);
}

JobSpec load(tessera::test::TempDir& dir, const std::string& name, const std::string& text) {
  dir.write("k.cl", kernels);
  return tessera::detail::load_job_spec(dir.write(name, text));
}

}  // namespace

TEST_CASE("a loop gives what its launches written as flat steps give, and what the host computes") {
  tessera::test::TempDir dir;
  const JobSpec looped = load(dir, "loop.toml", head() + "[[steps]]\nfor = { k = [0, 3] }\n" +
                                                    body("steps.do", "k"));
  std::string flat_text = head();
  for (int k = 0; k < 3; ++k) flat_text += body("steps", std::to_string(k));
  const JobSpec flat = load(dir, "flat.toml", flat_text);
  REQUIRE(looped.steps.size() == 3);
  CHECK(looped.steps[2].path == "steps[0].do[2]");
  const auto counts = tessera::detail::count_steps(looped);
  CHECK(counts[0].launches == 3);
  CHECK(counts[0].split_indices == 24 + 23 + 22);
  CHECK(counts[2].launches == 6);

  // The host's answer.
  std::vector<std::int32_t> v(24), w(24, 0), a(24);
  for (int i = 0; i < 24; ++i) v[i] = i + 1, a[i] = i;
  for (int k = 0; k < 3; ++k) {
    for (int i = k; i < 24; ++i) v[i] = v[i] * 3 + k + i;
    for (int i = 0; i < 24; ++i) w[i] += k * 100 + k + 1;
    for (int r = 0; r < 2; ++r) {
      for (int i = 0; i < 24; ++i) a[i] = a[i] * 2 + k;
    }
  }
  for (const char* scheduler : {"dynamic", "hguided"}) {
    CAPTURE(scheduler);
    const JobData l = tessera::detail::run_job(fixture().rt, looped, {scheduler, nullptr});
    const JobData f = tessera::detail::run_job(fixture().rt, flat, {scheduler, nullptr});
    for (const char* name : {"v", "w", "a", "b"}) {
      CAPTURE(name);
      CHECK(values<std::int32_t>(looped, l, name) == values<std::int32_t>(flat, f, name));
    }
    CHECK(values<std::int32_t>(looped, l, "v") == v);
    CHECK(values<std::int32_t>(looped, l, "w") == w);
    CHECK(values<std::int32_t>(looped, l, "a") == a);  // the newest after an even number of swaps
    // Per-step statistics sum every launch of the step.
    REQUIRE(l.report.steps.size() == 3);
    CHECK(l.report.steps[0].totals.runs == 3);
    CHECK(l.report.steps[0].totals.items == 24 + 23 + 22);
    CHECK(l.report.steps[2].totals.runs == 6);
  }
}

TEST_CASE("nested and triangular loops: inner bounds from the outer counter, empty for some outer values") {
  tessera::test::TempDir dir;
  const JobSpec job = load(dir, "tri.toml", R"(params = { n = 12 }
program = { source = "k.cl" }
buffers = { c = { type = "int", count = "n", init = { fill = 0 } } }
[[steps]]
for = { i = [0, "n", 3] }
[[steps.do]]
for = { j = ["i + 1", "n", 2] }
[[steps.do.do]]
kernel = "tri"
global = ["n - j"]
offset = ["j"]
args = [{ buffer = "c", access = "read_write" }, { value = "i" }, { value = "j" }]
)");
  std::vector<std::int32_t> want(12, 0);
  std::uint64_t launches = 0;
  for (int i = 0; i < 12; i += 3) {
    for (int j = i + 1; j < 12; j += 2, ++launches) {
      for (int g = j; g < 12; ++g) want[g] += 1 + i * 7 + j;
    }
  }
  CHECK(tessera::detail::count_steps(job)[0].launches == launches);
  const JobData data = tessera::detail::run_job(fixture().rt, job);
  CHECK(values<std::int32_t>(job, data, "c") == want);
  CHECK(data.report.steps.at(0).totals.runs == launches);

  // --set moves the bounds; the outer loop's last value leaves the inner range empty.
  const JobSpec small = tessera::detail::load_job_spec(dir / "tri.toml", {{"n", 4}});
  CHECK(tessera::detail::count_steps(small)[0].launches == 2);  // i = 0: j = 1, 3; i = 3: none (j from 4)
  CHECK(values<std::int32_t>(small, tessera::detail::run_job(fixture().rt, small), "c") ==
        std::vector<std::int32_t>{0, 2, 2, 6});
}

namespace {

// Host LU without pivoting of the sample's matrix, in doubles.
std::vector<double> host_lu(int n) {
  const auto entry = [n](std::uint32_t i, std::uint32_t j) {
    std::uint32_t h = (i * 2654435761u) ^ ((j + 0x9e3779b9u) * 2246822519u);
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    return static_cast<double>(static_cast<float>(h & 0xffffu) / 65536.0f + (i == j ? static_cast<float>(n) : 0.0f));
  };
  std::vector<double> a(static_cast<std::size_t>(n) * n);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) a[i * n + j] = entry(i, j);
  }
  for (int k = 0; k < n - 1; ++k) {
    for (int i = k + 1; i < n; ++i) {
      const double l = a[i * n + k] / a[k * n + k];
      a[i * n + k] = l;
      for (int j = k + 1; j < n; ++j) a[i * n + j] -= l * a[k * n + j];
    }
  }
  return a;
}

JobSpec sample(const std::string& name, const tessera::detail::ParamOverrides& overrides) {
  return tessera::detail::load_job_spec(
      std::filesystem::path(TESSERA_TEST_SOURCE_DIR) / ".." / "samples" / "jobs" / name, overrides);
}

// Runs an LU sample of an n x n matrix in host memory and through copies: its matrix against the
// host's LU within `tolerance`, its check passed; `launches(report)` checks the loop's counts.
void check_lu_sample(const JobSpec& job, int n, double tolerance,
                     const std::function<void(const tessera::JobReport&)>& launches) {
  const std::vector<double> want = host_lu(n);
  for (const bool zero_copy : {true, false}) {
    INFO("zero_copy " << zero_copy);
    const tessera::Runtime& rt = zero_copy ? fixture().rt : fixture().copying;
    const JobData data = tessera::detail::run_job(rt, job, {"dynamic", nullptr});
    const auto a = values<float>(job, data, "a");
    double worst = 0;
    for (std::size_t i = 0; i < want.size(); ++i) worst = std::max(worst, std::abs(a[i] - want[i]));
    CHECK(worst < tolerance);
    const auto checks = tessera::detail::run_checks(job, data);
    REQUIRE(checks.size() == 1);
    CHECK(checks[0].passed);
    launches(data.report);
    if (!zero_copy) {
      REQUIRE(data.report.transfers);
      CHECK(data.report.transfers->minimum.total() <= data.report.transfers->moved.total());
    }
  }
}

}  // namespace

TEST_CASE("the LU sample: the pivot loop over offset ranges gives the host's LU, in place and through copies") {
  const int n = 24;
  check_lu_sample(sample("lu.toml", {{"n", n}}), n, 1e-4, [&](const tessera::JobReport& report) {
    CHECK(report.steps.at(1).totals.runs == n - 1);
    CHECK(report.steps.at(2).totals.items == std::uint64_t(n) * (n - 1) / 2);  // rows k+1..n-1 for each k
  });
}

TEST_CASE("the blocked LU sample: block rows factored whole (split = 0, shift = -K), rows below updated in parallel") {
  const int nb = 4, b = 8, n = nb * b;
  check_lu_sample(sample("lu_blocked.toml", {{"nb", nb}, {"b", b}}), n, 1e-3, [&](const tessera::JobReport& report) {
    CHECK(report.steps.at(1).totals.runs == nb - 1);
    CHECK(report.steps.at(2).totals.items == std::uint64_t(nb - 1) * n / 2);  // the rows below each block row
  });
}

TEST_CASE("the heat sample: a time loop with a halo step, a source taking the counter, and a swap") {
  const int n = 64, t_end = 12;
  const JobSpec job = sample("heat.toml", {{"n", n}, {"t_end", t_end}});
  std::vector<float> u(n, 0.0f), v(n);
  for (int t = 0; t < t_end; ++t) {
    for (int i = 0; i < n; ++i) {
      const float c = u[i], left = i > 0 ? u[i - 1] : c, right = i < n - 1 ? u[i + 1] : c;
      v[i] = c + 0.25f * (left - 2.0f * c + right);
    }
    v[n / 2] += 0.5f * static_cast<float>(t % 10);
    std::swap(u, v);
  }
  const JobData data = tessera::detail::run_job(fixture().rt, job, {"dynamic", nullptr});
  const auto got = values<float>(job, data, "u");
  double worst = 0;
  for (int i = 0; i < n; ++i) worst = std::max(worst, static_cast<double>(std::abs(got[i] - u[i])));
  CHECK(worst < 1e-5);
  CHECK(data.report.steps.at(1).totals.runs == t_end);
}

TEST_CASE("checked runs and validation walk every launch of a loop") {
  const JobSpec job = sample("lu.toml", {{"n", 8}});
  CHECK_NOTHROW(tessera::detail::check_kernels(fixture().rt, job));
  const JobData data = tessera::detail::run_job(fixture().rt, job, {std::nullopt, nullptr, true});
  for (const auto& step : data.report.steps) {
    for (const auto& run : step.runs) CHECK(run.findings.empty());
  }
  CHECK(tessera::detail::run_checks(job, data).at(0).passed);
}

TEST_CASE("an interrupt stops a loop: no further launch is submitted") {
  const JobSpec job = sample("heat.toml", {{"n", 64}, {"t_end", 5}});
  tessera::detail::Interrupter interrupter;
  interrupter.request();
  const JobData data = tessera::detail::run_job(fixture().rt, job, {std::nullopt, &interrupter});
  CHECK(data.report.interrupted);
  REQUIRE(data.report.steps.size() == 2);
  CHECK(data.report.steps[0].step == "steps[0].do[0]");
  CHECK(data.report.steps[0].totals.runs == 0);
  CHECK(data.report.steps[1].totals.runs == 0);
}
