#pragma once
// What the benchmark programs share: reading "--name value" arguments, taking medians, running
// a program as a whole process, and printing the JSON report.

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace tessera::bench {

/// Walks argv: `while (args.next()) { if (args.is("--runs")) runs = std::stoi(args.value()); }`.
class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}
  bool next() { return ++i_ < argc_ && (arg_ = argv_[i_], true); }
  bool is(const char* name) const { return arg_ == name; }
  const std::string& arg() const { return arg_; }
  /// The value after the current option; throws std::invalid_argument when there is none.
  std::string value() {
    if (i_ + 1 >= argc_) throw std::invalid_argument(arg_ + " needs a value");
    return argv_[++i_];
  }
  [[noreturn]] void unknown() const { throw std::invalid_argument("unknown argument " + arg_); }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string arg_;
};

/// The measures named in `list` ("a,b"), each one of `names`; throws std::invalid_argument naming
/// an unknown one and the known ones.
inline std::vector<std::string> parse_measures(const std::string& list, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    out.push_back(list.substr(start, comma - start));
    if (std::find(names.begin(), names.end(), out.back()) == names.end()) {
      throw std::invalid_argument(fmt::format("--only: unknown measure '{}' ({})", out.back(), fmt::join(names, ", ")));
    }
    start = comma + 1;
  }
  return out;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// Prints a blank line and `report` as indented JSON on stdout and, when `path` is not empty,
/// writes the JSON there too.
inline void print_json(const nlohmann::json& report, const std::string& path) {
  const std::string text = report.dump(2);
  fmt::print("\n{}\n", text);
  if (!path.empty()) std::ofstream(path) << text << "\n";
}

/// A finished process: its exit status, what it printed on stdout, and its times (wall from
/// start to reaped; user and system CPU seconds from the kernel's accounting, its threads and
/// waited-for children included).
struct ProcessRun {
  int exit_code = 0;
  std::string out;
  double wall_s = 0;
  double user_s = 0;
  double sys_s = 0;
};

/// Runs the program at argv[0] with `argv`, this process's environment with `env` ("NAME=value")
/// replacing or adding entries, stderr inherited. Throws std::runtime_error when it cannot be
/// started or does not exit normally.
inline ProcessRun run_process(std::vector<std::string> argv, const std::vector<std::string>& env = {}) {
  std::vector<std::string> environment = env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('=') + 1);
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& x) { return x.rfind(name, 0) == 0; });
    if (!replaced) environment.push_back(entry);
  }
  const auto pointers = [](std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (std::string& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  };
  const std::vector<char*> args = pointers(argv), envp = pointers(environment);

  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    throw std::runtime_error("cannot start " + argv[0]);
  }
  ProcessRun run;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) run.out.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(status)) throw std::runtime_error(argv[0] + " did not exit normally");
  run.exit_code = WEXITSTATUS(status);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  run.user_s = seconds(usage.ru_utime);
  run.sys_s = seconds(usage.ru_stime);
  return run;
}

}  // namespace tessera::bench
