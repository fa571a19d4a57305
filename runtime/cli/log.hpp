#pragma once
// The command's diagnostics on stderr, filtered by TESSERA_LOG (error|warn|info|debug).

#include <fmt/format.h>

#include <string_view>

namespace tessera::cli {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

/// Reads TESSERA_LOG (default warn). Throws tessera::Error(invalid_argument) on an unknown level.
void init_log_from_environment();
bool log_enabled(LogLevel level);
/// Prints "<level>: <message>" on stderr when `level` is enabled.
void log(LogLevel level, std::string_view message);

template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(LogLevel::info)) log(LogLevel::info, fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (log_enabled(LogLevel::warn)) log(LogLevel::warn, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace tessera::cli
