#include "cli/error_line.hpp"

#include <optional>
#include <sstream>

namespace tessera::cli {
namespace {

// The first compiler error in `log` as "FILE:LINE:COL: MESSAGE", if there is one. Drivers write
// either "FILE:L:C: error: MESSAGE" (clang; "fatal error" when it stops at once) or
// "error: FILE:L:C: MESSAGE" (PoCL).
std::optional<std::string> first_diagnostic(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    for (const std::string kind : {"error: ", "fatal error: "}) {
      if (line.rfind(kind, 0) == 0) return line.substr(kind.size());
      if (const auto at = line.find(": " + kind); at != std::string::npos) {
        return line.substr(0, at) + ": " + line.substr(at + 2 + kind.size());
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::string error_line(const Error& e) {
  if (const auto* build = dynamic_cast<const BuildError*>(&e)) {
    for (const auto& entry : build->logs()) {
      if (auto diagnostic = first_diagnostic(entry.log)) return *diagnostic;
    }
  }
  return e.what();
}

}  // namespace tessera::cli
