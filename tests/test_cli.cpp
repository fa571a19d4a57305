// The tessera command: devices as a table and as JSON, selection, fission, errors and exit codes.

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/topology.hpp"

using tessera::test::run_tessera;

namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// The table's data rows split on runs of two or more spaces (cells may hold single spaces).
std::vector<std::vector<std::string>> table_rows(const std::string& table) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : lines(table)) {
    std::vector<std::string> cells;
    std::size_t pos = 0;
    while (pos < line.size()) {
      auto gap = line.find("  ", pos);
      if (gap == std::string::npos) gap = line.size();
      cells.push_back(line.substr(pos, gap - pos));
      pos = line.find_first_not_of(' ', gap);
      if (pos == std::string::npos) break;
    }
    rows.push_back(cells);
  }
  return rows;
}

std::size_t expected_devices() {
  const auto& t = tessera::test::topology();
  return t.root_devices;
}

}  // namespace

TEST_CASE("--version and --help") {
  const auto version = run_tessera({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(contains(version.out, "tessera 0."));
  const auto help = run_tessera({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(contains(help.out, "devices"));
}

TEST_CASE("usage errors exit 2 with one line first") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"bogus"}, {"devices", "--bogus"},
        {"devices", "--cpu-split", "0"}, {"devices", "--cpu-split", "-1"},
        {"devices", "--cpu-split", "x"}, {"devices", "extra"}}) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    INFO("tessera " << joined);
    const auto r = run_tessera(args);
    CHECK(r.exit_code == 2);
    CHECK(first_line(r.err).rfind("error: ", 0) == 0);
    CHECK(r.out.empty());
  }
}

TEST_CASE("devices: the table and the JSON agree") {
  const auto& topo = tessera::test::topology();
  const auto table = run_tessera({"devices"});
  if (topo.no_platform) {
    CHECK(table.exit_code == 1);
    CHECK(first_line(table.err).rfind("error: no OpenCL platform found", 0) == 0);
    CHECK(table.out.empty());
    return;
  }
  REQUIRE(table.exit_code == 0);
  const auto json_run = run_tessera({"devices", "--json"});
  REQUIRE(json_run.exit_code == 0);
  const auto json = nlohmann::json::parse(json_run.out);  // throws, failing the test, if invalid
  const auto& devices = json.at("devices");
  REQUIRE(devices.size() == expected_devices());

  const auto rows = table_rows(table.out);
  REQUIRE(rows.size() == devices.size() + 1);
  CHECK(rows[0][0] == "#");
  CHECK(rows[0][2] == "name");
  for (std::size_t k = 0; k < devices.size(); ++k) {
    const auto& d = devices[k];
    const auto& row = rows[k + 1];
    INFO("row " << k << ": " << table.out);
    REQUIRE(row.size() == 11);
    CHECK(row[0] == d.at("label").get<std::string>());
    CHECK(row[1] == d.at("platform").at("name").get<std::string>());
    CHECK(row[2] == d.at("name").get<std::string>());
    CHECK(row[3] == d.at("type").get<std::string>());
    CHECK(row[4] == std::to_string(d.at("compute_units").get<unsigned>()));
    CHECK(row[5] == std::to_string(d.at("clock_mhz").get<unsigned>()));
    CHECK(row[8] == d.at("opencl_c_version").get<std::string>());
    CHECK(row[9] == (d.at("fp64").get<bool>() ? "yes" : "no"));
    CHECK(row[10] == (d.at("unified_memory").get<bool>() ? "yes" : "no"));
    CHECK(d.at("index").get<std::size_t>() == k);
    CHECK(d.at("global_memory").get<std::uint64_t>() >= d.at("max_alloc").get<std::uint64_t>());
    CHECK(d.at("sub_device").is_null());
  }

  if (topo.broken_platform) {
    CHECK(contains(table.err, "warn: skipping platform"));
    CHECK(contains(table.err, "CL_OUT_OF_HOST_MEMORY"));
    const auto quiet = run_tessera({"devices"}, {"TESSERA_LOG=error"});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.err.empty());
  } else {
    CHECK(table.err.empty());
  }
}

TEST_CASE("devices: selection and fission") {
  const auto& topo = tessera::test::topology();
  if (topo.no_platform) return;

  const auto first = run_tessera({"devices", "--json", "--devices", "0"});
  REQUIRE(first.exit_code == 0);
  CHECK(nlohmann::json::parse(first.out).at("devices").size() == 1);

  // A listing shows every device: TESSERA_DEVICES narrows the other commands only.
  const auto env = run_tessera({"devices", "--json"}, {"TESSERA_DEVICES=0"});
  REQUIRE(env.exit_code == 0);
  CHECK(nlohmann::json::parse(env.out).at("devices").size() == expected_devices());
  const auto narrowed = run_tessera({"build", "--json", "builtin:saxpy"}, {"TESSERA_DEVICES=0"});
  REQUIRE(narrowed.exit_code == 0);
  CHECK(nlohmann::json::parse(narrowed.out).at("devices").size() == 1);

  const auto split = run_tessera({"devices", "--json", "--cpu-split", "1", "--devices", "platform=portable"});
  REQUIRE(split.exit_code == 0);
  const auto parts = nlohmann::json::parse(split.out).at("devices");
  for (const auto& p : parts) CHECK(p.at("compute_units").get<unsigned>() == 1);
  CHECK(parts.size() >= 2);  // PoCL's 2 compute units (or two 1-CU devices) give two parts
  if (topo.name == "pocl" && tessera::test::host_cores() == 2) {
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].at("label") == "0.0");
    CHECK(parts[1].at("label") == "0.1");
    CHECK(parts[1].at("sub_device") == 1);
  }
}

