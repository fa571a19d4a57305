// Job files: good jobs load to exactly the values written, and every malformed job in
// tests/jobs/bad/ gives exactly the one-line error its first line promises.
//
// A malformed job starts with
//   # expect: LINE:COL: KEY: MESSAGE        (or "# expect: KEY: MESSAGE" when there is no place)
//   # set: NAME=VALUE                       (optional, repeatable: --set overrides)
// and must fail with what() == "<its path>:" + the expectation ("<its path>: " without a place).
// "{dir}" in the expectation stands for the folder of the job file, "{jobs}" for its parent.

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "job/host_memory.hpp"
#include "job/job_loader.hpp"
#include "job/npy.hpp"
#include "job/step_values.hpp"
#include "support/fuzz_corpus.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using tessera::Access;
using tessera::ElementType;
using tessera::Errc;
using tessera::ReduceOp;
using tessera::detail::BufferRef;
using tessera::detail::FileExpect;
using tessera::detail::FileInit;
using tessera::detail::FillInit;
using tessera::detail::ImageSpec;
using tessera::detail::IotaInit;
using tessera::JobError;
using tessera::detail::JobSpec;
using tessera::detail::load_job_spec;
using tessera::detail::OutputFormat;
using tessera::detail::parse_job_spec;
using tessera::detail::ParamOverrides;
using tessera::detail::RandomInit;
using tessera::detail::ScalarArg;
using tessera::detail::SourcePos;
using tessera::detail::SumExpect;
using tessera::test::TempDir;

namespace {

using Shape = std::vector<std::size_t>;

// Step k's values outside any loop.
tessera::detail::StepValues values_of(const JobSpec& job, std::size_t k) {
  return tessera::detail::step_values(job, job.steps.at(k), tessera::detail::Scope(job.params));
}

// The JobError loading `file` gives (fails the test if there is none).
JobError error_of(const fs::path& file, const ParamOverrides& overrides = {}) {
  try {
    load_job_spec(file, overrides);
  } catch (const JobError& e) {
    return e;
  }
  FAIL("no error for " << file.string());
  return JobError(Errc::invalid_argument, "", 0, 0, "", "");
}

JobError text_error(std::string_view text, const fs::path& file,
                    const ParamOverrides& overrides = {}) {
  try {
    parse_job_spec(text, file, overrides);
  } catch (const JobError& e) {
    return e;
  }
  FAIL("no error for " << file.string());
  return JobError(Errc::invalid_argument, "", 0, 0, "", "");
}

void write_f32_npy(const fs::path& path, const Shape& shape) {
  std::size_t count = 1;
  for (const auto e : shape) count *= e;
  std::vector<unsigned char> bytes(count * 4);
  tessera::detail::write_npy(path, ElementType::f32, shape, bytes);
}

const char* saxpy_job = R"(# saxpy: y = a*x + y
[params]
n = 1048576
chunk = "n / 16"

[job]
name = "saxpy-test"
devices = "cpu,-name=oclgrind"
scheduler = "dynamic"
chunk = "chunk"
pipeline = 3
retries = 1

[program]
source = "saxpy.cl"
options = "-cl-fast-relaxed-math"
defines = { ALPHA_IS_CONST = 1, SCALE = 2.5, NAME = "x", FLAG = true }

[buffers.x]
type = "float"
count = "n"
init = { random = [-1.0, 1.0], seed = 7 }

[buffers.y]
type = "float"
count = "n"
init = { file = "y.npy" }
output = "out/y.npy"

[[steps]]
kernel = "saxpy"
global = ["n"]
local = [64]
args = [
  { value = 2.0, type = "float" },
  { buffer = "x" },
  { buffer = "y", access = "read_write" },
  { value = "n / 2" },
]

[[checks]]
buffer = "y"
expect = { file = "y_ref.npy", rtol = 1e-4, atol = 1e-6 }

[[checks]]
buffer = "y"
expect = { sum = 123.5 }
)";

const char* mandelbrot_job = R"([params]
w = 1024
h = 768
iterations = 256

[job]
scheduler = "hguided"
min_chunk = 16

[program]
builtin = "mandelbrot"

[buffers.counts]
type = "uint"
shape = ["h", "w"]
output = "mandelbrot.png"
image = { colormap = "viridis", range = [0, "iterations"] }

[buffers.hist]
type = "uint"
count = "iterations"
init = { fill = 0 }

[buffers.lut]
type = "uchar"
count = 256
init = { iota = 0 }

