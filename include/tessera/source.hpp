#pragma once
// Kernel sources: a file, a string, or a builtin kernel shipped inside the library.
//
//   auto a = tessera::Source::file("kernels/saxpy.cl");   // #include "x.h" relative to the file
//   auto b = tessera::Source::string("kernel void k(global int* p) { p[0] = 1; }");
//   auto c = tessera::Source::builtin("saxpy");            // kernels/saxpy.cl, embedded

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera {

/// A source with its includes inlined, and where each of its lines came from.
struct ResolvedSource {
  std::string text;                ///< what the compiler is given
  std::vector<std::string> files;  ///< every file that contributed, as diagnostics name it
  /// For line k + 1 of `text`: {index into files, line in that file}; {-1, 0} for the #line
  /// markers Tessera inserted.
  std::vector<std::pair<int, std::size_t>> origins;
  /// False when an #include was left to the compiler (<...>, a macro, or a file not found beside
  /// its includer): then `text` does not hold everything the program depends on, and the program
  /// is not cached.
  bool self_contained = true;

  /// Compiler diagnostics with references to lines of `text` under a driver's placeholder name
  /// ("input.cl", "<stdin>", "<source>", "<kernel>": drivers that ignore #line) rewritten to
  /// the real file and line. Everything else is returned unchanged.
  std::string map_diagnostics(std::string_view log) const;
};

class Source {
 public:
  enum class Kind { file, string, builtin };

  /// A kernel file. `#include "name"` is resolved relative to the including file.
  static Source file(std::filesystem::path path);
  /// Kernel text. `#include "name"` is resolved relative to `include_dir` (default: the
  /// current directory). `name` is what diagnostics call it.
  static Source string(std::string text, std::string name = "<string>",
                       std::filesystem::path include_dir = {});
  /// A kernel of kernels/ embedded at build time, by stem ("saxpy"). Throws
  /// Error(Errc::invalid_argument) listing the builtins when there is none of that name.
  static Source builtin(std::string_view name);

  Kind kind() const noexcept { return kind_; }
  /// The file path, the string's name, or the builtin's file name ("saxpy.cl").
  const std::string& name() const noexcept { return name_; }

  /// The text handed to the compiler: every `#include "..."` found beside its includer inlined,
  /// with #line markers so that diagnostics name the real file and line; `#pragma once`
  /// honoured; a file already being included (a cycle) inlined as empty, as include guards would
  /// make it. Other includes are left to the compiler. Throws Error(Errc::io) when the source
  /// file itself cannot be read.
  ResolvedSource resolve() const;

 private:
  Kind kind_ = Kind::string;
  std::string name_;
  std::string text_;              // string and builtin kinds
  std::filesystem::path path_;    // file kind: the file; string kind: the include directory
};

/// The names of the builtin kernels, sorted ("mandelbrot", "saxpy", ...).
std::vector<std::string> builtin_kernel_names();

}  // namespace tessera
