// The on-disk program binary cache: hits across runtimes and processes (by the counters),
// what makes a key change, corrupt and foreign entries, eviction, concurrent writers.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "program/program_cache.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/topology.hpp"
#include "tessera/tessera.hpp"

namespace fs = std::filesystem;
using tessera::BuildOrigin;
using tessera::Source;

namespace {

tessera::Runtime cached_runtime(const fs::path& cache, std::uint64_t max_bytes = 256ull << 20) {
  auto options = tessera::test::runtime_options();
  options.cache_dir = cache.string();
  options.cache_max_bytes = max_bytes;
  return tessera::Runtime(options);
}

std::vector<fs::path> entries(const fs::path& cache) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cache / "programs", ec)) {
    if (e.path().extension() == ".tsc") out.push_back(e.path());
  }
  return out;
}

std::size_t kinds(const tessera::Runtime& rt) { return tessera::test::distinct_devices(rt.devices()); }

const char* const kernel_text = "kernel void k(global int* p, const int v) { p[get_global_id(0)] = v; }\n";

}  // namespace

TEST_CASE("a second runtime hits the cache: one entry per kind of device") {
  tessera::test::TempDir cache;
  const Source src = Source::string(kernel_text, "k.cl");
  {
    const auto rt = cached_runtime(cache.path());
    const auto p = rt.compile(src);
    CHECK(p.stats().cache_misses == kinds(rt));
    CHECK(p.stats().cache_hits == 0);
    CHECK(p.stats().compiled == kinds(rt));
    CHECK(entries(cache.path()).size() == kinds(rt));
    CHECK(rt.cache_dir() == cache.path().string());
  }
  const auto rt = cached_runtime(cache.path());
  const auto p = rt.compile(src);
  CHECK(p.stats().cache_hits == kinds(rt));
  CHECK(p.stats().cache_misses == 0);
  CHECK(p.stats().compiled == 0);
  for (const auto& b : p.builds()) CHECK(b.origin == BuildOrigin::cache_hit);
  // Signatures survive the cache (they are stored with the binary).
  REQUIRE(p.kernel("k").args.size() == 2);
  CHECK(p.kernel("k").args[1].name == "v");
}

TEST_CASE("changing options, a define, an included file or the source misses") {
  tessera::test::TempDir cache;
  tessera::test::TempDir src_dir;
  src_dir.write("inc.h", "#define VALUE 1\n");
  const auto file = src_dir.write(
      "main.cl", "#include \"inc.h\"\nkernel void k(global int* p) { p[0] = VALUE; }\n");
  const auto rt = cached_runtime(cache.path());
  const std::size_t n = kinds(rt);

  auto misses = [&](std::string_view options, const tessera::Defines& defines) {
    return rt.compile(Source::file(file), options, defines).stats().cache_misses;
  };
  CHECK(misses("", {}) == n);
  CHECK(misses("", {}) == 0);                          // same again: hit
  CHECK(misses("-cl-mad-enable", {}) == n);            // options
  CHECK(misses("-cl-mad-enable", {}) == 0);
  CHECK(misses("", {{"EXTRA", "1"}}) == n);            // a define
  CHECK(misses("", {{"EXTRA", "2"}}) == n);            // its value
  CHECK(misses("", {{"EXTRA", "2"}}) == 0);
  src_dir.write("inc.h", "#define VALUE 2\n");         // an included file
  CHECK(misses("", {}) == n);
  CHECK(misses("", {}) == 0);
}

TEST_CASE("the key covers the driver, device, platform and Tessera's version") {
  tessera::DeviceInfo d;
  d.platform_name = "Portable Computing Language";
  d.platform_version = "OpenCL 3.0 PoCL 3.1";
  d.name = "pthread-cpu";
  d.version = "OpenCL 3.0";
  d.driver_version = "3.1+debian";
  const auto base = tessera::detail::program_cache_key("src", "-O2", d);
  CHECK(base == tessera::detail::program_cache_key("src", "-O2", d));
  CHECK(base.hex().size() == 32);

  auto changed = [&](auto mutate) {
    tessera::DeviceInfo other = d;
    mutate(other);
    return !(tessera::detail::program_cache_key("src", "-O2", other) == base);
  };
  CHECK(changed([](auto& i) { i.driver_version = "3.2"; }));
  CHECK(changed([](auto& i) { i.name = "basic-cpu"; }));
  CHECK(changed([](auto& i) { i.platform_version = "OpenCL 3.0 PoCL 3.2"; }));
  CHECK(changed([](auto& i) { i.platform_name = "Oclgrind"; }));
  CHECK(changed([](auto& i) { i.version = "OpenCL 1.2"; }));
  CHECK(!(tessera::detail::program_cache_key("src ", "-O2", d) == base));
  CHECK(!(tessera::detail::program_cache_key("src", "-O3", d) == base));
  // Field boundaries count: moving text from options into the source changes the key.
  CHECK(!(tessera::detail::program_cache_key("-O2src", "", d) ==
          tessera::detail::program_cache_key("src", "-O2", d)));
}