TEST_CASE("devices: every label the listing prints selects that device") {
  if (tessera::test::topology().no_platform) return;
  for (const std::vector<std::string>& split : {std::vector<std::string>{}, {"--cpu-split", "1"}}) {
    std::vector<std::string> list{"devices", "--json"};
    list.insert(list.end(), split.begin(), split.end());
    const auto listing = run_tessera(list);
    REQUIRE(listing.exit_code == 0);
    const auto devices = nlohmann::json::parse(listing.out).at("devices");
    REQUIRE_FALSE(devices.empty());
    for (const auto& d : devices) {
      const auto label = d.at("label").get<std::string>();
      auto args = list;
      args.insert(args.end(), {"--devices", label});
      const auto one = run_tessera(args);
      const std::string command = "tessera devices --devices " + label + (split.empty() ? "" : " --cpu-split 1");
      INFO(command << ": " << one.err);
      REQUIRE(one.exit_code == 0);
      const auto picked = nlohmann::json::parse(one.out).at("devices");
      REQUIRE(picked.size() == 1);
      CHECK(picked[0].at("label") == label);
    }
  }
}

TEST_CASE("devices: selector errors exit 2") {
  const auto& topo = tessera::test::topology();
  const auto syntax = run_tessera({"devices", "--devices", "cpu,gpx"});
  CHECK(syntax.exit_code == 2);
  CHECK(first_line(syntax.err).rfind("error: invalid device selector 'cpu,gpx'", 0) == 0);
  CHECK(contains(first_line(syntax.err), "'gpx'"));

  // A selector from the environment says so.
  const auto env_syntax = run_tessera({"build", "builtin:saxpy"}, {"TESSERA_DEVICES=gpx"});
  CHECK(env_syntax.exit_code == 2);
  CHECK(first_line(env_syntax.err).rfind("error: TESSERA_DEVICES: invalid device selector 'gpx': unknown term 'gpx'", 0) == 0);

  if (topo.no_platform) return;
  const auto none = run_tessera({"devices", "--devices", "name=no-such-device"});
  CHECK(none.exit_code == 2);
  CHECK(first_line(none.err) ==
        "error: device selector 'name=no-such-device' matches no device; the devices are:");
  const auto all = nlohmann::json::parse(run_tessera({"devices", "--json"}).out).at("devices");
  for (const auto& d : all) CHECK(contains(none.err, d.at("name").get<std::string>()));
  CHECK(lines(none.err).size() == all.size() + 1);

  const auto env_none = run_tessera({"build", "builtin:saxpy"}, {"TESSERA_DEVICES=name=no-such-device"});
  CHECK(env_none.exit_code == 2);
  CHECK(first_line(env_none.err) ==
        "error: TESSERA_DEVICES: device selector 'name=no-such-device' matches no device; the devices are:");

  // Sub-device labels exist only once devices are split.
  const auto unsplit = run_tessera({"devices", "--devices", "0.1"});
  CHECK(unsplit.exit_code == 2);
  CHECK(first_line(unsplit.err) == "error: device selector '0.1' matches no device; the devices are:");
}

TEST_CASE("a cache home that cannot hold caches: XDG_CACHE_HOME is ignored, HOME is named") {
  namespace fs = std::filesystem;
  const auto& topo = tessera::test::topology();
  const tessera::test::TempDir dir;
  const std::string file = dir.write("file", "not a folder").string();
  const fs::path home = dir / "home";
  fs::create_directories(home);
  // The caches go where these variables put them, not where the test's environment does.
  const auto env = [](std::string home_value, std::string xdg) {
    return std::vector<std::string>{"HOME=" + home_value, xdg, "TESSERA_CACHE_DIR", "POCL_CACHE_DIR"};
  };

  const auto r = run_tessera({"build", "builtin:saxpy"}, env(home.string(), "XDG_CACHE_HOME=" + file));
  INFO(r.err);
  CHECK(first_line(r.err) == "warn: XDG_CACHE_HOME: " + file + " cannot hold caches: " + file +
                                 " is not a folder; ignored: caches go under $HOME/.cache");
  if (topo.no_platform) return;
  CHECK(r.exit_code == 0);
  CHECK(fs::is_directory(home / ".cache" / "tessera" / "programs"));

  // Without a cache folder PoCL finds no device: the error says why, not that no driver is there.
  const auto no_home = run_tessera({"devices"}, env(file, "XDG_CACHE_HOME"));
  INFO(no_home.err);
  if (topo.oclgrind) {
    CHECK(no_home.exit_code == 0);  // Oclgrind keeps no cache
  } else {
    CHECK(no_home.exit_code == 1);
    CHECK(contains(first_line(no_home.err), "HOME: " + file + "/.cache cannot hold caches: " + file +
                                                " is not a folder, and drivers that keep their cache there "
                                                "(PoCL) find no device"));
    CHECK_FALSE(contains(no_home.err, "install an OpenCL driver"));
  }
}

