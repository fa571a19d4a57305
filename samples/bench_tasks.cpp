// Benchmark: tasks over arrays (Runtime::submit with tessera::Array buffers), each measure a ratio
// of two sides measured side by side in one run, on PoCL's pthread device (POCL_DEVICES=pthread,
// set by this program), in-process measures split into 1-CU sub-devices (cpu_split = 1):
//
//   task_overhead    = T(task_triad --n 4096 --reps 20000) / T(plain_triad --n 4096 --reps 20000):
//                      whole processes; 20000 dependent triad tasks against a plain OpenCL C++
//                      program enqueueing the same 20000 kernels. Goal <= 1.5.
//   host_launches    = 10 x T(task_triad --host --reps 2000) / T(plain_triad --reps 20000): the
//                      old path (Runtime::run over host arrays, one launch after another), per
//                      launch against the plain program. Informational.
//   independent      = T(two sub-devices) / T(one sub-device "0.0"): 20000 triad tasks of 4096
//                      items, Schedule::single(), two shared read-only inputs and 256 outputs
//                      written round-robin (a task depends only on the one 256 before it); also
//                      tasks per second and how many tasks each device ran. Informational.
//   bytes_moved      = measured / minimum bytes, a 1024x1024 5-point stencil repeated 100 times
//                      (two arrays swapped, input halo(1) = one row), Schedule::static_split(),
//                      on the two sub-devices with zero_copy = false. Measured: the sum over
//                      devices of Runtime::transfers()[d].total() during the run. Minimum: one
//                      load of the input array, one row each way between the two devices for
//                      each of the 99 later repetitions, one read back of the result. Goal <= 1.1.
//                      Sub-devices of one device share a context: a halo is one copy between
//                      their buffers. Across contexts it is staged through the host and counts
//                      twice (device to host, host to device), so the ratio against the minimum
//                      with halos counted twice is reported too.
//   bytes_one_device = the same stencil on one sub-device ("0.0", zero_copy = false): measured /
//                      (one load + one read back of the array); the goal is exactly one of each
//                      (== 1) and no halo or evict bytes.
//   transfer_path    = T(zero_copy = true) / T(zero_copy = false): the two-sub-device stencil,
//                      timed from the first submit to the final to_vector. Goal >= 0.9.
//   task_parallelism = T(submit A, submit B, wait both) / T(submit A, wait, submit B, wait): two
//                      independent launches of a long per-item loop over 8192 items (sized on a
//                      calibration runtime so that one takes about 150 ms on one sub-device),
//                      Schedule::single(), on the two sub-devices. Goal <= 0.55.
//
// Each ratio is of medians over --runs rounds, after one untimed round; in a round the two sides
// run once each, in turn, the order alternating between rounds. Every result is checked against a
// host computation (the processes' printed sum of a, every array of the in-process measures); a
// wrong result is an error (exit 1). A missed goal is reported, not an error.
//
//   bench_tasks [--runs N] [--only task_overhead,host_launches,independent,bytes_moved,
//               transfer_path,task_parallelism] [--task PATH] [--plain PATH] [--json FILE]
//
// Paths default to this build: task_triad and plain_triad beside this program, kernels/triad.cl of
// the source tree. Prints a table, then the same as JSON.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_util.hpp"
#include "tessera/tessera.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

using tessera::bench::median;

const std::vector<std::string> measure_names{"task_overhead", "host_launches",  "independent",
                                             "bytes_moved",   "transfer_path", "task_parallelism"};

struct Args {
  int runs = 5;
  std::vector<std::string> only = measure_names;
  std::string task = (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "task_triad").string();
  std::string plain = (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "plain_triad").string();
  std::string kernel = TESSERA_BENCH_SOURCE_DIR "/kernels/triad.cl";
  std::string json_path;

  bool selected(const std::string& name) const { return std::find(only.begin(), only.end(), name) != only.end(); }
};

