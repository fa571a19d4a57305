#pragma once
// The exit codes of the tessera command (a contract: see the README).

#include "tessera/error.hpp"

namespace tessera::cli {

enum ExitCode : int {
  exit_ok = 0,
  exit_runtime_failure = 1,  ///< OpenCL failure, no platform, failure after retries
  exit_invalid_input = 2,    ///< usage, job file, data file, selector, kernel build error
  exit_check_failed = 3,     ///< a [[checks]] entry, --check or --verify failed
  exit_interrupted = 130,    ///< SIGINT (128 + 2)
  exit_terminated = 143,     ///< SIGTERM (128 + 15), what batch schedulers send at a time limit
};

/// The exit code for a library error: the caller's input, or the machine, is at fault.
inline ExitCode exit_code_for(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
    case Errc::invalid_selector:
    case Errc::no_matching_device:
    case Errc::build_failure:
    case Errc::io:
      return exit_invalid_input;
    case Errc::no_platform:
    case Errc::opencl:
    case Errc::out_of_memory:
    case Errc::write_conflict:  // the kernel broke its scatter buffer's promise while it ran
      return exit_runtime_failure;
  }
  return exit_runtime_failure;
}

}  // namespace tessera::cli
