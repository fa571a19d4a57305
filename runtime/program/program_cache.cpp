// The on-disk program binary cache: keys, the entry format, atomic writes, eviction.

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "program/program_cache.hpp"

#include "common/atomic_file.hpp"
#include "common/cache_home.hpp"
#include "common/read_file.hpp"
#include "tessera/version.hpp"

namespace tessera::detail {
namespace fs = std::filesystem;
namespace {

constexpr char magic[8] = {'T', 'S', 'R', 'C', 'A', 'C', 'H', 'E'};
constexpr std::uint32_t format_version = 1;
constexpr const char* entry_suffix = ".tsc";

class Writer {
 public:
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  void u8(std::uint8_t v) { bytes(&v, 1); }
  void u32(std::uint32_t v) { bytes(&v, 4); }  // little-endian hosts only (x86-64, AArch64)
  void u64(std::uint64_t v) { bytes(&v, 8); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  std::vector<unsigned char>& data() { return out_; }

 private:
  std::vector<unsigned char> out_;
};

// Bounds-checked reading: every read past the end sets `ok` to false and yields zeros.
class Reader {
 public:
  Reader(const unsigned char* data, std::size_t size) : p_(data), end_(data + size) {}
  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  bool bytes(void* out, std::size_t n) {
    if (!ok_ || static_cast<std::size_t>(end_ - p_) < n) return ok_ = false;
    std::memcpy(out, p_, n);
    p_ += n;
    return true;
  }
  std::uint8_t u8() { std::uint8_t v = 0; bytes(&v, 1); return v; }
  std::uint32_t u32() { std::uint32_t v = 0; bytes(&v, 4); return v; }
  std::uint64_t u64() { std::uint64_t v = 0; bytes(&v, 8); return v; }
  std::string str() {
    const std::uint32_t n = u32();
    if (!ok_ || static_cast<std::size_t>(end_ - p_) < n) { ok_ = false; return {}; }
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  std::vector<unsigned char> blob() {
    const std::uint64_t n = u64();
    if (!ok_ || static_cast<std::uint64_t>(end_ - p_) < n) { ok_ = false; return {}; }
    std::vector<unsigned char> v(p_, p_ + n);
    p_ += n;
    return v;
  }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
  bool ok_ = true;
};

std::vector<unsigned char> encode_payload(const DeviceInfo& device, const CacheEntry& entry) {
  Writer w;
  w.str(device.name);
  w.str(device.driver_version);
  w.u64(entry.binary.size());
  w.bytes(entry.binary.data(), entry.binary.size());
  w.u32(static_cast<std::uint32_t>(entry.kernels.size()));
  for (const KernelSignature& k : entry.kernels) {
    w.str(k.name);
    w.u32(static_cast<std::uint32_t>(k.args.size()));
    for (const KernelArg& a : k.args) {
      w.str(a.name);
      w.str(a.type_name);
      w.u8(static_cast<std::uint8_t>(a.kind));
      w.u8(a.is_const ? 1 : 0);
    }
  }
  return std::move(w.data());
}

std::optional<CacheEntry> decode_payload(Reader& r, const DeviceInfo& device) {
  if (r.str() != device.name || r.str() != device.driver_version) return std::nullopt;
  CacheEntry entry;
  entry.binary = r.blob();
  const std::uint32_t kernels = r.u32();
  for (std::uint32_t k = 0; r.ok() && k < kernels; ++k) {
    KernelSignature sig;
    sig.name = r.str();
    const std::uint32_t args = r.u32();
    for (std::uint32_t a = 0; r.ok() && a < args; ++a) {
      KernelArg arg;
      arg.name = r.str();
      arg.type_name = r.str();
      const std::uint8_t kind = r.u8();
      if (kind > static_cast<std::uint8_t>(ArgKind::scalar)) return std::nullopt;
      arg.kind = static_cast<ArgKind>(kind);
      arg.is_const = r.u8() != 0;
      sig.args.push_back(std::move(arg));
    }
    entry.kernels.push_back(std::move(sig));
  }
  if (!r.ok() || !r.at_end() || entry.binary.empty()) return std::nullopt;
  return entry;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string CacheKey::hex() const {
  std::string out;
  for (auto b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

CacheKey program_cache_key(std::string_view resolved_source, std::string_view options,
                           const DeviceInfo& device) {
  // Length-prefixed fields: no two different field lists hash the same text.
  Writer w;
  w.str("tessera program cache");
  w.u32(format_version);
  w.str(version_string);
  w.str(device.platform_name);
  w.str(device.platform_version);
  w.str(device.name);
  w.str(device.version);
  w.str(device.driver_version);
  w.str(options);
  w.u64(resolved_source.size());
  w.bytes(resolved_source.data(), resolved_source.size());
  const XXH128_hash_t h = XXH3_128bits(w.data().data(), w.data().size());
  CacheKey key;
  for (int i = 0; i < 8; ++i) {
    key.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(h.high64 >> (56 - 8 * i));
    key.bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(h.low64 >> (56 - 8 * i));
  }
  return key;
}

std::vector<unsigned char> encode_cache_entry(const CacheKey& key, const DeviceInfo& device,
                                              const CacheEntry& entry) {
  const std::vector<unsigned char> payload = encode_payload(device, entry);
  Writer w;
  w.bytes(magic, sizeof magic);
  w.u32(format_version);
  w.bytes(key.bytes.data(), key.bytes.size());
  w.u64(payload.size());
  w.u64(XXH3_64bits(payload.data(), payload.size()));
  w.bytes(payload.data(), payload.size());
  return std::move(w.data());
}

ProgramCache::ProgramCache(fs::path dir, std::uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {}

fs::path ProgramCache::path_for(const CacheKey& key) const { return dir_ / (key.hex() + entry_suffix); }

ProgramCache::Lookup ProgramCache::load(const CacheKey& key, const DeviceInfo& device,
                                        CacheEntry& out) const {
  if (!enabled()) return Lookup::miss;
  const fs::path path = path_for(key);
  // Anything that is not a readable regular file of a sane size (a folder, a link to a device,
  // a file another evictor just removed) is a miss: the program is rebuilt and the entry replaced.
  const FileText file = read_regular_file(path, std::max<std::uint64_t>(max_bytes_, 64u << 20));
  if (!file.bytes) return file.missing ? Lookup::miss : Lookup::rejected;
  const std::string& bytes = *file.bytes;
  const auto* begin = reinterpret_cast<const unsigned char*>(bytes.data());

  Reader r(begin, bytes.size());
  char m[sizeof magic] = {};
  r.bytes(m, sizeof m);
  CacheKey stored;
  const std::uint32_t format = r.u32();
  r.bytes(stored.bytes.data(), stored.bytes.size());
  const std::uint64_t size = r.u64();
  const std::uint64_t checksum = r.u64();
  const std::size_t header = sizeof magic + 4 + 16 + 8 + 8;
  if (!r.ok() || std::memcmp(m, magic, sizeof magic) != 0 || format != format_version ||
      !(stored == key) || size != bytes.size() - header ||
      checksum != XXH3_64bits(begin + header, size)) {
    return Lookup::rejected;
  }
  auto entry = decode_payload(r, device);
  if (!entry) return Lookup::rejected;
  out = std::move(*entry);
  std::error_code ec;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);  // most recently used
  return Lookup::hit;
}

ProgramCache::StoreResult ProgramCache::store(const CacheKey& key, const DeviceInfo& device,
                                              const CacheEntry& entry) const {
  StoreResult result;
  if (!enabled()) return result;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    result.error = fmt::format("cannot create cache folder '{}': {}", dir_.string(), ec.message());
    return result;
  }
  const fs::path final_path = path_for(key);
  // An empty folder in the entry's place cannot be renamed over: remove it (a file or a link is
  // replaced by the rename itself, atomically).
  if (fs::is_directory(fs::symlink_status(final_path, ec))) fs::remove(final_path, ec);
  try {
    write_file_atomically(final_path, encode_cache_entry(key, device, entry));
  } catch (const std::system_error& e) {
    result.error = fmt::format("cannot write cache entry: {}", e.what());
    return result;
  }
  result.evicted = evict();
  return result;
}

std::size_t ProgramCache::evict() const {
  struct Item {
    fs::path path;
    std::uint64_t size;
    fs::file_time_type time;
  };
  std::vector<Item> items;
  std::uint64_t total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  fs::directory_iterator it(dir_, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& e = *it;
    const std::string name = e.path().filename().string();
    std::error_code item_ec;
    const auto time = e.last_write_time(item_ec);
    if (item_ec) continue;
    if (ends_with(name, temp_file_suffix)) {
      // A temporary file an interrupted process left behind.
      if (now - time > std::chrono::hours(1)) fs::remove(e.path(), item_ec);
      continue;
    }
    if (!ends_with(name, entry_suffix)) continue;
    const auto size = e.file_size(item_ec);
    if (item_ec) continue;
    items.push_back({e.path(), size, time});
    total += size;
  }
  if (total <= max_bytes_) return 0;
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.time < b.time; });
  std::size_t evicted = 0;
  // The newest entry always stays, even when it alone exceeds the bound.
  for (std::size_t i = 0; i + 1 < items.size() && total > max_bytes_; ++i) {
    if (fs::remove(items[i].path, ec)) ++evicted;
    total -= items[i].size;
  }
  return evicted;
}

fs::path resolve_cache_dir(const std::string& option) {
  if (option == "off") return {};
  if (!option.empty()) return option;
  if (const char* dir = std::getenv("TESSERA_CACHE_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) == "off" ? fs::path{} : fs::path(dir);
  }
  if (const auto home = cache_home()) return home->path / "tessera";
  return {};
}

}  // namespace tessera::detail