Args parse(int argc, char** argv) {
  Args a;
  tessera::bench::Args args(argc, argv);
  while (args.next()) {
    // clang-format off
    if (args.is("--runs")) a.runs = std::stoi(args.value());
    else if (args.is("--only")) a.only = tessera::bench::parse_measures(args.value(), measure_names);
    else if (args.is("--task")) a.task = args.value();
    else if (args.is("--plain")) a.plain = args.value();
    else if (args.is("--json")) a.json_path = args.value();
    else args.unknown();
    // clang-format on
  }
  if (a.runs < 1) throw std::invalid_argument("--runs must be at least 1");
  return a;
}

// ---- Rounds, ratios and results -------------------------------------------------------------

using Samples = std::array<std::vector<double>, 2>;

// Calls run(side) for sides 0 and 1: once each untimed, then `runs` rounds, the two in turn with
// the order alternating; returns what each side's timed calls returned (seconds).
Samples rounds(int runs, const std::function<double(std::size_t)>& run) {
  run(0), run(1);
  Samples s;
  for (int r = 0; r < runs; ++r) {
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t side = r % 2 == 0 ? k : 1 - k;
      s[side].push_back(run(side));
    }
  }
  return s;
}

struct Goal {
  std::string op;  // "<=", ">=", "==" or empty: informational
  double value = 0;
  std::string text() const { return op.empty() ? "info" : fmt::format("{} {}", op, value); }
  std::optional<bool> met(double v) const {
    if (op == "<=") return v <= value;
    if (op == ">=") return v >= value;
    if (op == "==") return v == value;
    return std::nullopt;
  }
};

nlohmann::json result(const std::string& name, double value, const Goal& goal, const std::string& note,
                      nlohmann::json details = nlohmann::json::object()) {
  details["measure"] = name;
  details["value"] = value;
  details["goal"] = goal.op.empty() ? nlohmann::json(nullptr) : nlohmann::json(goal.value);
  details["goal_op"] = goal.op;
  const std::optional<bool> met = goal.met(value);
  details["met"] = met ? nlohmann::json(*met) : nlohmann::json(nullptr);
  details["note"] = note;
  return details;
}

// median(a) * scale / median(b), with both sides' samples and the per-round ratios.
nlohmann::json ratio(const std::string& name, const Samples& s, double scale, const Goal& goal,
                     const std::array<std::string, 2>& sides, const std::string& note) {
  std::vector<double> pair;
  for (std::size_t r = 0; r < s[0].size(); ++r) pair.push_back(s[0][r] * scale / s[1][r]);
  const double a = median(s[0]), b = median(s[1]);
  return result(name, a * scale / b, goal, fmt::format("{}: {:.4f} s, {}: {:.4f} s; {}", sides[0], a, sides[1], b, note),
                {{"sides", sides},
                 {"scale", scale},
                 {"median_s", {a, b}},
                 {"samples_s", s},
                 {"pair_ratio_min", *std::min_element(pair.begin(), pair.end())},
                 {"pair_ratio_max", *std::max_element(pair.begin(), pair.end())}});
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Throws when `got` differs from `want` by more than `tolerance` anywhere: a wrong result.
template <typename T>
void check_result(const std::string& what, const std::vector<T>& got, const std::vector<T>& want, double tolerance = 0) {
  if (got.size() != want.size()) throw std::runtime_error(fmt::format("{}: {} elements, expected {}", what, got.size(), want.size()));
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double diff = std::abs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    if (!(diff <= tolerance)) {
      throw std::runtime_error(fmt::format("{}: wrong result at element {}: {} where the host computes {}", what, i,
                                           got[i], want[i]));
    }
  }
}

// ---- task_overhead, host_launches: whole processes -----------------------------------------

constexpr std::size_t triad_n = 4096;
constexpr int triad_reps = 20000;

// The sum of a after any number of triads a = b + 2 c with b[i] = i, c = 0.5 (what both programs print).
double triad_sum() {
  double sum = 0;
  for (std::size_t i = 0; i < triad_n; ++i) sum += static_cast<double>(static_cast<float>(i) + 2.0f * 0.5f);
  return sum;
}

