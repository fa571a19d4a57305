// Benchmark: a whole job, as a user runs it, against a plain OpenCL C++ program doing the same
// work, each a whole process timed from start to exit:
//
//   job      = T(tessera run samples/jobs/triad100.toml) / T(plain_triad): three 128 MiB float
//              buffers with their fills, 100 triads, the result read and its sum checked
//   startup  = the same with one triad (--set reps=1 / --reps 1): mostly buffer fills
//
// Each ratio is of medians over --runs rounds; in a round both programs run once, in turn (the
// order alternating between rounds), so that machine noise hits them alike, after one untimed
// round. Both must pass the job's check (the sum of a) every time; a failure is an error (exit 1).
//
//   bench_job [--runs N] [--only job,startup] [--tessera PATH] [--plain PATH] [--json FILE]
//
// Paths default to this build: the tessera command, plain_triad beside this program, the job
// file and kernels/triad.cl of the source tree. For one 2-CU PoCL device: POCL_DEVICES=pthread.
// Prints a table, then the same as JSON.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench_util.hpp"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using tessera::bench::median;
using tessera::bench::ProcessRun;

// The job's check, as samples/jobs/triad100.toml states it: the exact sum of a.
constexpr const char* expected_sum = "562949961809920";

struct Args {
  int runs = 7;
  std::vector<std::string> only{"job", "startup"};
  std::string tessera = TESSERA_BENCH_CLI;
  std::string plain = (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "plain_triad").string();
  std::string job = TESSERA_BENCH_SOURCE_DIR "/samples/jobs/triad100.toml";
  std::string kernel = TESSERA_BENCH_SOURCE_DIR "/kernels/triad.cl";
  std::string json_path;
};

Args parse(int argc, char** argv) {
  Args a;
  tessera::bench::Args args(argc, argv);
  while (args.next()) {
    // clang-format off
    if (args.is("--runs")) a.runs = std::stoi(args.value());
    else if (args.is("--only")) a.only = tessera::bench::parse_measures(args.value(), {"job", "startup"});
    else if (args.is("--tessera")) a.tessera = args.value();
    else if (args.is("--plain")) a.plain = args.value();
    else if (args.is("--json")) a.json_path = args.value();
    else args.unknown();
    // clang-format on
  }
  if (a.runs < 1) throw std::invalid_argument("--runs must be at least 1");
  return a;
}

struct Measure {
  std::string name;
  int reps;
};

struct Samples {
  std::vector<double> wall, cpu;
};

// One run of one side; throws when it fails or its check does not pass.
ProcessRun run_checked(const std::vector<std::string>& argv, bool tessera_side) {
  ProcessRun r = tessera::bench::run_process(argv);
  const bool passed = tessera_side ? r.out.find("1 of 1 check(s) passed") != std::string::npos
                                   : r.out.find("(check passed)") != std::string::npos;
  if (r.exit_code != 0 || !passed) {
    throw std::runtime_error(fmt::format("{} exited {} without its check passing: {}", argv[0], r.exit_code, r.out));
  }
  return r;
}

nlohmann::json measure(const Args& a, const Measure& m) {
  const std::vector<std::vector<std::string>> sides{
      {a.tessera, "run", a.job, "--set", fmt::format("reps={}", m.reps)},
      {a.plain, "--kernel", a.kernel, "--reps", std::to_string(m.reps), "--sum", expected_sum, "--rtol", "0"}};
  std::vector<Samples> samples(2);
  for (const auto& argv : sides) run_checked(argv, &argv == &sides[0]);  // untimed
  for (int r = 0; r < a.runs; ++r) {
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t side = r % 2 == 0 ? k : 1 - k;
      const ProcessRun run = run_checked(sides[side], side == 0);
      samples[side].wall.push_back(run.wall_s);
      samples[side].cpu.push_back(run.user_s + run.sys_s);
    }
  }
  std::vector<double> pair_ratios;
  for (int r = 0; r < a.runs; ++r) pair_ratios.push_back(samples[0].wall[r] / samples[1].wall[r]);
  const double tw = median(samples[0].wall), pw = median(samples[1].wall);
  const double tc = median(samples[0].cpu), pc = median(samples[1].cpu);
  return {{"measure", m.name},
          {"reps", m.reps},
          {"tessera_s", tw},
          {"baseline_s", pw},
          {"value", tw / pw},
          {"goal", 1.05},
          {"goal_op", "<="},
          {"met", tw / pw <= 1.05},
          {"pair_ratio_median", median(pair_ratios)},
          {"pair_ratio_min", *std::min_element(pair_ratios.begin(), pair_ratios.end())},
          {"pair_ratio_max", *std::max_element(pair_ratios.begin(), pair_ratios.end())},
          {"tessera_cpu_s", tc},
          {"baseline_cpu_s", pc},
          {"cpu_ratio", tc / pc},
          {"tessera_samples", samples[0].wall},
          {"baseline_samples", samples[1].wall}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    fmt::print("job measures: whole processes, {} runs, medians, the two programs in turn\n", a.runs);
    fmt::print("tessera: {} run {}\nplain:   {} --kernel {}\n", a.tessera, a.job, a.plain, a.kernel);
    const char* pocl = std::getenv("POCL_DEVICES");
    fmt::print("POCL_DEVICES={}\n\n", pocl != nullptr ? pocl : "(unset)");
    nlohmann::json results = nlohmann::json::array();
    for (const Measure& m : {Measure{"job", 100}, Measure{"startup", 1}}) {
      if (std::find(a.only.begin(), a.only.end(), m.name) != a.only.end()) results.push_back(measure(a, m));
    }
    fmt::print("{:<8}  {:>5}  {:>10}  {:>10}  {:>7}  {:<6}  {:<3}  {:>17}  {:>9}\n", "measure", "reps", "tessera s",
               "plain s", "ratio", "goal", "ok", "pair ratios", "cpu ratio");
    for (const auto& r : results) {
      fmt::print("{:<8}  {:>5}  {:>10.4f}  {:>10.4f}  {:>7.4f}  {:<6}  {:<3}  {:>7.4f} – {:<7.4f}  {:>9.4f}\n",
                 r["measure"].get<std::string>(), r["reps"].get<int>(), r["tessera_s"].get<double>(),
                 r["baseline_s"].get<double>(), r["value"].get<double>(), "<= 1.05", r["met"].get<bool>() ? "yes" : "no",
                 r["pair_ratio_min"].get<double>(), r["pair_ratio_max"].get<double>(), r["cpu_ratio"].get<double>());
    }
    const nlohmann::json report{{"benchmark", "job"}, {"runs", a.runs}, {"tessera", a.tessera}, {"plain", a.plain},
                                {"job", a.job},       {"results", results}};
    tessera::bench::print_json(report, a.json_path);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
