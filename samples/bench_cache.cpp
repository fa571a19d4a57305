// Benchmark: the measure "cache" — warm build time (binary cache hit, in a new process) over
// cold build time (empty cache, new process), for one kernel on the selected devices.
// PoCL's own kernel cache is switched off (POCL_KERNEL_CACHE=0) so that ours is what is measured.
//
//   bench_cache [--runs N] [--source builtin:NAME|FILE.cl] [--devices SEL] [--json FILE]
//
// Each run uses a fresh cache folder: one child process builds cold, a second builds warm.
// Prints every run, the medians and the ratio as a table, then the same as JSON.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

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

extern char** environ;

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
  std::vector<std::string> args{self,        "--child-cache", cache, "--source", a.source,
                                "--devices", a.devices};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env{"POCL_KERNEL_CACHE=0"};
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("POCL_KERNEL_CACHE=", 0) != 0) env.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) throw std::runtime_error("cannot start a child process");
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("child failed");
  return nlohmann::json::parse(out);
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
    fmt::print("cache = {:.4f}  (goal <= 0.05)\n\n", mw / mc);
    const nlohmann::json result{{"measure", "cache"},   {"value", mw / mc},
                                {"goal", 0.05},         {"median_cold_s", mc},
                                {"median_warm_s", mw},  {"source", a.source},
                                {"devices", a.devices}, {"runs", runs}};
    fmt::print("{}\n", result.dump(2));
    if (!a.json_path.empty()) std::ofstream(a.json_path) << result.dump(2) << "\n";
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