// One run of a triad program, its wall seconds; throws when it fails or prints a wrong sum.
double run_triad_process(const std::vector<std::string>& argv) {
  const tessera::bench::ProcessRun r = tessera::bench::run_process(argv, {"POCL_DEVICES=pthread"});
  const std::string marker = "sum of a ";
  const std::size_t at = r.out.find(marker);
  if (r.exit_code != 0 || at == std::string::npos) {
    throw std::runtime_error(fmt::format("{} exited {} without printing its sum: {}", argv[0], r.exit_code, r.out));
  }
  const double sum = std::stod(r.out.substr(at + marker.size()));
  if (sum != triad_sum()) {
    throw std::runtime_error(fmt::format("{}: sum of a {}, where the host computes {}", argv[0], sum, triad_sum()));
  }
  return r.wall_s;
}

nlohmann::json measure_processes(const Args& a, const std::string& name, bool host) {
  const int reps = host ? triad_reps / 10 : triad_reps;
  std::vector<std::string> task{a.task, "--n", std::to_string(triad_n), "--reps", std::to_string(reps)};
  if (host) task.emplace_back("--host");
  const std::vector<std::vector<std::string>> sides{
      task, {a.plain, "--kernel", a.kernel, "--n", std::to_string(triad_n), "--reps", std::to_string(triad_reps)}};
  const Samples s = rounds(a.runs, [&](std::size_t side) { return run_triad_process(sides[side]); });
  if (host) {
    return ratio(name, s, 10, {}, {"task_triad --host x10", "plain_triad"},
                 fmt::format("{} runs over host arrays, scaled to {}", reps, triad_reps));
  }
  return ratio(name, s, 1, {"<=", 1.5}, {"task_triad", "plain_triad"}, fmt::format("{} tasks", reps));
}

// ---- In-process measures: a runtime on sub-devices and its program --------------------------

struct Rig {
  Rig(const std::string& devices, std::optional<bool> zero_copy, const tessera::Source& source)
      : rt(options(devices, zero_copy)), program(rt.compile(source)) {}
  static tessera::RuntimeOptions options(const std::string& devices, std::optional<bool> zero_copy) {
    tessera::RuntimeOptions o;
    o.devices = devices;
    o.cpu_split = 1;
    o.zero_copy = zero_copy;
    return o;
  }
  std::string labels() const {
    std::vector<std::string> out;
    for (const auto& d : rt.devices()) out.push_back(d.info().label());
    return fmt::format("{}", fmt::join(out, "+"));
  }
  tessera::Runtime rt;
  tessera::Program program;
};

// Labels of the devices that ran chunks of a task.
std::vector<std::string> ran_on(const tessera::RunStats& stats) {
  std::vector<std::string> out;
  for (const auto& d : stats.devices) {
    if (d.chunks > 0) out.push_back(d.device.info().label());
  }
  return out;
}

// ---- independent ----------------------------------------------------------------------------

constexpr std::size_t independent_outputs = 256;

struct IndependentRound {
  double seconds = 0;
  std::map<std::string, std::size_t> tasks_per_device;
};

IndependentRound independent_round(const Rig& rig) {
  std::vector<float> b(triad_n), c(triad_n, 0.5f);
  for (std::size_t i = 0; i < triad_n; ++i) b[i] = static_cast<float>(i);
  const auto db = rig.rt.array(b), dc = rig.rt.array(c);
  std::vector<tessera::Array<float>> outs;
  for (std::size_t j = 0; j < independent_outputs; ++j) outs.push_back(rig.rt.array<float>(triad_n));
  std::vector<tessera::Submission> tasks;
  tasks.reserve(triad_reps);

  IndependentRound round;
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < triad_reps; ++k) {
    tasks.push_back(rig.rt.submit(tessera::Launch{rig.program, "triad", tessera::NDRange{triad_n}}
                                      .arg(tessera::write(outs[k % independent_outputs]))
                                      .arg(tessera::read(db))
                                      .arg(tessera::read(dc))
                                      .arg(static_cast<float>(k)),
                                  tessera::Schedule::single()));
  }
  for (auto& t : tasks) {
    for (const std::string& label : ran_on(t.wait())) ++round.tasks_per_device[label];
  }
  round.seconds = seconds_since(start);

  // Output j holds the last task that wrote it: a = b + k c with k the largest k = j mod 256.
  for (std::size_t j = 0; j < independent_outputs; ++j) {
    const std::size_t last = (triad_reps - 1 - j) / independent_outputs * independent_outputs + j;
    std::vector<float> want(triad_n);
    for (std::size_t i = 0; i < triad_n; ++i) want[i] = b[i] + static_cast<float>(last) * c[i];
    check_result(fmt::format("independent, output {}", j), outs[j].to_vector(), want);
  }
  return round;
}