TEST_CASE("an unknown TESSERA_LOG level is a usage error") {
  const auto r = run_tessera({"devices"}, {"TESSERA_LOG=loud"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "TESSERA_LOG"));
}

TEST_CASE("TESSERA_ZERO_COPY: off makes every device copy; anything but on or off is a usage error") {
  const auto bad = run_tessera({"devices"}, {"TESSERA_ZERO_COPY=maybe"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "error: TESSERA_ZERO_COPY: 'maybe' is neither on nor off\n");
  if (tessera::test::topology().no_platform || tessera::test::topology().broken_platform) return;
  const std::string job = std::string(TESSERA_TEST_SOURCE_DIR) + "/../samples/jobs/saxpy.toml";
  const auto plan = [&](const char* setting) {
    return run_tessera({"run", "--dry-run", job}, {std::string("TESSERA_ZERO_COPY=") + setting}).out;
  };
  CHECK(contains(plan("off"), "transfers per chunk"));
  CHECK_FALSE(contains(plan("off"), "host memory in place"));
  CHECK(contains(plan("on"), "host memory in place"));  // PoCL shares host memory
}

TEST_CASE("build: compiles on each device and prints the logs; errors exit 2 naming file and line") {
  const auto& topo = tessera::test::topology();
  if (topo.no_platform) {
    CHECK(run_tessera({"build", "builtin:saxpy"}).exit_code == 1);
    return;
  }
  const std::vector<std::string> no_cache{"TESSERA_CACHE_DIR=off"};

  const auto ok = run_tessera({"build", "builtin:saxpy"}, no_cache);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.out, "kernel saxpy(float a, global const float* x, global float* y)"));
  CHECK(contains(ok.out, "built 'saxpy.cl' on " + std::to_string(expected_devices()) + " of " +
                             std::to_string(expected_devices()) + " devices"));

  char dir_template[] = "/tmp/tessera-cli-build-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string bad = dir + "/bad.cl";
  {
    std::ofstream out(bad);
    out << "// a kernel with a typo on line 3\nkernel void k(global float* p) {\n"
           "  p[0] = undefined_thing;\n}\n";
  }
  const auto failed = run_tessera({"build", bad}, no_cache);
  CHECK(failed.exit_code == 2);
  // The first line is the first diagnostic, compiler style, before anything the drivers print
  // themselves; their compilers' counts ("1 error generated.") are left out.
  INFO(failed.err);
  CHECK(lines(failed.err).at(0) == "error: " + bad + ":3:10: use of undeclared identifier 'undefined_thing'");
  CHECK(lines(failed.err).at(1).rfind("'" + bad + "' failed to build on ", 0) == 0);
  CHECK_FALSE(contains(failed.err, " generated."));

  // An error that stops the compiler at once ("fatal error" to clang) is the first line too.
  const std::string fatal = dir + "/fatal.cl";
  std::ofstream(fatal) << "#include <no-such-header.h>\nkernel void k(global int* p) { p[0] = 1; }\n";
  const auto stopped = run_tessera({"build", fatal}, no_cache);
  CHECK(stopped.exit_code == 2);
  CHECK(first_line(stopped.err) == "error: " + fatal + ":1:10: 'no-such-header.h' file not found");

  const std::string defined = dir + "/defined.cl";
  {
    std::ofstream out(defined);
    out << "#ifndef SCALE\n#error \"SCALE is not defined\"\n#endif\n"
           "kernel void k(global int* p) { p[0] = SCALE; }\n";
  }
  CHECK(run_tessera({"build", defined}, no_cache).exit_code == 2);
  CHECK(run_tessera({"build", defined, "-D", "SCALE=3"}, no_cache).exit_code == 0);
  CHECK(run_tessera({"build", defined, "-DSCALE=3", "--options", "-cl-mad-enable"}, no_cache)
            .exit_code == 0);
  const auto bad_define = run_tessera({"build", defined, "-D", "3SCALE=3"}, no_cache);
  CHECK(bad_define.exit_code == 2);
  CHECK(contains(bad_define.err, "define '3SCALE'"));

  const auto missing = run_tessera({"build", dir + "/absent.cl"}, no_cache);
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "error: " + dir + "/absent.cl: cannot read kernel source: no such file"));
  const auto no_builtin = run_tessera({"build", "builtin:nope"}, no_cache);
  CHECK(no_builtin.exit_code == 2);
  CHECK(contains(no_builtin.err, "no builtin kernel 'nope'"));
  std::filesystem::remove_all(dir);
}
