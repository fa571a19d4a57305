#include "support/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

extern char** environ;

namespace tessera::test {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int run_unprivileged(const std::function<int()>& check) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::geteuid() == 0) {
      constexpr id_t nobody = 65534;
      if (::setgroups(0, nullptr) != 0 || ::setgid(nobody) != 0 || ::setuid(nobody) != 0) ::_exit(255);
    }
    int code = 255;
    try {
      code = check();
    } catch (...) {
    }
    ::_exit(code & 0xff);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) != 255 ? WEXITSTATUS(status) : -1;
}

RunningProcess::RunningProcess(int pid, std::string out_path, std::string err_path)
    : pid_(pid), out_path_(std::move(out_path)), err_path_(std::move(err_path)) {}

RunningProcess::RunningProcess(RunningProcess&& other) noexcept
    : pid_(other.pid_), out_path_(std::move(other.out_path_)), err_path_(std::move(other.err_path_)) {
  other.pid_ = -1;
}

RunningProcess::~RunningProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::unlink(out_path_.c_str());
    ::unlink(err_path_.c_str());
  }
}

std::string RunningProcess::err_so_far() const { return slurp(err_path_); }

std::string RunningProcess::stacks() const {
  if (::access("/usr/bin/gdb", X_OK) != 0) return "(no stacks: gdb is not installed)";
  const ProcessResult r = run_process("/usr/bin/gdb", {"-p", std::to_string(pid_), "-batch", "-nx", "-ex",
                                                       "thread apply all bt 30"});
  return r.out + r.err;
}

bool RunningProcess::has_ended() const {
  if (pid_ <= 0) return true;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
  return info.si_pid == pid_;
}

ProcessResult RunningProcess::wait() {
  if (pid_ <= 0) throw std::logic_error("process already waited for");
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) throw std::runtime_error("waitpid failed");
  }
  pid_ = -1;
  ProcessResult result;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + result.signal;
  result.out = slurp(out_path_);
  result.err = slurp(err_path_);
  ::unlink(out_path_.c_str());
  ::unlink(err_path_.c_str());
  return result;
}

RunningProcess start_process(const std::string& program, const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env) {
  char out_path[] = "/tmp/tessera-test-out-XXXXXX";
  char err_path[] = "/tmp/tessera-test-err-XXXXXX";
  const int out_fd = ::mkstemp(out_path);
  const int err_fd = ::mkstemp(err_path);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("mkstemp failed");

  std::vector<std::string> argv_store{program};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  for (const auto& kv : extra_env) {
    const bool unset = kv.find('=') == std::string::npos;
    const auto key = unset ? kv + '=' : kv.substr(0, kv.find('=') + 1);
    std::erase_if(env_store, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    if (!unset) env_store.push_back(kv);
  }
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fd);
  ::close(err_fd);
  if (rc != 0) {
    ::unlink(out_path);
    ::unlink(err_path);
    throw std::runtime_error("cannot start " + program);
  }
  return RunningProcess(pid, out_path, err_path);
}

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const std::vector<std::string>& extra_env) {
  return start_process(program, args, extra_env).wait();
}

ProcessResult run_tessera(const std::vector<std::string>& args,
                          const std::vector<std::string>& extra_env) {
  return run_process(TESSERA_CLI_PATH, args, extra_env);
}

}  // namespace tessera::test
