#include "cli/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tessera/error.hpp"

namespace tessera::cli {
namespace {
LogLevel current_level = LogLevel::warn;
constexpr const char* level_names[] = {"error", "warn", "info", "debug"};
}  // namespace

void init_log_from_environment() {
  const char* env = std::getenv("TESSERA_LOG");
  if (env == nullptr || *env == '\0') return;
  const std::string value(env);
  for (int i = 0; i <= static_cast<int>(LogLevel::debug); ++i) {
    if (value == level_names[i]) {
      current_level = static_cast<LogLevel>(i);
      return;
    }
  }
  throw Error(Errc::invalid_argument,
              fmt::format("TESSERA_LOG: unknown level '{}' (error, warn, info, debug)", value));
}

bool log_enabled(LogLevel level) { return level <= current_level; }

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  fmt::print(stderr, "{}: {}\n", level_names[static_cast<int>(level)], message);
}

}  // namespace tessera::cli