nlohmann::json measure_independent(const Args& a) {
  const std::array<Rig, 2> rigs{Rig("", std::nullopt, tessera::Source::builtin("triad")),
                                Rig("0.0", std::nullopt, tessera::Source::builtin("triad"))};
  std::array<IndependentRound, 2> last;
  const Samples s = rounds(a.runs, [&](std::size_t side) {
    last[side] = independent_round(rigs[side]);
    return last[side].seconds;
  });
  const auto split = [](const IndependentRound& r) {
    std::vector<std::string> parts;
    for (const auto& [label, n] : r.tasks_per_device) parts.push_back(fmt::format("{}: {}", label, n));
    return fmt::format("{}", fmt::join(parts, ", "));
  };
  const double two = triad_reps / median(s[0]), one = triad_reps / median(s[1]);
  nlohmann::json r = ratio("independent", s, 1, {}, {"two " + rigs[0].labels(), "one " + rigs[1].labels()},
                           fmt::format("{:.0f} vs {:.0f} tasks/s; tasks per device (last round) {} | {}", two, one,
                                       split(last[0]), split(last[1])));
  r["tasks_per_s"] = {two, one};
  r["tasks_per_device"] = {last[0].tasks_per_device, last[1].tasks_per_device};
  return r;
}

// ---- bytes_moved, transfer_path: a 2-D stencil over two swapped arrays ----------------------

constexpr std::size_t stencil_w = 1024, stencil_h = 1024;
constexpr int stencil_reps = 100;

// NDRange{w, h}: rows (the last dimension) are split, so with the row-major layout y * w + x,
// halo(1) on the split index is one row of w floats.
const char* const stencil_source = R"(
kernel void stencil(global const float* in, global float* out, const uint w, const uint h) {
  const uint x = get_global_id(0), y = get_global_id(1);
  const size_t i = (size_t)y * w + x;
  if (x == 0 || y == 0 || x == w - 1 || y == h - 1) {
    out[i] = in[i];
    return;
  }
  out[i] = 0.2f * (in[i] + in[i - 1] + in[i + 1] + in[i - w] + in[i + w]);
}
)";

// The input and what the host computes from it, made once.
struct StencilCase {
  std::vector<float> input, expected;
  StencilCase() : input(stencil_w * stencil_h) {
    std::uint32_t x = 12345;
    for (float& v : input) x = x * 1664525u + 1013904223u, v = static_cast<float>(x >> 8) / 16777216.0f;
    std::vector<float> in = input, out(input.size());
    for (int r = 0; r < stencil_reps; ++r) {
      for (std::size_t y = 0; y < stencil_h; ++y) {
        for (std::size_t xx = 0; xx < stencil_w; ++xx) {
          const std::size_t i = y * stencil_w + xx;
          const bool edge = xx == 0 || y == 0 || xx == stencil_w - 1 || y == stencil_h - 1;
          out[i] = edge ? in[i] : 0.2f * (in[i] + in[i - 1] + in[i + 1] + in[i - stencil_w] + in[i + stencil_w]);
        }
      }
      std::swap(in, out);
    }
    expected = std::move(in);
  }
  static const StencilCase& get() {
    static const StencilCase c;
    return c;
  }
};

struct StencilRound {
  double seconds = 0;
  tessera::TransferBytes moved;  // summed over devices, during the round
};

tessera::TransferBytes sum(const std::vector<tessera::TransferBytes>& per_device) {
  tessera::TransferBytes t;
  for (const auto& d : per_device) t += d;
  return t;
}

tessera::TransferBytes minus(tessera::TransferBytes a, const tessera::TransferBytes& b) {
  a.load -= b.load, a.halo -= b.halo, a.read_back -= b.read_back, a.evict -= b.evict;
  return a;
}

