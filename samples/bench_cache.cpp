// Benchmark: the measure "cache" — warm build time (binary cache hit, in a new process) over
// cold build time (empty cache, new process), for one kernel on the selected devices.
// PoCL's own kernel cache is switched off (POCL_KERNEL_CACHE=0) so that ours is what is measured.
//
//   bench_cache [--runs N] [--source builtin:NAME|FILE.cl] [--devices SEL] [--json FILE]
//
// Each run uses a fresh cache folder: one child process builds cold, a second builds warm.
// Prints every run, the medians and the ratio as a table, then the same as JSON.

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "bench_util.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using tessera::bench::median;

struct Args {
  int runs = 5;
  std::string source = "builtin:mandelbrot";
  std::string devices = "all";
  std::string json_path;
  std::string child_cache;  // set in child processes
};

Args parse(int argc, char** argv) {
  Args a;
  tessera::bench::Args args(argc, argv);
  auto value = [&] { return args.value(); };
  while (args.next()) {
    const std::string& arg = args.arg();
    if (arg == "--runs") a.runs = std::stoi(value());
    else if (arg == "--source") a.source = value();
    else if (arg == "--devices") a.devices = value();
    else if (arg == "--json") a.json_path = value();
    else if (arg == "--child-cache") a.child_cache = value();
    else args.unknown();
  }
  if (a.runs < 1) throw std::invalid_argument("--runs must be at least 1");
  return a;
}

tessera::Source source_for(const std::string& s) {
  if (s.rfind("builtin:", 0) == 0) return tessera::Source::builtin(s.substr(8));
  return tessera::Source::file(s);
}

// Child: one compile through the cache in `cache`, reported as a JSON line.
int child(const Args& a) {
  const tessera::Runtime rt({.devices = a.devices, .cache_dir = a.child_cache});
  const auto start = std::chrono::steady_clock::now();
  const tessera::Program p = rt.compile(source_for(a.source));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& s = p.stats();
  fmt::print("{}\n", nlohmann::json{{"seconds", seconds},
                                    {"devices", p.devices().size()},
                                    {"compiled", s.compiled},
                                    {"cache_hits", s.cache_hits},
                                    {"cache_misses", s.cache_misses}}
                         .dump());
  return 0;
}

nlohmann::json run_child(const Args& a, const std::string& cache) {
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const tessera::bench::ProcessRun run = tessera::bench::run_process(
      {self, "--child-cache", cache, "--source", a.source, "--devices", a.devices}, {"POCL_KERNEL_CACHE=0"});
  if (run.exit_code != 0) throw std::runtime_error("child failed");
  return nlohmann::json::parse(run.out);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    if (!a.child_cache.empty()) return child(a);

    fmt::print("cache: warm build (binary cache hit, new process) / cold build (empty cache)\n");
    fmt::print("source {}, devices '{}', POCL_KERNEL_CACHE=0, {} runs\n\n", a.source, a.devices,
               a.runs);
    fmt::print("{:>4}  {:>10}  {:>10}  {:>8}\n", "run", "cold s", "warm s", "ratio");
    std::vector<double> cold, warm;
    nlohmann::json runs = nlohmann::json::array();
    for (int r = 0; r < a.runs; ++r) {
      char dir[] = "/tmp/tessera-bench-cache-XXXXXX";
      if (::mkdtemp(dir) == nullptr) throw std::runtime_error("mkdtemp failed");
      const auto c = run_child(a, dir);
      const auto w = run_child(a, dir);
      std::filesystem::remove_all(dir);
      if (c.at("cache_hits") != 0 || w.at("compiled") != 0 || w.at("cache_misses") != 0) {
        throw std::runtime_error("the warm build did not come from the cache: " + w.dump());
      }
      cold.push_back(c.at("seconds"));
      warm.push_back(w.at("seconds"));
      fmt::print("{:>4}  {:>10.4f}  {:>10.4f}  {:>8.4f}\n", r + 1, cold.back(), warm.back(),
                 warm.back() / cold.back());
      runs.push_back({{"cold_s", cold.back()}, {"warm_s", warm.back()}, {"devices", c.at("devices")}});
    }
    const double mc = median(cold), mw = median(warm);
    fmt::print("\nmedian cold {:.4f} s, median warm {:.4f} s\n", mc, mw);
    fmt::print("cache = {:.4f}  (goal <= 0.05)\n", mw / mc);
    const nlohmann::json result{{"measure", "cache"},   {"value", mw / mc},
                                {"goal", 0.05},         {"median_cold_s", mc},
                                {"median_warm_s", mw},  {"source", a.source},
                                {"devices", a.devices}, {"runs", runs}};
    tessera::bench::print_json(result, a.json_path);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
