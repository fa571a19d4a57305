#pragma once
// Internal: the on-disk cache of program binaries.
//
// One file per (source, options, platform, device, driver, Tessera version): KEY.tsc, where KEY
// is a 128-bit hash of all of them. Entries are written to a temporary file and renamed, so
// readers never see a partial entry and concurrent writers of the same key are harmless (the
// last rename wins, both entries are valid). An entry whose magic, format, key, checksum,
// device or driver does not match is "rejected": the caller rebuilds and replaces it. The
// folder is kept under a size bound by evicting the least recently used entries.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/device.hpp"
#include "tessera/program.hpp"

namespace tessera::detail {

struct CacheKey {
  std::array<std::uint8_t, 16> bytes{};
  std::string hex() const;
  friend bool operator==(const CacheKey&, const CacheKey&) = default;
};

/// Hashes everything that changes a program binary: the resolved source, the full option
/// string, the platform name and version, the device name and version, the driver version and
/// Tessera's version.
CacheKey program_cache_key(std::string_view resolved_source, std::string_view options,
                           const DeviceInfo& device);

struct CacheEntry {
  std::vector<unsigned char> binary;
  std::vector<KernelSignature> kernels;
};

/// Serialises an entry with its header (exposed for tests that forge and corrupt entries).
std::vector<unsigned char> encode_cache_entry(const CacheKey& key, const DeviceInfo& device,
                                              const CacheEntry& entry);

class ProgramCache {
 public:
  enum class Lookup { hit, miss, rejected };

  /// A cache in `dir` (created on first store); an empty `dir` disables it.
  ProgramCache(std::filesystem::path dir, std::uint64_t max_bytes);

  bool enabled() const noexcept { return !dir_.empty(); }
  const std::filesystem::path& dir() const noexcept { return dir_; }
  std::filesystem::path path_for(const CacheKey& key) const;

  /// Reads the entry for `key` into `out`. A hit refreshes the entry's age for eviction.
  Lookup load(const CacheKey& key, const DeviceInfo& device, CacheEntry& out) const;

  struct StoreResult {
    std::size_t evicted = 0;
    std::optional<std::string> error;  ///< why the entry could not be written (not fatal)
  };
  /// Writes the entry atomically, then evicts the oldest entries beyond the size bound.
  StoreResult store(const CacheKey& key, const DeviceInfo& device, const CacheEntry& entry) const;

 private:
  std::size_t evict() const;

  std::filesystem::path dir_;
  std::uint64_t max_bytes_;
};

/// The cache folder RuntimeOptions::cache_dir names: "" for "off"; the option itself when set;
/// else $TESSERA_CACHE_DIR, $XDG_CACHE_HOME/tessera, $HOME/.cache/tessera, in that order.
std::filesystem::path resolve_cache_dir(const std::string& option);

}  // namespace tessera::detail