[buffers.field]
type = "double"
shape = ["h", "w"]
init = { fill = "iterations / 2" }

[[steps]]
kernel = "mandelbrot"
global = ["w", "h"]
local = [16, 8]
args = [
  { buffer = "counts", access = "write" },
  { buffer = "hist", access = "read_write", reduce = "max" },
  { buffer = "lut", whole = true },
  { value = "iterations", type = "int" },
  { buffer = "field", halo = 2 },
]
repeat = 4
)";

}  // namespace

TEST_CASE("a saxpy job loads to exactly the values written") {
  TempDir dir;
  dir.write("saxpy.cl", "kernel void saxpy(float a) {}\n");
  fs::create_directories(dir / "out");
  write_f32_npy(dir / "y.npy", {1048576});
  write_f32_npy(dir / "y_ref.npy", {1024, 1024});  // a check compares element counts only
  const fs::path file = dir.write("saxpy.toml", saxpy_job);

  const JobSpec job = load_job_spec(file);
  CHECK(job.file == file.string());
  CHECK(job.folder == dir.path());
  CHECK(job.params.at("n") == 1048576);
  CHECK(job.params.at("chunk") == 65536);
  CHECK(job.name == "saxpy-test");
  CHECK(job.devices == "cpu,-name=oclgrind");
  CHECK(job.devices_pos == SourcePos{8, 11});
  CHECK(job.scheduler.name == "dynamic");
  CHECK(job.scheduler.pos == SourcePos{9, 13});
  CHECK(job.scheduler.chunk == 65536u);
  CHECK_FALSE(job.scheduler.min_chunk);
  CHECK(job.scheduler.pipeline == 3u);
  CHECK(job.scheduler.retries == 1u);
  CHECK_FALSE(job.scheduler.cpu_split);

  CHECK(job.program.source == dir / "saxpy.cl");
  CHECK(job.program.builtin.empty());
  CHECK(job.program.pos == SourcePos{15, 10});
  CHECK(job.program.options == "-cl-fast-relaxed-math");
  using Define = std::pair<std::string, std::string>;
  CHECK(job.program.defines == std::vector<Define>{{"ALPHA_IS_CONST", "1"},
                                                   {"SCALE", "2.5"},
                                                   {"NAME", "x"},
                                                   {"FLAG", "1"}});

  REQUIRE(job.buffers.size() == 2);
  const auto& x = job.buffers[0];
  CHECK(x.name == "x");
  CHECK(x.type == ElementType::f32);
  CHECK(x.shape == Shape{1048576});
  CHECK(x.count() == 1048576);
  CHECK(x.bytes() == 4 * 1048576);
  CHECK(x.pos == SourcePos{19, 1});
  CHECK(x.type_pos == SourcePos{20, 8});
  REQUIRE(std::holds_alternative<RandomInit>(x.init));
  const auto& random = std::get<RandomInit>(x.init);
  CHECK(std::get<double>(random.lo) == -1.0);
  CHECK(std::get<double>(random.hi) == 1.0);
  CHECK(random.seed == 7);
  CHECK_FALSE(x.output);
  CHECK_FALSE(x.image);

  const auto& y = job.buffers[1];
  CHECK(y.name == "y");
  REQUIRE(std::holds_alternative<FileInit>(y.init));
  CHECK(std::get<FileInit>(y.init).path == dir / "y.npy");
  CHECK(std::get<FileInit>(y.init).npy);
  REQUIRE(y.output);
  CHECK(y.output->path == dir / "out/y.npy");
  CHECK(y.output->format == OutputFormat::npy);
  CHECK(y.output->pos == SourcePos{28, 10});

  REQUIRE(job.steps.size() == 1);
  const auto& step = job.steps[0];
  CHECK(step.kernel == "saxpy");
  CHECK(step.pos == SourcePos{30, 1});
  CHECK(step.path == "steps[0]");
  CHECK(values_of(job, 0).global == Shape{1048576});
  CHECK(values_of(job, 0).local == Shape{64});
  CHECK(values_of(job, 0).offset.empty());
  CHECK(step.repeat == 1);
  CHECK_FALSE(step.swap);
  REQUIRE(step.args.size() == 4);
  const auto& a = std::get<ScalarArg>(step.args[0].arg);
  CHECK(std::get<double>(a.value) == 2.0);
  CHECK(a.type == ElementType::f32);
  CHECK(step.args[0].pos == SourcePos{35, 3});
  const auto& ax = std::get<BufferRef>(step.args[1].arg);
  CHECK(ax.buffer == "x");
  CHECK(ax.index == 0);
  CHECK(ax.access == Access::read);
  CHECK(ax.role == BufferRef::Role::split);
  const auto& ay = std::get<BufferRef>(step.args[2].arg);
  CHECK(ay.index == 1);
  CHECK(ay.access == Access::read_write);
  const auto& half = std::get<ScalarArg>(step.args[3].arg);
  CHECK(std::get<std::int64_t>(values_of(job, 0).scalars[3]) == 524288);
  CHECK_FALSE(half.type);  // from the kernel's signature when the job runs

  REQUIRE(job.checks.size() == 2);
  CHECK(job.checks[0].buffer == "y");
  CHECK(job.checks[0].index == 1);
  const auto& expect = std::get<FileExpect>(job.checks[0].expect);
  CHECK(expect.path == dir / "y_ref.npy");
  CHECK(expect.rtol == 1e-4);
  CHECK(expect.atol == 1e-6);
  const auto& sum = std::get<SumExpect>(job.checks[1].expect);
  CHECK(sum.sum == 123.5);
  CHECK(sum.rtol == 1e-5);
}

