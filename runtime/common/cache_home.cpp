// The folder per-user caches go under, and whether it can hold them.

#include "common/cache_home.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include "common/atomic_file.hpp"

namespace tessera::detail {

std::optional<CacheHome> cache_home() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return CacheHome{xdg, "XDG_CACHE_HOME"};
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return CacheHome{std::filesystem::path(home) / ".cache", "HOME"};
  }
  return std::nullopt;
}

std::optional<std::string> cache_home_problem() {
  const auto home = cache_home();
  if (!home) return std::nullopt;
  const auto why = cannot_make_folder(home->path);
  if (!why) return std::nullopt;
  return fmt::format("{}: {} cannot hold caches: {}", home->variable, home->path.string(), *why);
}

}  // namespace tessera::detail