TEST_CASE("corrupt, truncated and foreign entries are rebuilt and replaced") {
  tessera::test::TempDir cache;
  const Source a = Source::string(kernel_text, "a.cl");
  const Source b = Source::string("kernel void other(global float* p) { p[0] = 2.0f; }\n", "b.cl");
  const auto rt = cached_runtime(cache.path());
  const std::size_t n = kinds(rt);
  REQUIRE(rt.compile(a).stats().cache_misses == n);
  const auto a_entries = entries(cache.path());
  REQUIRE(a_entries.size() == n);

  auto damage_all = [&](auto damage) {
    for (const auto& path : a_entries) {
      std::string bytes = tessera::test::read_text(path);
      damage(bytes);
      std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    }
  };
  auto expect_rebuilt = [&] {
    const auto p = rt.compile(a);
    CHECK(p.stats().cache_rejected == n);
    CHECK(p.stats().compiled == n);
    CHECK(p.devices().size() == rt.devices().size());
    CHECK(rt.compile(a).stats().cache_hits == n);  // replaced by a good entry
  };

  SUBCASE("truncated") {
    damage_all([](std::string& s) { s.resize(s.size() / 2); });
    expect_rebuilt();
  }
  SUBCASE("one byte of the binary flipped") {
    damage_all([](std::string& s) { s[s.size() / 2] = static_cast<char>(s[s.size() / 2] ^ 0x5a); });
    expect_rebuilt();
  }
  SUBCASE("garbage") {
    damage_all([](std::string& s) { s.assign(100, 'x'); });
    expect_rebuilt();
  }
  SUBCASE("empty") {
    damage_all([](std::string& s) { s.clear(); });
    expect_rebuilt();
  }
  SUBCASE("a link to /dev/zero (read with a bound: no hang)") {
    for (const auto& path : a_entries) {
      fs::remove(path);
      fs::create_symlink("/dev/zero", path);
    }
    expect_rebuilt();
  }
  SUBCASE("an (empty) folder") {
    for (const auto& path : a_entries) {
      fs::remove(path);
      fs::create_directory(path);
    }
    expect_rebuilt();
  }
  SUBCASE("a valid entry of another program under this key") {
    tessera::test::TempDir other_cache;
    const auto other = cached_runtime(other_cache.path());
    REQUIRE(other.compile(b).stats().cache_misses == n);
    const auto foreign = entries(other_cache.path());
    REQUIRE(foreign.size() == n);
    for (std::size_t k = 0; k < n; ++k) fs::copy_file(foreign[k], a_entries[k], fs::copy_options::overwrite_existing);
    // With one kind of device the foreign entry lands on the right device's key; with several
    // it may also be another device's entry: rejected either way.
    expect_rebuilt();
  }
}

