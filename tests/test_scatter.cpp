// Scatter buffers (BufferArg::scatter, `scatter = true`): a kernel that writes anywhere, each
// element by one work-item, over contents that are not zeros, split over several chunks and
// devices: the result equals the host's computation bitwise and the elements no work-item writes
// keep their contents; with host arrays and with resident arrays (a later task reads the merged
// result), on the zero-copy and the transfer path, and as a job. Two chunks changing an element
// to different values fail the launch naming it, and leave the buffer as it was; the same value
// twice is no conflict.

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/topology.hpp"
#include "tessera/jobs.hpp"
#include "tessera/tessera.hpp"

using tessera::Schedule;

namespace {

// tests/jobs/good/scatter.cl, which symmetric.toml runs too.
const std::filesystem::path jobs = std::filesystem::path(TESSERA_TEST_SOURCE_DIR) / "jobs" / "good";

constexpr std::uint32_t n = 48;

struct Setup {
  tessera::Runtime rt;
  tessera::Program program;
  explicit Setup(bool zero_copy)
      : rt([&] {
          auto o = tessera::test::runtime_options();
          o.zero_copy = zero_copy;
          return o;
        }()),
        program(rt.compile(tessera::Source::file(jobs / "scatter.cl"))) {}
};

// Both paths: devices on host memory in place where they can, and every device copying.
struct Fixture {
  Setup in_place{true};
  Setup copying{false};
};

Fixture& fixture() { return tessera::test::shared_fixture<Fixture>(); }

std::vector<std::uint32_t> iota(std::size_t count, std::uint32_t first) {
  std::vector<std::uint32_t> v(count);
  std::iota(v.begin(), v.end(), first);
  return v;
}

std::vector<std::uint32_t> symmetric(std::vector<std::uint32_t> m) {
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = i; j < n; ++j) {
      if ((i + j) % 3 == 0) continue;
      m[i * n + j] = m[j * n + i] = (i + 1) * (j + 1) * 7u;
    }
  }
  return m;
}

std::vector<std::uint32_t> symmetrise(std::vector<std::uint32_t> m) {
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = i + 1; j < n; ++j) m[i * n + j] = m[j * n + i] = m[i * n + j] + m[j * n + i];
  }
  return m;
}

std::vector<std::uint32_t> row_sums(const std::vector<std::uint32_t>& m) {
  std::vector<std::uint32_t> sums(n, 0);
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = 0; j < n; ++j) sums[i] += m[i * n + j];
  }
  return sums;
}

// Several chunks on every device set (8 of 6 rows for dynamic).
std::vector<Schedule> schedules() { return {Schedule::dynamic(6), Schedule::static_split(), Schedule::hguided(1)}; }

}  // namespace

TEST_CASE("host arrays: a symmetric fill over non-zero contents equals the host's, untouched elements kept") {
  for (Setup* s : {&fixture().in_place, &fixture().copying}) {
    INFO("zero_copy " << s->rt.options().zero_copy.value_or(true));
    for (const Schedule& schedule : schedules()) {
      INFO("schedule " << schedule.name());
      auto m = iota(n * n, 1000);
      const auto stats = s->rt.run(tessera::Launch{s->program, "symmetric", tessera::NDRange{n}}
                                       .arg(tessera::write(m).scatter())
                                       .arg(n),
                                   schedule);
      CHECK(m == symmetric(iota(n * n, 1000)));
      CHECK(m[1 * n + 2] == 1000 + n + 2);  // (1 + 2) % 3 == 0: no work-item writes it
      if (schedule.name() == "dynamic") CHECK(stats.ledger.size() >= 2);

      // read_write: every chunk sees the whole buffer as it was before the launch.
      auto r = iota(n * n, 5);
      s->rt.run(tessera::Launch{s->program, "symmetrise", tessera::NDRange{n}}
                    .arg(tessera::read_write(r).scatter())
                    .arg(n),
                schedule);
      CHECK(r == symmetrise(iota(n * n, 5)));
    }
  }
}

TEST_CASE("resident arrays: the merged result is where later tasks read it, on either path") {
  for (Setup* s : {&fixture().in_place, &fixture().copying}) {
    INFO("zero_copy " << s->rt.options().zero_copy.value_or(true));
    auto m = s->rt.array(iota(n * n, 1000));
    auto sums = s->rt.array<std::uint32_t>(n);
    // A task leaves m on the devices first: the scatter starts from what it wrote.
    s->rt.submit(tessera::Launch{s->program, "add", tessera::NDRange{n * n}}.arg(tessera::read_write(m)).arg(3u),
                 Schedule::static_split());
    s->rt.submit(tessera::Launch{s->program, "symmetric", tessera::NDRange{n}}.arg(tessera::write(m).scatter()).arg(n),
                 Schedule::dynamic(6));
    s->rt.submit(tessera::Launch{s->program, "row_sums", tessera::NDRange{n}}
                     .arg(tessera::read(m))
                     .arg(tessera::write(sums))
                     .arg(n),
                 Schedule::static_split())
        .wait();
    const auto expect = symmetric(iota(n * n, 1003));
    CHECK(sums.to_vector() == row_sums(expect));
    CHECK(m.to_vector() == expect);
  }
}

