#pragma once
// What OpenCL drivers write on the process's stderr themselves. Their compilers print counts
// there ("1 error generated.") while a program builds, ahead of the error the command reports
// afterwards; the build logs hold the diagnostics themselves.

#include <cstdio>
#include <string_view>

namespace tessera::cli {

/// While one is held, what the process writes on stderr (file descriptor 2) goes to a temporary
/// file. release() (or the destructor) restores stderr and writes the held text there, less
/// compilers' count lines: at once, or, when the hold ends by an exception, at
/// print_held_stderr(), after the error is reported. Holds nothing while another hold lives or
/// when no temporary file can be made. For the main thread.
class HeldStderr {
 public:
  HeldStderr();
  ~HeldStderr();
  HeldStderr(const HeldStderr&) = delete;
  HeldStderr& operator=(const HeldStderr&) = delete;

  /// Ends the hold; later calls do nothing.
  void release();

 private:
  std::FILE* file_ = nullptr;
  int exceptions_ = 0;
};

/// Writes what holds ended by an exception kept back. main calls it after reporting the error.
void print_held_stderr();

/// Writes `text` on the process's stderr at once, held or not: the last words of a process that
/// ends without unwinding. Safe from any thread.
void write_stderr_now(std::string_view text);

}  // namespace tessera::cli