TEST_CASE("a mandelbrot job: 2-D shape, png output with a colormap, every role") {
  TempDir dir;
  const fs::path file = dir.write("mandel.toml", mandelbrot_job);
  const JobSpec job = load_job_spec(file);
  CHECK(job.name == "mandel");  // the file's stem
  CHECK(job.devices.empty());
  CHECK(job.scheduler.name == "hguided");
  CHECK(job.scheduler.min_chunk == 16u);
  CHECK(job.program.builtin == "mandelbrot");
  CHECK(job.program.source.empty());

  REQUIRE(job.buffers.size() == 4);
  const auto& counts = job.buffers[0];
  CHECK(counts.name == "counts");
  CHECK(counts.type == ElementType::u32);
  CHECK(counts.shape == Shape{768, 1024});
  CHECK(counts.count() == 768 * 1024);
  CHECK(std::holds_alternative<std::monostate>(counts.init));
  REQUIRE(counts.output);
  CHECK(counts.output->format == OutputFormat::png);
  CHECK(counts.output->path == dir / "mandelbrot.png");
  REQUIRE(counts.image);
  CHECK(counts.image->colormap == "viridis");
  REQUIRE(counts.image->range);
  CHECK(counts.image->range->first == 0.0);
  CHECK(counts.image->range->second == 256.0);
  CHECK(counts.image->pos == SourcePos{17, 9});

  const auto& hist = job.buffers[1];
  CHECK(hist.shape == Shape{256});
  CHECK(std::get<std::int64_t>(std::get<FillInit>(hist.init).value) == 0);
  const auto& lut = job.buffers[2];
  CHECK(lut.type == ElementType::u8);
  CHECK(std::get<std::int64_t>(std::get<IotaInit>(lut.init).start) == 0);
  const auto& field = job.buffers[3];
  CHECK(field.type == ElementType::f64);
  CHECK(std::get<std::int64_t>(std::get<FillInit>(field.init).value) == 128);

  REQUIRE(job.steps.size() == 1);
  const auto& step = job.steps[0];
  CHECK(values_of(job, 0).global == Shape{1024, 768});
  CHECK(values_of(job, 0).local == Shape{16, 8});
  CHECK(step.repeat == 4);
  REQUIRE(step.args.size() == 5);
  const auto& c = std::get<BufferRef>(step.args[0].arg);
  CHECK(c.access == Access::write);
  CHECK(c.role == BufferRef::Role::split);
  const auto& h = std::get<BufferRef>(step.args[1].arg);
  CHECK(h.role == BufferRef::Role::reduce);
  CHECK(h.reduce == ReduceOp::max);
  CHECK(std::get<BufferRef>(step.args[2].arg).role == BufferRef::Role::whole);
  const auto& it = std::get<ScalarArg>(step.args[3].arg);
  CHECK(std::get<std::int64_t>(values_of(job, 0).scalars[3]) == 256);
  CHECK(it.type == ElementType::i32);
  const auto& halo = std::get<BufferRef>(step.args[4].arg);
  CHECK(halo.buffer == "field");
  CHECK(halo.index == 3);
  CHECK(halo.role == BufferRef::Role::halo);
  CHECK(halo.halo == 2);
  CHECK(job.checks.empty());
}

