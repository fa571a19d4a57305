// Observers and traces: every chunk reaches an observer once with its commands, in order on the
// host clock (writes end before the kernel starts, the kernel ends before the reads start), on the
// zero-copy and on the transfer path; TraceWriter's file is Chrome Trace Event JSON with one kernel
// event per chunk and transfers whose bytes sum to what the run says it moved; the command's
// --trace and TESSERA_TRACE write it, with the job's steps on the host's track.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

namespace fs = std::filesystem;
using tessera::Schedule;

namespace {

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// Checks a trace's events against the run that made it: one kernel event per chunk of the ledger,
// write <= kernel <= read per chunk, transfer bytes equal to the bytes the run moved.
void check_trace(const nlohmann::json& trace, const tessera::RunStats& stats) {
  const auto& events = trace.at("traceEvents");
  std::map<std::uint64_t, std::vector<nlohmann::json>> chunks;  // by chunk sequence
  std::uint64_t bytes = 0;
  for (const auto& e : events) {
    if (e.at("ph") != "X" || (e.at("cat") != "kernel" && e.at("cat") != "transfer")) continue;
    chunks[e.at("args").at("chunk").get<std::uint64_t>()].push_back(e);
    if (e.at("cat") == "transfer") bytes += e.at("args").at("bytes").get<std::uint64_t>();
  }
  CHECK(chunks.size() == stats.ledger.size());
  std::uint64_t moved = 0;
  for (const auto& d : stats.devices) moved += d.bytes_in + d.bytes_out;
  CHECK(bytes == moved);
  const double slack = 0.002;  // the trace's times are printed to 1 ns
  bool ordered = true;
  std::size_t kernels_seen = 0;
  for (const auto& [sequence, list] : chunks) {
    double writes_end = 0, kernel_start = -1, kernel_end = -1, reads_start = 1e300;
    for (const auto& e : list) {
      const double ts = e.at("ts").get<double>(), end = ts + e.at("dur").get<double>();
      const std::string lane = e.at("tid") == 1 ? "write" : e.at("tid") == 2 ? "kernel" : "read";
      if (lane == "write") writes_end = std::max(writes_end, end);
      if (lane == "kernel") kernel_start = ts, kernel_end = end, ++kernels_seen;
      if (lane == "read") reads_start = std::min(reads_start, ts);
    }
    ordered = ordered && kernel_start >= 0 && writes_end <= kernel_start + slack && kernel_end <= reads_start + slack;
  }
  CHECK(ordered);
  CHECK(kernels_seen == stats.ledger.size());
}

// Counts what it receives, and throws from every call (which a run must ignore).
class Counter : public tessera::Observer {
 public:
  void on_chunk(const tessera::ChunkEvent& e) override {
    const std::lock_guard lock(mutex);
    chunks.push_back(e.chunk.sequence);
    throw std::runtime_error("observers' exceptions are ignored");
  }
  void on_launch_submitted(const tessera::LaunchEvent&) override { ++submitted; }
  void on_launch(const tessera::LaunchEvent& e) override {
    ++launches;
    finished = e.stats != nullptr;
    throw std::runtime_error("ignored too");
  }
  std::mutex mutex;
  std::vector<std::uint64_t> chunks;
  std::atomic<int> submitted{0};
  std::atomic<int> launches{0};
  std::atomic<bool> finished{false};
};

// A runtime (devices working in place or copying) whose runs a TraceWriter in a fresh folder
// observes; saxpy built for it.
struct Traced {
  explicit Traced(bool zero_copy) : rt(options(zero_copy)) { rt.observe(trace); }
  static tessera::RuntimeOptions options(bool zero_copy) {
    auto o = tessera::test::runtime_options();
    o.zero_copy = zero_copy;
    o.trace = "off";
    return o;
  }
  tessera::test::TempDir dir;
  const tessera::Runtime rt;
  const tessera::Program program = rt.compile(tessera::Source::builtin("saxpy"));
  const std::shared_ptr<tessera::TraceWriter> trace = std::make_shared<tessera::TraceWriter>(dir / "trace.json");
};

}  // namespace