// `stencil_reps` stencils, timed from the first submit to the final to_vector, checked.
StencilRound stencil_round(const Rig& rig) {
  const StencilCase& c = StencilCase::get();
  const tessera::TransferBytes before = sum(rig.rt.transfers());
  auto in = rig.rt.array(c.input);
  auto out = rig.rt.array<float>(c.input.size());
  StencilRound round;
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < stencil_reps; ++r) {
    rig.rt.submit(tessera::Launch{rig.program, "stencil", tessera::NDRange{stencil_w, stencil_h}}
                      .arg(tessera::read(in).halo(1))
                      .arg(tessera::write(out))
                      .arg(static_cast<std::uint32_t>(stencil_w))
                      .arg(static_cast<std::uint32_t>(stencil_h)),
                  tessera::Schedule::static_split());
    std::swap(in, out);
  }
  const std::vector<float> got = in.to_vector();
  round.seconds = seconds_since(start);
  round.moved = minus(sum(rig.rt.transfers()), before);
  check_result(fmt::format("stencil on {}", rig.labels()), got, c.expected, 1e-5);
  return round;
}

nlohmann::json bytes_json(const tessera::TransferBytes& t) {
  return {{"load", t.load}, {"halo", t.halo}, {"read_back", t.read_back}, {"evict", t.evict}, {"total", t.total()}};
}

std::string bytes_text(const tessera::TransferBytes& t) {
  return fmt::format("load {} halo {} read_back {} evict {}", t.load, t.halo, t.read_back, t.evict);
}

std::vector<std::uint64_t> totals(const std::vector<tessera::TransferBytes>& rounds) {
  std::vector<std::uint64_t> out;
  for (const auto& t : rounds) out.push_back(t.total());
  return out;
}

// The round whose total is the median (rounded down) of the rounds'.
tessera::TransferBytes median_bytes(std::vector<tessera::TransferBytes> v) {
  std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.total() < y.total(); });
  return v[(v.size() - 1) / 2];
}

std::vector<nlohmann::json> measure_bytes(const Args& a) {
  const std::array<Rig, 2> rigs{Rig("", false, tessera::Source::string(stencil_source, "stencil")),
                                Rig("0.0", false, tessera::Source::string(stencil_source, "stencil"))};
  std::array<std::vector<tessera::TransferBytes>, 2> moved;
  rounds(a.runs, [&](std::size_t side) {
    const StencilRound r = stencil_round(rigs[side]);
    moved[side].push_back(r.moved);
    return r.seconds;
  });
  for (auto& m : moved) m.erase(m.begin());  // the untimed round's

  const std::uint64_t array = stencil_w * stencil_h * sizeof(float), row = stencil_w * sizeof(float);
  const std::uint64_t halos = static_cast<std::uint64_t>(stencil_reps - 1) * 2 * row;
  const std::uint64_t minimum = array + halos + array, staged_minimum = array + 2 * halos + array;
  const tessera::TransferBytes two = median_bytes(moved[0]), one = median_bytes(moved[1]);
  const double value = static_cast<double>(two.total()) / static_cast<double>(minimum);
  const double staged = static_cast<double>(two.total()) / static_cast<double>(staged_minimum);

  const bool one_exact = std::all_of(moved[1].begin(), moved[1].end(), [&](const auto& t) {
    return t.load == array && t.read_back == array && t.halo == 0 && t.evict == 0;
  });
  std::vector<nlohmann::json> out;
  out.push_back(result("bytes_moved", value, {"<=", 1.1},
                       fmt::format("{} bytes on {} ({}) vs minimum {}; vs {} with staged halos twice: {:.4f}",
                                   two.total(), rigs[0].labels(), bytes_text(two), minimum, staged_minimum, staged),
                       {{"measured", bytes_json(two)},
                        {"minimum", minimum},
                        {"staged_minimum", staged_minimum},
                        {"ratio_staged_twice", staged},
                        {"per_round_total", totals(moved[0])}}));
  nlohmann::json one_result =
      result("bytes_one_device", static_cast<double>(one.total()) / static_cast<double>(2 * array), {"==", 1},
             fmt::format("{} ({}), expected load {} read_back {}, no halo or evict: {}", rigs[1].labels(), bytes_text(one),
                         array, array, one_exact ? "as expected in every round" : "NOT as expected"),
             {{"measured", bytes_json(one)}, {"array_bytes", array}});
  one_result["met"] = one_exact;
  out.push_back(one_result);
  return out;
}

