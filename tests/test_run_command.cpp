// `tessera run` and `tessera validate` as a user runs them: real processes, real files, a real
// SIGINT and SIGTERM; exit codes as the README lists them.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "job/npy.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/topology.hpp"

namespace fs = std::filesystem;
using tessera::test::run_tessera;
using tessera::test::TempDir;

namespace {

// y = 2 x + y with x = iota, y = 1: y[i] = 2 i + 1, sum n^2.
std::string saxpy_job(const std::string& output, const std::string& check_sum) {
  return R"([params]
n = 4096
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
output = ")" + output + R"("
[[steps]]
kernel = "saxpy"
global = ["n"]
args = [{ value = 2.0 }, { buffer = "x" }, { buffer = "y", access = "read_write" }]
[[checks]]
buffer = "y"
expect = { sum = )" + check_sum + R"(, rtol = 1e-9 }
)";
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("run: a job writes its output, passes its checks, and reports") {
  TempDir dir;
  const fs::path job = dir.write("saxpy.toml", saxpy_job("y.npy", "16777216.0"));
  const auto r = run_tessera({"run", job.string(), "--report", (dir.path() / "r.json").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("saxpy: 4096 work-items") != std::string::npos);
  const auto y = tessera::detail::read_npy(dir.path() / "y.npy");
  REQUIRE(y.header.shape == std::vector<std::size_t>{4096});
  float last = 0;
  std::memcpy(&last, y.data.data() + 4095 * 4, 4);
  CHECK(last == 8191.0f);

  const auto report = nlohmann::json::parse(read_text(dir.path() / "r.json"));
  REQUIRE(report.size() == 1);
  CHECK(report[0]["job"] == "saxpy");
  CHECK(report[0]["checks"][0]["passed"] == true);
  std::size_t items = 0;
  for (const auto& d : report[0]["steps"][0]["devices"]) items += d["items"].get<std::size_t>();
  CHECK(items == 4096);
  CHECK(report[0]["steps"][0]["wall_s"].get<double>() > 0);
}

TEST_CASE("run: the report's items sum to each step's range, its shares to 1, its balance is its definition") {
  TempDir dir;
  // Two steps, the second repeated: 4096 and 3 x 4096 work-items, cut by dynamic into many chunks.
  std::string text = saxpy_job("y.npy", "0.0");
  text = text.substr(0, text.find("[[checks]]"));
  text += "[[steps]]\nkernel = \"saxpy\"\nglobal = [\"n\"]\nrepeat = 3\n"
          "args = [{ value = 1.0 }, { buffer = \"x\" }, { buffer = \"y\", access = \"read_write\" }]\n";
  const fs::path job = dir.write("two.toml", text);
  const auto r = run_tessera({"run", job.string(), "--scheduler", "dynamic", "--report", (dir / "r.json").string()});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("work-items/s, balance ") != std::string::npos);
  CHECK(r.out.find("  device ") != std::string::npos);  // a line per device
  const auto report = nlohmann::json::parse(read_text(dir / "r.json"))[0];
  const std::size_t range[] = {4096, 3 * 4096};
  for (std::size_t k = 0; k < 2; ++k) {
    const auto& step = report["steps"][k];
    std::size_t items = 0;
    double share = 0, mean = 0, latest = 0;
    std::size_t working = 0;
    for (const auto& d : step["devices"]) {
      items += d["items"].get<std::size_t>();
      share += d["share"].get<double>();
      if (d["chunks"].get<std::size_t>() == 0) continue;
      mean += d["finished_s"].get<double>();
      latest = std::max(latest, d["finished_s"].get<double>());
      ++working;
    }
    CHECK(items == range[k]);
    CHECK(step["items"].get<std::size_t>() == range[k]);
    CHECK(share == doctest::Approx(1.0));
    if (k == 0) CHECK(step["balance"].get<double>() == doctest::Approx(mean / static_cast<double>(working) / latest));
    CHECK(step["balance"].get<double>() > 0);
    CHECK(step["balance"].get<double>() <= 1.0);
  }
  CHECK(report["runs"]["items"].get<std::size_t>() == 4 * 4096);
  CHECK(report["runs"]["repetitions"].get<std::size_t>() == 4);
}

TEST_CASE("run: the report's transfers: the job's bytes moved against its minimum") {
  TempDir dir;
  const fs::path job = fs::path(TESSERA_TEST_SOURCE_DIR) / "jobs" / "good" / "swapped_stencil.toml";
  const std::uint64_t bytes = 8192 * 4;
  for (const std::string scheduler : {"single", "static"}) {
    CAPTURE(scheduler);
    const auto r = run_tessera({"run", job.string(), "--set", "n=8192", "--scheduler", scheduler, "--report",
                                (dir / "r.json").string()},
                               {"TESSERA_ZERO_COPY=off"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto report = nlohmann::json::parse(read_text(dir / "r.json"))[0];
    const auto& t = report["transfers"];
    const auto& moved = t["moved"];
    const auto& least = t["minimum"];
    const auto u = [](const nlohmann::json& j, const char* key) { return j[key].get<std::uint64_t>(); };
    CHECK(u(moved, "total") == u(moved, "load") + u(moved, "halo") + u(moved, "read_back") + u(moved, "evict"));
    CHECK(u(least, "total") == u(least, "load") + u(least, "halo") + u(least, "read_back"));
    CHECK(t["ratio"].get<double>() == doctest::Approx(static_cast<double>(u(moved, "total")) /
                                                      static_cast<double>(u(least, "total"))));
    CHECK(t["ratio"].get<double>() >= 1.0);
    // The steps' loads and halos are the job's; the final read-back is the job's alone.
    std::uint64_t load = 0, halo = 0, read_back = 0;
    std::size_t working = 0;
    for (const auto& d : report["runs"]["devices"]) {
      load += u(d["moved"], "load");
      halo += u(d["moved"], "halo");
      read_back += u(d["moved"], "read_back");
      working += d["chunks"].get<std::size_t>() > 0 ? 1 : 0;
    }
    CHECK(u(moved, "load") == load);
    CHECK(u(moved, "halo") == halo);
    CHECK(read_back == 0);
    CHECK(u(least, "halo") == halo);
    CHECK(u(least, "load") >= bytes);
    if (working == 1) {
      CHECK(u(moved, "load") == bytes);  // a, once; b is written before it is read
      CHECK(u(moved, "read_back") == 2 * bytes);
      CHECK(u(least, "load") == bytes);
      CHECK(u(least, "read_back") == 2 * bytes);
      CHECK(t["ratio"].get<double>() == 1.0);
    }
  }
}

TEST_CASE("run: --set, several jobs in one call, --verify, --dry-run") {
  TempDir dir;
  const fs::path a = dir.write("a.toml", saxpy_job("a.npy", "16777216.0"));
  const fs::path b = dir.write("b.toml", saxpy_job("b.npy", "1048576.0"));

  // b's check is n^2 for n = 1024: only right with --set n=1024, which both jobs take.
  const auto both = run_tessera({"run", a.string(), b.string(), "--set", "n=1024", "--verify"});
  INFO(both.err);
  CHECK(both.exit_code == 3);  // a's check (n = 4096) fails at n = 1024
  CHECK(both.err.find("check of buffer 'y' failed") != std::string::npos);
  CHECK(tessera::detail::read_npy(dir.path() / "b.npy").header.shape == std::vector<std::size_t>{1024});
  CHECK(tessera::detail::read_npy(dir.path() / "a.npy").header.shape == std::vector<std::size_t>{1024});

  fs::remove(dir.path() / "a.npy");
  // A loop's steps by their paths, with their launches (the LU sample: n = 256).
  const std::string lu = std::string(TESSERA_TEST_SOURCE_DIR) + "/../samples/jobs/lu.toml";
  const auto dry = run_tessera({"run", a.string(), lu, "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.find("steps[0]: saxpy over [4096] x1") != std::string::npos);
  CHECK(dry.out.find("steps[1].do[1]: lu_eliminate over [n - k - 1] x255") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "a.npy"));

  const auto bad_set = run_tessera({"run", a.string(), "--set", "n=lots"});
  CHECK(bad_set.exit_code == 2);
  CHECK(first_line(bad_set.err) == "error: --set 'n=lots': expected NAME=INTEGER, for example n=4096");
  for (const std::string value : {"99999999999999999999", "-9223372036854775809"}) {
    const auto huge = run_tessera({"validate", a.string(), "--set", "n=" + value});
    CHECK(huge.exit_code == 2);
    CHECK(first_line(huge.err) == "error: --set 'n=" + value + "': " + value +
                                      " is out of range: a param is a 64-bit signed integer, from "
                                      "-9223372036854775808 to 9223372036854775807");
  }
}

TEST_CASE("a job file that is a device or a folder is refused at once, not read") {
  TempDir dir;
  const auto start = std::chrono::steady_clock::now();
  const auto zero = run_tessera({"run", "/dev/zero"});
  CHECK(zero.exit_code == 2);
  CHECK(first_line(zero.err) ==
        "error: /dev/zero: cannot read the job file: not a regular file (a device, a pipe or a socket)");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  const auto folder = run_tessera({"validate", dir.path().string()});
  CHECK(folder.exit_code == 2);
  CHECK(first_line(folder.err) == "error: " + dir.path().string() + ": cannot read the job file: not a regular file (a folder)");
}

TEST_CASE("TESSERA_FAULTS: a failed device fails the run (exit 1, naming the task), writes nothing; a bad spec exits 2") {
  if (tessera::test::topology().no_platform || tessera::test::topology().broken_platform) return;
  TempDir dir;
  const fs::path job = dir.write("saxpy.toml", saxpy_job("y.npy", "16777216.0"));
  const auto failed = run_tessera({"run", job.string()}, {"TESSERA_FAULTS=device=all,every=1,status=CL_OUT_OF_RESOURCES"});
  INFO(failed.err);
  CHECK(failed.exit_code == 1);
  CHECK(first_line(failed.err).find("'saxpy' failed on device ") != std::string::npos);
  CHECK(first_line(failed.err).find("(CL_OUT_OF_RESOURCES)") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "y.npy"));
  const auto bad = run_tessera({"run", job.string()}, {"TESSERA_FAULTS=device=all,chunk=one,status=CL_OUT_OF_RESOURCES"});
  CHECK(bad.exit_code == 2);
  CHECK(first_line(bad.err) == "error: TESSERA_FAULTS: fault 'device=all,chunk=one,status=CL_OUT_OF_RESOURCES': "
                               "chunk=one is not a chunk number (0, 1, ...)");
  CHECK_FALSE(fs::exists(dir.path() / "y.npy"));
}

TEST_CASE("validate: every sample job is valid, on every device that can hold it") {
  const fs::path samples = fs::path(TESSERA_TEST_SOURCE_DIR).parent_path() / "samples" / "jobs";
  // Oclgrind simulates a device of 128 MiB: the triads' three 128 MiB buffers cannot fit it, and a
  // job's buffers do not stream, so validation refuses them there (below) and the rest validate.
  const bool simulator = tessera::test::topology().oclgrind;
  std::size_t jobs = 0;
  for (const auto& entry : fs::directory_iterator(samples)) {
    if (entry.path().extension() != ".toml") continue;
    ++jobs;
    const bool large = entry.path().filename() == "triad100.toml";
    const auto r = simulator && large ? run_tessera({"validate", entry.path().string(), "--devices", "all,-name=oclgrind"})
                                      : run_tessera({"validate", entry.path().string()});
    INFO(entry.path().string() << ": " << r.err);
    CHECK(r.exit_code == 0);
    if (!simulator || !large) continue;
    const auto refused = run_tessera({"validate", entry.path().string()});
    CHECK(refused.exit_code == 2);
    CHECK(first_line(refused.err).find(": steps[0]: the launch needs 402653184 bytes on device 0 'Oclgrind Simulator', "
                                       "which has 134217728") != std::string::npos);
  }
  CHECK(jobs >= 3);
}

TEST_CASE("validate and run: invalid jobs exit 2 with FILE:LINE:COL first") {
  TempDir dir;
  const fs::path good = dir.write("good.toml", saxpy_job("y.npy", "16777216.0"));
  const auto ok = run_tessera({"validate", good.string()});
  CHECK(ok.exit_code == 0);
  CHECK_FALSE(fs::exists(dir.path() / "y.npy"));

  std::string text = saxpy_job("y.npy", "16777216.0");
  text.replace(text.find("type = \"float\""), 14, "type = \"flaot\"");
  const fs::path bad = dir.write("bad.toml", text);
  for (const char* command : {"validate", "run"}) {
    const auto r = run_tessera({command, bad.string()});
    CHECK(r.exit_code == 2);
    CHECK(first_line(r.err) == "error: " + bad.string() + ":6:8: buffers.x.type: unknown type 'flaot'; did you mean 'float'?");
  }
  // A second job whose second step does not fit its kernel: found before anything runs, so the
  // first job writes nothing either.
  std::string two_steps = saxpy_job("z.npy", "16777216.0");
  two_steps.replace(two_steps.find("[[checks]]"), 0,
                    "[[steps]]\nkernel = \"saxpy\"\nglobal = [\"n\"]\nargs = [{ buffer = \"x\" }]\n");
  const fs::path mismatch = dir.write("mismatch.toml", two_steps);
  for (const char* command : {"validate", "run"}) {
    const auto r = run_tessera({command, good.string(), mismatch.string()});
    CHECK(r.exit_code == 2);
    CHECK(first_line(r.err) == "error: " + mismatch.string() +
                                   ":21:8: steps[1].args: kernel 'saxpy' takes 3 arguments, 1 given: "
                                   "saxpy(float a, global const float* x, global float* y)");
  }
  CHECK_FALSE(fs::exists(dir.path() / "y.npy"));
  CHECK_FALSE(fs::exists(dir.path() / "z.npy"));

  // What only the devices can tell, at the key that says it.
  const fs::path no_device = dir.write("no_device.toml", "[job]\ndevices = \"name=no-such-device\"\n" +
                                                            saxpy_job("y.npy", "16777216.0"));
  std::string weights = "[job]\nscheduler = \"static\"\nweights = [1";
  for (std::size_t d = 0; d < tessera::test::topology().root_devices; ++d) weights += ", 1";
  const fs::path weighed = dir.write("weights.toml", weights + "]\n" + saxpy_job("y.npy", "16777216.0"));
  for (const char* command : {"validate", "run"}) {
    const auto r = run_tessera({command, no_device.string()});
    CHECK(r.exit_code == 2);
    CHECK(first_line(r.err) == "error: " + no_device.string() +
                                   ":2:11: job.devices: device selector 'name=no-such-device' matches no device; the "
                                   "devices are:");
    const auto w = run_tessera({command, weighed.string()});
    CHECK(w.exit_code == 2);
    CHECK(first_line(w.err).rfind("error: " + weighed.string() + ":3:11: job.weights: " +
                                      std::to_string(tessera::test::topology().root_devices + 1) + " weight(s) for " +
                                      std::to_string(tessera::test::topology().root_devices) + " device(s) (",
                                  0) == 0);
  }
  // Weights of another scheduler than the one that runs are not checked.
  CHECK(run_tessera({"run", weighed.string(), "--scheduler", "dynamic"}).exit_code == 0);

  // A kernel that does not compile: the compiler's first error is the first line.
  dir.write("typo.cl", "kernel void saxpy(float a, global const float* x, global float* y) {\n"
                       "  y[get_global_id(0)] += a * x[undefined_thing];\n}\n");
  std::string typo_text = saxpy_job("y.npy", "16777216.0");
  typo_text.replace(typo_text.find("builtin = \"saxpy\""), 17, "source = \"typo.cl\"");
  const fs::path typo = dir.write("typo.toml", typo_text);
  for (const char* command : {"validate", "run"}) {
    const auto r = run_tessera({command, typo.string()}, {"TESSERA_CACHE_DIR=off"});
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(first_line(r.err) == "error: " + (dir.path() / "typo.cl").string() +
                                   ":2:32: use of undeclared identifier 'undefined_thing'");
    CHECK(r.err.find(" generated.") == std::string::npos);
  }

  const auto missing = run_tessera({"run", (dir.path() / "nope.toml").string()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("nope.toml") != std::string::npos);
}

namespace {

// The signals that interrupt a run, with the exit code each gives.
struct Interrupt {
  int signal;
  int exit_code;
  const char* name;
};
constexpr std::array<Interrupt, 2> interrupts{{{SIGINT, 130, "SIGINT"}, {SIGTERM, 143, "SIGTERM"}}};

// Runs `job_text` once per interrupt, all at the same time, each in a folder of its own where its
// output y.npy exists already; sends each run its signal 0.5 s after the run has started, and
// checks the contract: the process exits (is not killed) with the signal's code within seconds,
// saying so, the old output untouched, no temporary file. Returns each run's stderr.
std::vector<std::string> interrupted_runs(TempDir& dir, const std::string& job_text) {
  std::vector<tessera::test::RunningProcess> processes;
  for (const Interrupt& interrupt : interrupts) {
    const std::string folder = interrupt.name;
    dir.write(folder + "/y.npy", "the previous output");
    const fs::path job = dir.write(folder + "/long.toml", job_text);
    processes.push_back(tessera::test::start_process(TESSERA_CLI_PATH, {"run", job.string()},
                                                     {"TESSERA_LOG=info"}));
  }
  // Signalled once the run has started (buffers made, kernels checked), as the log says.
  const auto started = std::chrono::steady_clock::now();
  for (auto& process : processes) {
    while (process.err_so_far().find("long.toml: running") == std::string::npos) {
      if (process.has_ended()) {
        const auto early = process.wait();
        FAIL("the run ended (exit " << early.exit_code << ") before it started: " << early.err);
      }
      if (std::chrono::steady_clock::now() - started > std::chrono::seconds(120)) {
        FAIL("the run has not started after 120 s; it said: " << process.err_so_far() << "\nits threads:\n"
                                                              << process.stacks());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto sent = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < interrupts.size(); ++k)
    REQUIRE(::kill(processes[k].pid(), interrupts[k].signal) == 0);
  std::vector<std::string> errs;
  for (std::size_t k = 0; k < interrupts.size(); ++k) {
    const auto r = processes[k].wait();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    const std::string name = interrupts[k].name;
    const fs::path folder = dir.path() / name;
    INFO(name << ": " << r.err);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == interrupts[k].exit_code);
    CHECK(seconds < 4.0);
    CHECK(r.err.find("interrupted by " + name) != std::string::npos);
    CHECK(r.err.find("no output written") != std::string::npos);
    CHECK(read_text(folder / "y.npy") == "the previous output");
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(folder)) ++files;
    CHECK(files == 2);  // the job and the old output: no temporary file left
    errs.push_back(r.err);
  }
  return errs;
}

}  // namespace

// A Mandelbrot job over `size` x `size` pixels of the view [x0, x1] x [y0, y1], repeated.
std::string mandelbrot_job(int size, int max_iter, std::array<double, 4> view = {-2.0, -1.5, 1.0, 1.5}) {
  const std::string n = std::to_string(size);
  std::string view_args;
  for (const double v : view) view_args += "{ value = " + std::to_string(v) + " }, ";
  return R"([program]
builtin = "mandelbrot"
[buffers.image]
type = "uint"
shape = [)" + n + ", " + n + R"(]
output = "y.npy"
[[steps]]
kernel = "mandelbrot"
global = [)" + n + ", " + n + R"(]
args = [{ buffer = "image", access = "write" }, { value = )" + n + " }, { value = " + n + " }, " +
         view_args + "{ value = " + std::to_string(max_iter) + R"( }]
repeat = 1000000
)";
}

TEST_CASE("SIGINT and SIGTERM: a run of short chunks stops, exit 130 or 143 without writing") {
  // Drained, or abandoned if the signal lands while the driver compiles its first work-group
  // function (seconds under the sanitizers); the draining itself is tested in test_job_runner.
  TempDir dir;
  interrupted_runs(dir, mandelbrot_job(64, 64));
}

TEST_CASE("SIGINT and SIGTERM: chunks that would run on long are abandoned after a grace") {
  TempDir dir;
  // A view inside the main cardioid: every pixel runs all 100000 iterations, so every chunk
  // (32 768 pixels or more) takes seconds, wherever the signal lands.
  for (const std::string& err :
       interrupted_runs(dir, mandelbrot_job(512, 100000, {-0.5, -0.25, 0.0, 0.25}))) {
    CHECK(err.find("chunks still running were abandoned") != std::string::npos);
  }
}

TEST_CASE("progress: a bar on a terminal, nothing with --quiet") {
  TempDir dir;
  std::string text = mandelbrot_job(256, 256);
  text.replace(text.find("repeat = 1000000"), 16, "repeat = 4");
  const fs::path job = dir.write("m.toml", text);
  // Under a pseudo-terminal (script), stderr is a terminal: the bar is drawn and erased.
  const std::string command = std::string("'") + TESSERA_CLI_PATH + "' run --scheduler dynamic '" + job.string() + "'";
  const auto tty = tessera::test::run_process("/usr/bin/script", {"-qec", command, "/dev/null"});
  INFO(tty.out << tty.err);
  CHECK(tty.exit_code == 0);
  CHECK(tty.out.find("\r\033[K[") != std::string::npos);  // a bar, drawn over itself
  CHECK(tty.out.find("/s \xC2\xB7 ") != std::string::npos);  // its rate
  CHECK(tty.out.find("\xC2\xB7 [") != std::string::npos);  // the devices' shares
  // Not a terminal, a run this short prints no progress line; --quiet prints nothing at all.
  const auto plain = run_tessera({"run", job.string()});
  CHECK(plain.err.find("progress:") == std::string::npos);
  const auto quiet = run_tessera({"run", job.string(), "--quiet"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.empty());
}