TEST_CASE("--set replaces a param before the params are resolved") {
  TempDir dir;
  const fs::path file = dir.write("mandel.toml", mandelbrot_job);
  const JobSpec job = load_job_spec(file, {{"w", 64}, {"h", 32}});
  CHECK(job.params.at("w") == 64);
  CHECK(job.buffers[0].shape == Shape{32, 64});
  CHECK(values_of(job, 0).global == Shape{64, 32});

  // An override may replace a param whose own expression would fail.
  const auto text = "[params]\nn = \"m / 0\"\nm = 4\n[program]\nbuiltin = \"saxpy\"\n"
                    "[[steps]]\nkernel = \"k\"\nglobal = [\"n\"]\n";
  CHECK(values_of(parse_job_spec(text, dir / "t.toml", {{"n", 8}}), 0).global == Shape{8});
  CHECK(text_error(text, dir / "t.toml").key() == "params.n");
}

TEST_CASE("a memo of job texts parses a text once, each load with its own --set values and file") {
  TempDir dir;
  tessera::detail::JobTextMemo memo(2);
  const auto load = [&](std::string_view text, const char* file, std::int64_t w) {
    return parse_job_spec(text, dir / file, {{"w", w}, {"h", 8}}, tessera::detail::JobFolder::existing, &memo);
  };
  CHECK(load(mandelbrot_job, "a.toml", 64).buffers[0].shape == Shape{8, 64});
  const JobSpec again = load(mandelbrot_job, "b.toml", 32);
  CHECK(memo.hits() == 1);
  CHECK(again.buffers[0].shape == Shape{8, 32});
  CHECK(again.file == (dir / "b.toml").string());
  // A text that does not parse is not kept: each load says why, naming its own file.
  const std::string broken = std::string(mandelbrot_job) + "\n[params\n";
  for (const char* file : {"c.toml", "d.toml"}) {
    try {
      load(broken, file, 64);
      FAIL("a broken text loaded");
    } catch (const JobError& e) {
      CHECK(e.file() == (dir / file).string());
    }
  }
  CHECK(memo.hits() == 1);
  // The least recently used text goes first.
  load("[program]\nbuiltin = \"saxpy\"\n[params]\nw = 1\nh = 1\n[[steps]]\nkernel = \"k\"\nglobal = [1]\n", "e.toml", 1);
  load("[program]\nbuiltin = \"saxpy\"\n[params]\nw = 2\nh = 2\n[[steps]]\nkernel = \"k\"\nglobal = [1]\n", "f.toml", 1);
  load(mandelbrot_job, "g.toml", 16);
  CHECK(memo.hits() == 1);
}

TEST_CASE("the job file itself cannot be read") {
  TempDir dir;
  const JobError e = error_of(dir / "none.toml");
  CHECK(e.code() == Errc::io);
  CHECK(e.line() == 0);
  CHECK(std::string(e.what()) ==
        (dir / "none.toml").string() + ": cannot read the job file: No such file or directory");
}

TEST_CASE("JobError carries file, place, key and reason apart") {
  TempDir dir;
  const fs::path file = dir.write("j.toml", "[program]\nbuiltin = \"saxpy\"\n\n[buffers.x]\n"
                                            "type = \"flaot\"\ncount = 4\n");
  const JobError e = error_of(file);
  CHECK(e.file() == file.string());
  CHECK(e.line() == 5);
  CHECK(e.column() == 8);
  CHECK(e.key() == "buffers.x.type");
  CHECK(e.reason() == "unknown type 'flaot'; did you mean 'float'?");
  CHECK(e.code() == Errc::invalid_argument);
  CHECK(std::string(e.what()) ==
        file.string() + ":5:8: buffers.x.type: unknown type 'flaot'; did you mean 'float'?");
}

