#pragma once
// Running a program (the tessera command) from a test and collecting what it did.

#include <functional>
#include <string>
#include <vector>

namespace tessera::test {

struct ProcessResult {
  int exit_code = -1;  ///< the exit status, or 128 + signal number when killed by a signal
  int signal = 0;      ///< the signal that killed the process; 0 when it exited
  std::string out;     ///< everything written to stdout
  std::string err;     ///< everything written to stderr
};

/// Runs `program` with `args` and the test's environment, waits for it, and returns its exit
/// code and output. `extra_env` entries are NAME=VALUE, or NAME alone to remove NAME. Throws
/// std::runtime_error if it cannot be started.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const std::vector<std::string>& extra_env = {});

/// A process started by start_process; wait() collects it.
class RunningProcess {
 public:
  RunningProcess(int pid, std::string out_path, std::string err_path);
  RunningProcess(RunningProcess&& other) noexcept;
  RunningProcess& operator=(RunningProcess&&) = delete;
  ~RunningProcess();  ///< kills and reaps a process never waited for
  int pid() const noexcept { return pid_; }
  /// What the process has written to stderr so far.
  std::string err_so_far() const;
  /// Whether the process has ended (it is not reaped: wait() still collects it).
  bool has_ended() const;
  /// The stack of every thread of the process, from gdb when it is installed (for a test that
  /// finds the process stuck); a note saying why not otherwise.
  std::string stacks() const;
  ProcessResult wait();

 private:
  int pid_;
  std::string out_path_;
  std::string err_path_;
};

/// Starts `program` without waiting for it.
RunningProcess start_process(const std::string& program, const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env = {});

/// Runs `check` in a child process without privileges (as user and group 65534 when the test
/// runs as root, so that file permissions apply; as the caller otherwise) and returns what it
/// returned, or -1 when the child could not drop its privileges or died. For tests of
/// permission checks, which root would pass vacuously.
int run_unprivileged(const std::function<int()>& check);

/// run_process on the tessera command built with the tests.
ProcessResult run_tessera(const std::vector<std::string>& args,
                          const std::vector<std::string>& extra_env = {});

}  // namespace tessera::test