nlohmann::json measure_transfer_path(const Args& a) {
  const std::array<Rig, 2> rigs{Rig("", true, tessera::Source::string(stencil_source, "stencil")),
                                Rig("", false, tessera::Source::string(stencil_source, "stencil"))};
  std::array<tessera::TransferBytes, 2> moved;
  const Samples s = rounds(a.runs, [&](std::size_t side) {
    const StencilRound r = stencil_round(rigs[side]);
    moved[side] = r.moved;
    return r.seconds;
  });
  return ratio("transfer_path", s, 1, {">=", 0.9}, {"zero_copy", "copies"},
               fmt::format("{} stencils on {}; bytes moved (last round) {} | {}", stencil_reps, rigs[0].labels(),
                           moved[0].total(), moved[1].total()));
}

// ---- task_parallelism: two independent long launches ----------------------------------------

constexpr std::size_t spin_n = 8192;
constexpr double spin_target_s = 0.15;

const char* const spin_source = R"(
kernel void spin(global uint* out, const uint iters) {
  uint x = (uint)get_global_id(0);
  for (uint k = 0; k < iters; ++k) x = x * 1664525u + 1013904223u;
  out[get_global_id(0)] = x;
}
)";

// What spin computes: x -> x * 1664525 + 1013904223 applied `iters` times, as one affine map
// (mod 2^32), composed by squaring.
std::vector<std::uint32_t> spin_expected(std::uint32_t iters) {
  std::uint32_t mul = 1, add = 0;                   // the map so far: x -> mul x + add
  std::uint32_t step_mul = 1664525u, step_add = 1013904223u;  // the map applied 2^k times
  for (std::uint32_t n = iters; n > 0; n >>= 1) {
    if (n & 1) mul *= step_mul, add = add * step_mul + step_add;
    step_add = step_add * step_mul + step_add, step_mul *= step_mul;
  }
  std::vector<std::uint32_t> out(spin_n);
  for (std::size_t i = 0; i < spin_n; ++i) out[i] = mul * static_cast<std::uint32_t>(i) + add;
  return out;
}

tessera::Submission submit_spin(const Rig& rig, const tessera::Array<std::uint32_t>& out, std::uint32_t iters) {
  return rig.rt.submit(tessera::Launch{rig.program, "spin", tessera::NDRange{spin_n}}.arg(tessera::write(out)).arg(iters),
                       tessera::Schedule::single());
}

// Iterations for one launch of about spin_target_s on one sub-device, measured on a runtime of its
// own (the benchmark's runtime learns the kernel's pace at one size only).
std::uint32_t calibrate_spin() {
  const Rig rig("0.0", std::nullopt, tessera::Source::string(spin_source, "spin"));
  const auto out = rig.rt.array<std::uint32_t>(spin_n);
  submit_spin(rig, out, 1).wait();  // untimed: the driver builds the kernel for its size at the first launch
  std::uint32_t iters = 4096;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    submit_spin(rig, out, iters).wait();
    const double t = seconds_since(start);
    if (t > spin_target_s / 4 || iters >= (1u << 30)) {
      return static_cast<std::uint32_t>(std::clamp(iters * spin_target_s / t, 1.0, 4e9));
    }
    iters *= 4;
  }
}

struct SpinRound {
  double seconds = 0;
  std::array<std::vector<std::string>, 2> devices;  // where A and B ran
};