TEST_CASE("an entry whose binary the driver refuses is rebuilt and replaced") {
  tessera::test::TempDir cache;
  const Source a = Source::string(kernel_text, "a.cl");
  const auto rt = cached_runtime(cache.path());
  if (kinds(rt) != 1) return;  // one entry, for one kind of device: forge it
  REQUIRE(rt.compile(a).stats().cache_misses == 1);
  const auto path = entries(cache.path()).at(0);
  tessera::detail::CacheKey key;
  const std::string hex = path.stem().string();
  for (std::size_t i = 0; i < key.bytes.size(); ++i) {
    key.bytes[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  // Well-formed, right key, right device and checksum; the binary itself is nonsense.
  tessera::detail::CacheEntry forged;
  forged.binary.assign(4096, 0xab);
  forged.kernels = {{"k", {}}};
  const auto bytes = tessera::detail::encode_cache_entry(key, rt.devices()[0].info(), forged);
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  const auto p = rt.compile(a);
  CHECK(p.stats().cache_rejected == 1);
  CHECK(p.stats().compiled == 1);
  CHECK(p.kernel("k").args.size() == 2);  // the real signature, not the forged one
  CHECK(rt.compile(a).stats().cache_hits == 1);
}

TEST_CASE("programs that depend on files outside their text are not cached") {
  tessera::test::TempDir cache;
  tessera::test::TempDir src;
  src.write("inc/v.h", "#define V 1\n");
  const auto file = src.write("k.cl", "#include <v.h>\nkernel void k(global int* p) { p[0] = V; }\n");
  const auto rt = cached_runtime(cache.path());
  const std::string options = "-I " + (src.path() / "inc").string();
  const auto first = rt.compile(Source::file(file), options);
  CHECK(first.stats().cache_hits + first.stats().cache_misses == 0);
  CHECK(entries(cache.path()).empty());
  src.write("inc/v.h", "#define V 2\nkernel void added(global int* p) { p[0] = 0; }\n");
  const auto second = rt.compile(Source::file(file), options);
  CHECK(second.has_kernel("added"));  // not a stale binary
}

TEST_CASE("the cache stays under its size bound, evicting the least recently used") {
  tessera::test::TempDir cache;
  const auto rt = cached_runtime(cache.path(), 1);  // smaller than any entry: keep the newest
  std::size_t evicted = 0;
  for (int v = 0; v < 3; ++v) {
    const auto p = rt.compile(Source::string(kernel_text, "k.cl"), "", {{"V", std::to_string(v)}});
    evicted += p.stats().cache_evicted;
    CHECK(entries(cache.path()).size() == 1);
  }
  CHECK(evicted == 3 * kinds(rt) - 1);
  CHECK(rt.build_stats().cache_evicted == evicted);

  // A generous bound evicts nothing.
  tessera::test::TempDir roomy;
  const auto big = cached_runtime(roomy.path());
  for (int v = 0; v < 3; ++v) {
    CHECK(big.compile(Source::string(kernel_text, "k.cl"), "", {{"V", std::to_string(v)}})
              .stats()
              .cache_evicted == 0);
  }
  CHECK(entries(roomy.path()).size() == 3 * kinds(big));
}

TEST_CASE("with the cache off nothing is written; an unwritable cache is a warning") {
  tessera::test::TempDir cache;
  auto options = tessera::test::runtime_options();
  options.cache_dir = "off";
  const tessera::Runtime off(options);
  const auto p = off.compile(Source::string(kernel_text, "k.cl"));
  CHECK(p.stats().cache_hits + p.stats().cache_misses == 0);
  CHECK(off.cache_dir().empty());

  const auto blocker = cache.write("file", "not a folder");
  const auto rt = cached_runtime(blocker / "cache");
  const auto q = rt.compile(Source::string(kernel_text, "k.cl"));
  CHECK(q.devices().size() == rt.devices().size());
  REQUIRE_FALSE(q.warnings().empty());
  CHECK(q.warnings()[0].find("program cache") != std::string::npos);
}

TEST_CASE("processes share the cache: a second process hits, two at once both succeed") {
  const auto& topo = tessera::test::topology();
  tessera::test::TempDir cache;
  tessera::test::TempDir src;
  const auto file = src.write("k.cl", kernel_text);
  std::vector<std::string> args{"build", "--json", file.string()};
  if (topo.cpu_split != 0) {
    args.insert(args.end(), {"--cpu-split", std::to_string(topo.cpu_split)});
  }
  const std::vector<std::string> env{"TESSERA_CACHE_DIR=" + cache.path().string()};
  const std::size_t n = [&] {
    const auto rt = cached_runtime(cache.path() / "unused");
    return kinds(rt);
  }();

  // Two processes compile the same program at the same time.
  auto first = tessera::test::start_process(TESSERA_CLI_PATH, args, env);
  auto second = tessera::test::start_process(TESSERA_CLI_PATH, args, env);
  const auto r1 = first.wait();
  const auto r2 = second.wait();
  REQUIRE(r1.exit_code == 0);
  REQUIRE(r2.exit_code == 0);
  for (const auto& r : {r1, r2}) {
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j.at("stats").at("cache_rejected").get<std::size_t>() == 0);
    REQUIRE(j.at("kernels").size() == 1);
    CHECK(j.at("kernels")[0].at("signature") == "k(global int* p, int v)");
    CHECK(j.at("devices").size() == tessera::Runtime(tessera::test::runtime_options()).devices().size());
  }
  CHECK(entries(cache.path()).size() == n);
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(cache.path() / "programs")) {
    CHECK(e.path().extension() == ".tsc");
  }

  // A third, later process is served from the cache alone.
  const auto r3 = tessera::test::run_tessera(args, env);
  REQUIRE(r3.exit_code == 0);
  const auto j3 = nlohmann::json::parse(r3.out);
  CHECK(j3.at("stats").at("cache_hits").get<std::size_t>() == n);
  CHECK(j3.at("stats").at("compiled").get<std::size_t>() == 0);
  for (const auto& d : j3.at("devices")) CHECK(d.at("origin") == "cache hit");
}