TEST_CASE("every chunk reaches an observer once, its commands in order, on both paths") {
  for (const bool zero_copy : {true, false}) {
    INFO("zero_copy " << zero_copy);
    Traced t(zero_copy);
    const auto& [dir, rt, program, trace] = t;
    auto counter = std::make_shared<Counter>();
    rt.observe(counter);
    const std::size_t n = 1 << 16;
    std::vector<float> x(n, 1.0f), y(n, 2.0f);
    const auto stats = rt.run(tessera::Launch{program, "saxpy", tessera::NDRange{n}}
                                  .arg(3.0f)
                                  .arg(tessera::read(x))
                                  .arg(tessera::read_write(y)),
                              Schedule::dynamic(n / 16));
    bool right = true;
    for (const float v : y) right = right && v == 5.0f;
    CHECK(right);
    CHECK(stats.ledger.size() >= 16);
    CHECK(counter->chunks.size() == stats.ledger.size());
    CHECK(counter->submitted == 1);
    CHECK(counter->launches == 1);
    CHECK(counter->finished);
    trace->write();
    check_trace(read_json(dir / "trace.json"), stats);
    // Devices that copy moved bytes; none did when every device works in place.
    std::uint64_t moved = 0;
    for (const auto& d : stats.devices) moved += d.bytes_in;
    if (!zero_copy) CHECK(moved == 2 * n * sizeof(float));
  }
}

TEST_CASE("tasks in the trace: transfers by reason, arrows from a task to those needing it, array memory") {
  Traced t(false);
  const auto& [dir, rt, program, trace] = t;
  const std::size_t n = 1 << 12;
  auto x = rt.array(std::vector<float>(n, 1.0f));
  auto y = rt.array(std::vector<float>(n, 2.0f));
  auto z = rt.array(std::vector<float>(n, 0.0f));
  const std::size_t last = program.devices().size() - 1;
  // y = 3x + y on device 0, then z = 2y + z on the last device: z's task needs y's.
  auto first = rt.submit(tessera::Launch{program, "saxpy", tessera::NDRange{n}}.arg(3.0f).arg(tessera::read(x)).arg(
                             tessera::read_write(y)),
                         Schedule::single(0));
  auto second = rt.submit(tessera::Launch{program, "saxpy", tessera::NDRange{n}}.arg(2.0f).arg(tessera::read(y)).arg(
                              tessera::read_write(z)),
                          Schedule::single(last));
  first.wait();
  second.wait();
  CHECK(z.to_vector() == std::vector<float>(n, 10.0f));
  trace->write();
  const auto events = read_json(dir / "trace.json")["traceEvents"];

  std::map<std::string, std::uint64_t> bytes_by_reason;
  std::map<std::uint64_t, int> flow_ends;  // id: +1 start, +2 finish
  std::uint64_t memory_max = 0;
  for (const auto& e : events) {
    if (e["ph"] == "X" && e["cat"] == "transfer") bytes_by_reason[e["args"]["reason"]] += e["args"]["bytes"].get<std::uint64_t>();
    if (e["ph"] == "s" || e["ph"] == "f") {
      CHECK(e["cat"] == "dependency");
      flow_ends[e["id"].get<std::uint64_t>()] += e["ph"] == "s" ? 1 : 2;
    }
    if (e["ph"] == "C" && e["name"] == "array memory") {
      memory_max = std::max(memory_max, e["args"]["bytes"].get<std::uint64_t>());
    }
  }
  // Loads: x and y on device 0, z on the last device; y's result, another device's data, reaches
  // the last device as a halo (copied between the two, or staged through the host: the trace
  // shows the copy onto it); z read back once for the host.
  const std::uint64_t array = n * sizeof(float);
  CHECK(bytes_by_reason["load"] == 3 * array);
  CHECK(bytes_by_reason["halo"] == (last == 0 ? 0 : array));
  CHECK(bytes_by_reason["read back"] == array);
  // One arrow, from the first task to the second, whole (its start and its finish).
  REQUIRE(flow_ends.size() == 1);
  CHECK(flow_ends.begin()->second == 3);
  CHECK(memory_max >= (last == 0 ? 3 : 2) * array);
}

