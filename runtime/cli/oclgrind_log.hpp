#pragma once
// A checked run's view of Oclgrind's findings (invalid memory accesses, API misuse): Oclgrind
// prints them and lets the kernel go on, so the command has it log them to a file it reads.

#include <optional>
#include <string>

namespace tessera::cli {

class OclgrindLog {
 public:
  /// Asks Oclgrind, through its environment (OCLGRIND_LOG, OCLGRIND_CHECK_API), to log its
  /// findings to a file: one of our own, or the user's OCLGRIND_LOG. Call before any OpenCL
  /// context exists. With `enabled` false, does nothing.
  explicit OclgrindLog(bool enabled);
  ~OclgrindLog();
  OclgrindLog(const OclgrindLog&) = delete;
  OclgrindLog& operator=(const OclgrindLog&) = delete;

  /// The first line of what Oclgrind logged since the last call, if anything.
  std::optional<std::string> take();

 private:
  std::string path_;
  bool own_ = false;
  std::size_t read_ = 0;
};

}  // namespace tessera::cli
