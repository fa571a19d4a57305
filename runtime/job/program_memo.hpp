#pragma once
// Internal: programs built once for many jobs of one runtime (a worker's stream of small jobs
// compiling the same kernels): keyed by what the compiler is given — the resolved source text
// without the #line markers that name its files, the options and the defines — so a file of the
// same text under another folder is a hit (its diagnostics name the first one's files).
// Thread-safe; keeps the most recently used programs, at most `capacity`.

#include <cstddef>
#include <string>

#include "common/lru_memo.hpp"
#include "tessera/program.hpp"
#include "tessera/runtime.hpp"
#include "tessera/source.hpp"

namespace tessera::detail {

class ProgramMemo {
 public:
  explicit ProgramMemo(std::size_t capacity = 32) : programs_(capacity) {}
  /// `source` built on `rt` (rt.compile), or the program built before for the same text,
  /// options and defines. Programs whose text is not all they depend on (includes left to the
  /// compiler) are built every time.
  Program compile(const Runtime& rt, const Source& source, const std::string& options, const Defines& defines);
  std::size_t hits() const { return programs_.hits(); }

 private:
  LruMemo<Program> programs_;
};

}  // namespace tessera::detail