TEST_CASE("tasks reach observers once they have ended, waited for or not; a failed one without statistics") {
  struct Ends : tessera::Observer {
    void on_launch(const tessera::LaunchEvent& e) override {
      const std::lock_guard lock(mutex);
      (e.stats != nullptr ? finished : failed).push_back(e.launch);
    }
    std::mutex mutex;
    std::vector<std::uint64_t> finished, failed;
  };
  for (const std::string faults : {"off", "device=all,every=1,status=CL_OUT_OF_RESOURCES"}) {
    INFO(faults);
    auto options = Traced::options(false);
    options.faults = faults;
    auto ends = std::make_shared<Ends>();
    {
      const tessera::Runtime rt(options);
      const auto program = rt.compile(tessera::Source::builtin("saxpy"));
      rt.observe(ends);
      const std::size_t n = 1024;
      auto x = rt.array(std::vector<float>(n, 1.0f));
      auto y = rt.array(std::vector<float>(n, 0.0f));
      // Never waited for; with faults, each on an array of its own (what needs a known failure is
      // refused at submit).
      std::vector<tessera::Array<float>> ys;
      for (int k = 0; k < 5; ++k) {
        if (faults != "off") ys.push_back(rt.array(std::vector<float>(n, 0.0f)));
        rt.submit(tessera::Launch{program, "saxpy", tessera::NDRange{n}}.arg(1.0f).arg(tessera::read(x)).arg(
            tessera::read_write(faults == "off" ? y : ys.back())));
      }
      if (faults == "off") {
        CHECK(y.to_vector() == std::vector<float>(n, 5.0f));  // settles its writers
        const std::lock_guard lock(ends->mutex);
        CHECK(ends->finished.size() == 5);
      }
    }  // the runtime's end settles the rest
    const std::lock_guard lock(ends->mutex);
    CHECK(ends->finished.size() + ends->failed.size() == 5);
    CHECK(ends->failed.size() == (faults == "off" ? 0 : 5));
  }
}

TEST_CASE("tessera run --trace and TESSERA_TRACE: the job's trace, steps on the host's track") {
  tessera::test::TempDir dir;
  // The sample saxpy job, copied so that its output lands in the test's folder.
  const fs::path job = dir / "saxpy.toml";
  fs::copy_file(fs::path(TESSERA_TEST_SOURCE_DIR).parent_path() / "samples" / "jobs" / "saxpy.toml", job);
  const auto flag = tessera::test::run_tessera(
      {"run", job.string(), "--scheduler", "dynamic", "--trace", (dir / "a.json").string(), "--report",
       (dir / "r.json").string(), "--quiet"},
      {"TESSERA_ZERO_COPY=off"});
  INFO(flag.err);
  REQUIRE(flag.exit_code == 0);
  const auto trace = read_json(dir / "a.json");
  std::size_t kernels_seen = 0, steps = 0, processes = 0;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") == "X" && e.at("cat") == "kernel") {
      ++kernels_seen;
      CHECK(e.at("args").at("step") == "steps[0] saxpy");
    }
    if (e.at("ph") == "X" && e.at("cat") == "step") {
      ++steps;
      CHECK(e.at("pid") == 0);
    }
    if (e.at("ph") == "M" && e.at("name") == "process_name") ++processes;
  }
  std::size_t chunks = 0;
  const auto report = read_json(dir / "r.json");
  for (const auto& d : report.at(0).at("steps").at(0).at("devices")) chunks += d.at("chunks").get<std::size_t>();
  CHECK(kernels_seen == chunks);
  CHECK(steps == 1);
  CHECK(processes >= 2);  // the host and at least one device

  const auto env = tessera::test::run_tessera({"run", job.string(), "--quiet"},
                                              {"TESSERA_TRACE=" + (dir / "b.json").string()});
  REQUIRE(env.exit_code == 0);
  CHECK(read_json(dir / "b.json").at("traceEvents").size() > 4);
}

TEST_CASE("tessera run --timeline: well-formed SVG, one rect per command, rendered to PNG") {
  tessera::test::TempDir dir;
  const fs::path job = dir / "saxpy.toml";
  fs::copy_file(fs::path(TESSERA_TEST_SOURCE_DIR).parent_path() / "samples" / "jobs" / "saxpy.toml", job);
  const auto r = tessera::test::run_tessera({"run", job.string(), "--scheduler", "dynamic", "--trace",
                                             (dir / "t.json").string(), "--timeline", (dir / "t.svg").string(),
                                             "--quiet"},
                                            {"TESSERA_ZERO_COPY=off"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  std::size_t commands = 0;
  const auto trace = read_json(dir / "t.json");
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") == "X" && (e.at("cat") == "kernel" || e.at("cat") == "transfer")) ++commands;
  }
  std::ifstream in(dir / "t.svg");
  const std::string svg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t rects = 0;
  for (auto at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1)) ++rects;
  CHECK(commands > 64);  // 64 chunks, each with transfers: every device copies
  CHECK(rects == commands);
  CHECK(svg.find(" moved</text>") != std::string::npos);  // the title says the bytes moved
  const auto xml = tessera::test::run_process("/usr/bin/xmllint", {"--noout", (dir / "t.svg").string()});
  INFO(xml.err);
  CHECK(xml.exit_code == 0);
  const auto png = tessera::test::run_process("/usr/bin/rsvg-convert", {(dir / "t.svg").string(), "-o", (dir / "t.png").string()});
  CHECK(png.exit_code == 0);
  CHECK(fs::file_size(dir / "t.png") > 1000);
}
