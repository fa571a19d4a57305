#pragma once
// Internal: a launch over arrays turned into the same launch over host copies of them (for
// Runtime::check, which judges host-array runs), and the written arrays updated afterwards.

#include <vector>

#include "tessera/launch.hpp"

namespace tessera::detail {

class HostCopies {
 public:
  /// Reads every array of `launch` (waiting for its writers) into host memory.
  explicit HostCopies(const Launch& launch);
  /// The launch with every array replaced by its host copy, roles kept.
  const Launch& launch() const noexcept { return launch_; }
  /// Writes the host copies of the written arrays back into them.
  void write_back();

 private:
  Launch launch_;
  std::vector<ArrayBase> written_;
  std::vector<std::vector<unsigned char>> copies_;
  std::vector<std::size_t> written_copy_;  // per written array: its copy
};

}  // namespace tessera::detail