TEST_CASE("an output folder that is not writable, or not a folder") {
  TempDir dir;
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  fs::create_directories(dir / "ro");
  fs::permissions(dir / "ro", fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                  fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  dir.write("plain", "a regular file\n");
  const auto job = [](std::string_view output) {
    return fmt::format("[program]\nbuiltin = \"saxpy\"\n[buffers.y]\ntype = \"float\"\ncount = 4\n"
                       "output = \"{}\"\n[[steps]]\nkernel = \"k\"\nglobal = [4]\n", output);
  };
  // Permissions bind everyone but root: the check runs without privileges (exit 0: as expected).
  const int unprivileged = tessera::test::run_unprivileged([&] {
    const JobError e = text_error(job("ro/y.npy"), dir / "j.toml");
    const bool ok = e.key() == "buffers.y.output" && e.line() == 6 &&
                    e.reason() == fmt::format("folder {} is not writable: Permission denied", (dir / "ro").string());
    return ok ? 0 : 1;
  });
  CHECK(unprivileged == 0);

  // A "folder" that is a regular file fails for everyone, root included.
  const JobError e = text_error(job("plain/y.npy"), dir / "j.toml");
  CHECK(e.key() == "buffers.y.output");
  CHECK(e.line() == 6);
  CHECK(e.reason().find("is not a folder") != std::string::npos);

  // A fresh folder (a worker's task folder, not made yet) is not looked up: outputs are taken
  // as written, in lexically normal form.
  const JobSpec fresh = parse_job_spec(job("plain/../out/./y.npy"), dir / "task-1/j.toml", {}, tessera::detail::JobFolder::fresh);
  REQUIRE(fresh.buffers[0].output);
  CHECK(fresh.buffers[0].output->target == dir / "task-1/out/y.npy");
  CHECK_FALSE(fs::exists(dir / "task-1"));
}

TEST_CASE("a job whose buffers cannot all fit in the host's memory is refused where it stops fitting") {
  TempDir dir;
  const auto memory = tessera::detail::host_memory();
  REQUIRE(memory.bytes > 0);
  // Two buffers of half the memory and a byte each: the second one does not fit.
  const std::uint64_t half = memory.bytes / 2 + 1;
  const auto text = fmt::format("[program]\nbuiltin = \"saxpy\"\n[buffers.a]\ntype = \"char\"\ncount = {0}\n"
                                "[buffers.b]\ntype = \"char\"\ncount = {0}\n[[steps]]\nkernel = \"k\"\nglobal = [1]\n",
                                half);
  const JobError e = text_error(text, dir / "j.toml");
  CHECK(e.key() == "buffers.b.count");
  CHECK(e.line() == 8);
  CHECK(e.column() == 9);
  CHECK(e.reason() == fmt::format("buffer 'b' (char [{0}]) takes {0} bytes; with the buffers before it the job needs "
                                  "{1} bytes of host memory, more than the {2} bytes of {3}",
                                  half, 2 * half, memory.bytes, memory.limit));
  // One absurd buffer (10^17 floats), given as a shape.
  const JobError huge = text_error("[program]\nbuiltin = \"saxpy\"\n[buffers.x]\ntype = \"float\"\n"
                                   "shape = [100000000000, 1000000]\n",
                                   dir / "j.toml");
  CHECK(huge.key() == "buffers.x.shape");
  CHECK(huge.reason().find("takes 400000000000000000 bytes") != std::string::npos);
}

TEST_CASE("every malformed job in tests/jobs/bad gives exactly its error") {
  const fs::path bad = fs::path(TESSERA_TEST_SOURCE_DIR) / "jobs" / "bad";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(bad)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  CHECK(files.size() >= 40);

  for (const auto& file : files) {
    CAPTURE(file.filename().string());
    std::ifstream in(file);
    std::string line;
    std::string expect;
    ParamOverrides overrides;
    while (std::getline(in, line) && line.starts_with("# ")) {
      if (line.starts_with("# expect: ")) expect = line.substr(10);
      if (line.starts_with("# set: ")) {
        const auto eq = line.find('=');
        overrides[line.substr(7, eq - 7)] = std::stoll(line.substr(eq + 1));
      }
    }
    REQUIRE_MESSAGE(!expect.empty(), "no '# expect: ' line");
    for (std::size_t at; (at = expect.find("{dir}")) != std::string::npos;) {
      expect.replace(at, 5, bad.string());
    }
    for (std::size_t at; (at = expect.find("{jobs}")) != std::string::npos;) {
      expect.replace(at, 6, bad.parent_path().string());
    }
    const bool placed = !expect.empty() && expect[0] >= '0' && expect[0] <= '9';
    const std::string wanted = file.string() + (placed ? ":" : ": ") + expect;
    const JobError e = error_of(file, overrides);
    CHECK(std::string(e.what()) == wanted);
    if (placed) {
      CHECK(e.line() == std::stoul(expect));
      CHECK(e.column() == std::stoul(expect.substr(expect.find(':') + 1)));
    } else {
      CHECK(e.line() == 0);
    }
  }
}

TEST_CASE("every input in the job fuzzer's corpus gives a job or a JobError inside the text") {
  // The same contract as tests/fuzz/fuzz_job.cpp, so that every test run (under ASan and UBSan
  // too) replays the inputs the fuzzer once found.
  const auto corpus = tessera::test::fuzz_corpus("job");
  for (const auto& [name, text] : corpus) {
    const std::string& file = name;  // CAPTURE cannot name a structured binding (Clang < 16)
    CAPTURE(file);
    try {
      const JobSpec job = parse_job_spec(text, "fuzz/job.toml", {{"n", 64}});
      CHECK(!job.steps.empty());
    } catch (const JobError& e) {
      CHECK(e.line() <= std::count(text.begin(), text.end(), '\n') + 1);
    }
  }
  CHECK(corpus.size() >= 20);
}

TEST_CASE("loops load as a tree over the kernel steps, in file order, with expressions kept per launch") {
  TempDir dir;
  const auto text = R"TOML(params = { n = 16 }
program = { builtin = "saxpy" }
buffers = { a = { type = "int", shape = ["n", "n"], init = { fill = 0 } } }
[[steps]]
kernel = "first"
global = ["n"]
args = [{ buffer = "a", access = "read_write" }]
[[steps]]
for = { k = [0, "n - 1"] }
[[steps.do]]
kernel = "pivot"
global = ["n - k"]
offset = ["k"]
args = [{ value = "k", type = "int" }, { value = 0.5 }]
[[steps.do]]
for = { j = ["k + 1", "n", 2] }
[[steps.do.do]]
kernel = "inner"
global = ["n - j", 4]
local = [1, "4 / (1 + j % 2)"]
args = [{ value = "j * k" }]
)TOML";
  const JobSpec job = parse_job_spec(text, dir / "loops.toml");
  REQUIRE(job.steps.size() == 3);
  CHECK(job.steps[0].path == "steps[0]");
  CHECK(job.steps[1].path == "steps[1].do[0]");
  CHECK(job.steps[2].path == "steps[1].do[1].do[0]");
  CHECK(job.steps[1].offset_pos == SourcePos{13, 10});
  REQUIRE(job.flow.size() == 2);
  CHECK(std::get<std::size_t>(job.flow[0].node) == 0);
  const auto& outer = std::get<tessera::detail::LoopSpec>(job.flow[1].node);
  CHECK(outer.path == "steps[1]");
  CHECK(outer.counter == "k");
  CHECK(outer.for_pos == SourcePos{9, 7});
  CHECK(outer.end.expr.text() == "n - 1");
  CHECK_FALSE(outer.dependent);
  REQUIRE(outer.body.size() == 2);
  CHECK(std::get<std::size_t>(outer.body[0].node) == 1);
  const auto& inner = std::get<tessera::detail::LoopSpec>(outer.body[1].node);
  CHECK(inner.counter == "j");
  CHECK(inner.dependent);
  CHECK(inner.stride.expr.text() == "2");
  CHECK(std::get<std::size_t>(inner.body.at(0).node) == 2);

  // The values of one launch, counters in scope.
  tessera::detail::Scope scope(job.params);
  scope.set("k", 3);
  const auto pivot = tessera::detail::step_values(job, job.steps[1], scope);
  CHECK(pivot.global == Shape{13});
  CHECK(pivot.offset == Shape{3});
  CHECK(pivot.split_end() == 16);
  CHECK(std::get<std::int64_t>(pivot.scalars[0]) == 3);
  CHECK(std::get<double>(pivot.scalars[1]) == 0.5);
  scope.set("j", 5);
  CHECK(scope.when() == " when k = 3, j = 5");
  const auto in = tessera::detail::step_values(job, job.steps[2], scope);
  CHECK(in.global == Shape{11, 4});
  CHECK(in.local == Shape{1, 2});
  CHECK(std::get<std::int64_t>(in.scalars[0]) == 15);

  // --set moves the bounds: n = 2 leaves the inner loop empty (allowed: it depends on k).
  CHECK_NOTHROW(parse_job_spec(text, dir / "loops.toml", {{"n", 2}}));
  // n = 1 leaves the outer loop empty: a loop that never runs.
  const JobError e = text_error(text, dir / "loops.toml", {{"n", 1}});
  CHECK(std::string(e.what()) ==
        (dir / "loops.toml").string() + ":9:7: steps[1].for.k: the range [0, 0) is empty: the loop never runs");
}
