// The job layer's public API (tessera/jobs.hpp), as an embedder uses it: load or parse a job,
// run it, read its buffers with their types checked, evaluate its checks, write its outputs, and
// read a malformed job's error by its parts.

#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <string>

#include "support/fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/topology.hpp"
#include "tessera/jobs.hpp"
#include "tessera/tessera.hpp"

namespace {

struct Fixture {
  tessera::Runtime rt{tessera::test::runtime_options()};
};

const tessera::Runtime& runtime() { return tessera::test::shared_fixture<Fixture>().rt; }

// y = 3 x + y over n ints; the check holds for n = 1000 only.
const char* const job_text = R"(
[params]
n = 1000
[program]
source = "k.cl"
[buffers.x]
type = "int"
count = "n"
init = { iota = 0 }
[buffers.y]
type = "int"
count = "n"
init = { fill = 7 }
output = "out/y.npy"
[[steps]]
kernel = "axpy"
global = ["n"]
args = [{ value = 3 }, { buffer = "x" }, { buffer = "y", access = "read_write" }]
[[checks]]
buffer = "y"
expect = { sum = 1505500.0 }
)";

const char* const kernel_text =
    "kernel void axpy(const int a, global const int* x, global int* y) {\n"
    "  const size_t i = get_global_id(0);\n  y[i] = a * x[i] + y[i];\n}\n";

}  // namespace

TEST_CASE("a parsed job runs, its buffers read with their types, checks and outputs") {
  tessera::test::TempDir dir;
  dir.write("k.cl", kernel_text);
  std::filesystem::create_directories(dir / "out");
  const tessera::Job job = tessera::Job::parse(job_text, dir / "axpy.toml");
  CHECK(job.name() == "axpy");
  CHECK(job.file() == (dir / "axpy.toml").string());

  const tessera::JobResult result = tessera::run_job(runtime(), job);
  const auto y = result.buffer<int>("y");
  REQUIRE(y.size() == 1000);
  bool all = true;
  for (std::size_t i = 0; i < y.size(); ++i) all = all && y[i] == 3 * static_cast<int>(i) + 7;
  CHECK(all);
  CHECK(result.bytes("x").size() == 1000 * sizeof(int));
  CHECK_THROWS_WITH_AS(result.buffer<float>("y"), "buffer 'y' of job 'axpy' holds int, not float", tessera::Error);
  CHECK_THROWS_WITH_AS(result.bytes("z"), "job 'axpy' has no buffer 'z'", tessera::Error);

  const auto checks = result.checks();
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].passed);
  CHECK(result.report().steps.size() == 1);
  CHECK(result.report().steps[0].runs.size() == 1);
  CHECK(result.report().steps[0].runs[0].items == 1000);

  CHECK_FALSE(std::filesystem::exists(dir / "out" / "y.npy"));
  const auto written = result.write_outputs();
  REQUIRE(written.size() == 1);
  CHECK(written[0] == dir / "out" / "y.npy");
  CHECK(std::filesystem::file_size(written[0]) > 1000 * sizeof(int));
}

TEST_CASE("params override a loaded job, and a failed check says so") {
  tessera::test::TempDir dir;
  dir.write("k.cl", kernel_text);
  std::filesystem::create_directories(dir / "out");
  const tessera::Job job = tessera::Job::load(dir.write("axpy.toml", job_text), {{"n", 10}});
  const tessera::JobResult result = tessera::run_job(runtime(), job, {.scheduler = "dynamic"});
  CHECK(result.buffer<int>("y").size() == 10);
  CHECK(result.report().scheduler == "dynamic");
  const auto checks = result.checks();
  REQUIRE(checks.size() == 1);
  CHECK_FALSE(checks[0].passed);
  CHECK(checks[0].message.find("differs from 1505500") != std::string::npos);
}

TEST_CASE("a malformed job is a JobError with its place and key") {
  tessera::test::TempDir dir;
  try {
    (void)tessera::Job::parse("[program]\nbuiltin = \"saxpy\"\n[buffers.x]\ntype = \"flaot\"\ncount = 4\n",
                              dir / "bad.toml");
    FAIL("the job must be refused");
  } catch (const tessera::JobError& e) {
    CHECK(e.code() == tessera::Errc::invalid_argument);
    CHECK(e.file() == (dir / "bad.toml").string());
    CHECK(e.line() == 4);
    CHECK(e.column() == 8);
    CHECK(e.key() == "buffers.x.type");
    CHECK(e.reason() == "unknown type 'flaot'; did you mean 'float'?");
  }
  CHECK_THROWS_AS(tessera::Job::load(dir / "missing.toml"), tessera::JobError);
}