SpinRound spin_round(const Rig& rig, std::uint32_t iters, const std::vector<std::uint32_t>& want, bool together) {
  const auto x = rig.rt.array<std::uint32_t>(spin_n), y = rig.rt.array<std::uint32_t>(spin_n);
  SpinRound round;
  const auto start = std::chrono::steady_clock::now();
  if (together) {
    tessera::Submission a = submit_spin(rig, x, iters), b = submit_spin(rig, y, iters);
    round.devices = {ran_on(a.wait()), ran_on(b.wait())};
  } else {
    round.devices[0] = ran_on(submit_spin(rig, x, iters).wait());
    round.devices[1] = ran_on(submit_spin(rig, y, iters).wait());
  }
  round.seconds = seconds_since(start);
  check_result("spin A", x.to_vector(), want);
  check_result("spin B", y.to_vector(), want);
  return round;
}

nlohmann::json measure_task_parallelism(const Args& a) {
  const std::uint32_t iters = calibrate_spin();
  const std::vector<std::uint32_t> want = spin_expected(iters);
  const Rig rig("", std::nullopt, tessera::Source::string(spin_source, "spin"));
  std::vector<std::string> placements;  // timed rounds of the parallel side
  int apart = 0, timed = -1;            // the first parallel round is the untimed one
  const Samples s = rounds(a.runs, [&](std::size_t side) {
    const SpinRound r = spin_round(rig, iters, want, side == 0);
    if (side == 0 && ++timed > 0) {
      placements.push_back(fmt::format("A {} B {}", fmt::join(r.devices[0], "+"), fmt::join(r.devices[1], "+")));
      apart += r.devices[0] != r.devices[1];
    }
    return r.seconds;
  });
  nlohmann::json r = ratio("task_parallelism", s, 1, {"<=", 0.55}, {"together", "one after another"},
                           fmt::format("{} items x {} iterations; A and B on different devices in {} of {} rounds ({})",
                                       spin_n, iters, apart, placements.size(), fmt::join(placements, "; ")));
  r["iterations"] = iters;
  r["placements"] = placements;
  return r;
}

// The 1, 5 and 15 minute load averages: other work on the machine skews every ratio.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return fmt::format("{} {} {}", one, five, fifteen);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    ::setenv("POCL_DEVICES", "pthread", 1);
    fmt::print("task measures: {} runs, medians, the two sides in turn; POCL_DEVICES=pthread, cpu_split=1\n", a.runs);
    fmt::print("task_triad: {}\nplain:      {} --kernel {}\n", a.task, a.plain, a.kernel);
    const std::string load_before = load_average();
    fmt::print("load average: {}\n\n", load_before);
    nlohmann::json results = nlohmann::json::array();
    const auto add = [&](const std::string& name, const std::function<void()>& measure) {
      if (!a.selected(name)) return;
      fmt::print("measuring {} ...\n", name);
      std::fflush(stdout);
      measure();
    };
    add("task_overhead", [&] { results.push_back(measure_processes(a, "task_overhead", false)); });
    add("host_launches", [&] { results.push_back(measure_processes(a, "host_launches", true)); });
    add("independent", [&] { results.push_back(measure_independent(a)); });
    add("bytes_moved", [&] {
      for (auto& r : measure_bytes(a)) results.push_back(std::move(r));
    });
    add("transfer_path", [&] { results.push_back(measure_transfer_path(a)); });
    add("task_parallelism", [&] { results.push_back(measure_task_parallelism(a)); });

    const std::string load_after = load_average();
    fmt::print("load average: {}\n", load_after);
    fmt::print("\n{:<16}  {:>8}  {:<7}  {:<4}  {}\n", "measure", "value", "goal", "ok", "details");
    for (const auto& r : results) {
      const Goal goal{r["goal_op"].get<std::string>(), r["goal"].is_null() ? 0.0 : r["goal"].get<double>()};
      const std::string ok = r["met"].is_null() ? "-" : r["met"].get<bool>() ? "yes" : "no";
      fmt::print("{:<16}  {:>8.4f}  {:<7}  {:<4}  {}\n", r["measure"].get<std::string>(), r["value"].get<double>(),
                 goal.text(), ok, r["note"].get<std::string>());
    }
    const nlohmann::json report{{"benchmark", "tasks"}, {"runs", a.runs}, {"task_triad", a.task},
                                {"plain", a.plain},     {"load_average", {load_before, load_after}},
                                {"results", results}};
    tessera::bench::print_json(report, a.json_path);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
