#pragma once
// Internal: the folder per-user caches go under, shared by Tessera's cache and the OpenCL
// drivers' own (PoCL's kernel cache; a PoCL that cannot make it reports no device at all).

#include <filesystem>
#include <optional>
#include <string>

namespace tessera::detail {

struct CacheHome {
  std::filesystem::path path;
  std::string variable;  ///< what named it: "XDG_CACHE_HOME" or "HOME"
};

/// By the XDG rule: $XDG_CACHE_HOME when set and not empty, else $HOME/.cache; nothing when
/// neither variable is set.
std::optional<CacheHome> cache_home();

/// Why the cache home cannot hold caches, naming its variable ("XDG_CACHE_HOME: /x cannot hold
/// caches: /x is not a folder"); nothing when it can, or when there is none.
std::optional<std::string> cache_home_problem();

}  // namespace tessera::detail