TEST_CASE("a scatter buffer and a reduce buffer in one launch: each chunk's copies kept apart") {
  std::uint32_t count = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = i; j < n; ++j) count += (i + j) % 3 == 0 ? 0 : j == i ? 1 : 2;
  }
  const auto expect = symmetric(iota(n * n, 1000));
  for (Setup* s : {&fixture().in_place, &fixture().copying}) {
    INFO("zero_copy " << s->rt.options().zero_copy.value_or(true));
    const auto launch = [&](tessera::BufferArg m, tessera::BufferArg written) {
      return tessera::Launch{s->program, "symmetric_counted", tessera::NDRange{n}}
          .arg(std::move(m).scatter())
          .arg(std::move(written).reduce(tessera::ReduceOp::sum))
          .arg(n);
    };
    auto m = iota(n * n, 1000);
    std::vector<std::uint32_t> written{10};
    s->rt.run(launch(tessera::write(m), tessera::read_write(written)), Schedule::dynamic(6));
    CHECK(m == expect);
    CHECK(written[0] == 10 + count);

    auto m_array = s->rt.array(iota(n * n, 1000));
    auto written_array = s->rt.array(std::vector<std::uint32_t>{10});
    s->rt.submit(launch(tessera::write(m_array), tessera::read_write(written_array)), Schedule::dynamic(6)).wait();
    CHECK(m_array.to_vector() == expect);
    CHECK(written_array.to_vector()[0] == 10 + count);
  }
}

TEST_CASE("two chunks changing an element to different values fail the launch naming it; the same value is fine") {
  for (Setup* s : {&fixture().in_place, &fixture().copying}) {
    INFO("zero_copy " << s->rt.options().zero_copy.value_or(true));
    const auto launch = [&](tessera::BufferArg out, int first, int last) {
      return tessera::Launch{s->program, "ends", tessera::NDRange{n}}.arg(std::move(out)).arg(n).arg(first).arg(last);
    };
    std::vector<int> out(n + 1, -1);
    try {
      s->rt.run(launch(tessera::write(out).scatter(), 5, 9), Schedule::dynamic(6));
      FAIL("a conflict must fail the launch");
    } catch (const tessera::Error& e) {
      INFO(e.what());
      CHECK(e.code() == tessera::Errc::write_conflict);
      const std::string what = e.what();
      CHECK(what.find("kernel 'ends' argument 0 (scatter): element 48 was changed by two chunks") == 0);
      CHECK(what.find("chunk [0, 6) on '") != std::string::npos);
      CHECK(what.find("' wrote 5, chunk [42, 48) on '") != std::string::npos);
      CHECK(what.find("' wrote 9;") != std::string::npos);
    }
    CHECK(out == std::vector<int>(n + 1, -1));  // left as it was
    s->rt.run(launch(tessera::write(out).scatter(), 7, 7), Schedule::dynamic(6));
    CHECK(out[n] == 7);
    CHECK(out[n - 1] == static_cast<int>(n) - 1);

    auto array = s->rt.array(std::vector<int>(n + 1, -1));
    CHECK_THROWS_WITH_AS(s->rt.submit(launch(tessera::write(array).scatter(), 5, 9), Schedule::dynamic(6)),
                         doctest::Contains("(scatter): element 48 was changed by two chunks"), tessera::Error);
    CHECK(array.to_vector() == std::vector<int>(n + 1, -1));
    s->rt.submit(launch(tessera::write(array).scatter(), 7, 7), Schedule::dynamic(6)).wait();
    CHECK(array.to_vector()[n] == 7);
  }
}

TEST_CASE("a checked run takes a scatter buffer as it is: no finding, the results of run()") {
  auto& s = fixture().in_place;
  auto m = iota(n * n, 1000);
  const auto stats = s.rt.check(
      tessera::Launch{s.program, "symmetric", tessera::NDRange{n}}.arg(tessera::write(m).scatter()).arg(n));
  CHECK(stats.findings.empty());
  CHECK(m == symmetric(iota(n * n, 1000)));
}

TEST_CASE("a job: scatter = true over iota contents, read by the next step") {
  const tessera::Job job = tessera::Job::load(jobs / "symmetric.toml");
  const auto expect = symmetric(iota(n * n, 1000));
  for (Setup* s : {&fixture().in_place, &fixture().copying}) {
    INFO("zero_copy " << s->rt.options().zero_copy.value_or(true));
    const tessera::JobResult result = tessera::run_job(s->rt, job);
    const auto m = result.buffer<std::uint32_t>("m");
    CHECK(std::vector<std::uint32_t>(m.begin(), m.end()) == expect);
    const auto sums = result.buffer<std::uint32_t>("sums");
    CHECK(std::vector<std::uint32_t>(sums.begin(), sums.end()) == row_sums(expect));
  }
}

TEST_CASE("a job whose chunks disagree on an element fails at the step, with the conflict's code") {
  const std::string text =
      "[job]\nscheduler = \"dynamic\"\nchunk = 6\n[program]\nsource = \"scatter.cl\"\n"
      "[buffers.out]\ntype = \"int\"\ncount = 49\ninit = { fill = -1 }\n"
      "[[steps]]\nkernel = \"ends\"\nglobal = [48]\n"
      "args = [{ buffer = \"out\", access = \"write\", scatter = true }, { value = 48 }, { value = 5 }, { value = 9 }]\n";
  const tessera::Job job = tessera::Job::parse(text, jobs / "conflict.toml");
  try {
    (void)tessera::run_job(fixture().copying.rt, job);
    FAIL("a conflict must fail the job");
  } catch (const tessera::JobError& e) {
    CHECK(e.code() == tessera::Errc::write_conflict);
    CHECK(e.line() == 10);
    CHECK(e.key() == "steps[0]");
    CHECK(e.reason().find("kernel 'ends' argument 0 (scatter): element 48 was changed by two chunks") == 0);
  }
}
