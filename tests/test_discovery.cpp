// Discovery, the Runtime's device list, and CPU fission, in every device set.

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "support/topology.hpp"
#include "tessera/tessera.hpp"

using tessera::DeviceType;
using tessera::Errc;

namespace {

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

bool is_pocl(const tessera::Device& d) { return contains(d.info().platform_name, "Portable"); }
bool is_oclgrind(const tessera::Device& d) { return d.info().platform_name == "Oclgrind"; }

}  // namespace

TEST_CASE("discovery finds the devices of the topology") {
  const auto& topo = tessera::test::topology();
  if (topo.no_platform) {
    try {
      (void)tessera::discover_devices();
      FAIL("discovery with no platform must throw");
    } catch (const tessera::Error& e) {
      CHECK(e.code() == Errc::no_platform);
      CHECK(contains(e.what(), "no OpenCL platform"));
      CHECK(contains(e.what(), "pocl-opencl-icd"));  // the hint
    }
    return;
  }

  const tessera::Discovery found = tessera::discover_devices();
  REQUIRE(found.devices.size() == topo.root_devices);
  CHECK(std::count_if(found.devices.begin(), found.devices.end(), is_pocl) ==
        static_cast<long>(topo.pocl_devices));
  CHECK(std::count_if(found.devices.begin(), found.devices.end(), is_oclgrind) ==
        (topo.oclgrind ? 1 : 0));

  for (std::size_t k = 0; k < found.devices.size(); ++k) {
    const tessera::DeviceInfo& i = found.devices[k].info();
    INFO("device " << k << ": " << i.name);
    CHECK(i.index == k);
    CHECK(i.sub_device == -1);
    CHECK(i.label() == std::to_string(k));
    CHECK_FALSE(i.name.empty());
    CHECK_FALSE(i.vendor.empty());
    CHECK_FALSE(i.platform_vendor.empty());
    CHECK(i.platform_version.rfind("OpenCL ", 0) == 0);
    CHECK(i.version.rfind("OpenCL ", 0) == 0);
    CHECK(i.opencl_c_version.rfind("OpenCL C ", 0) == 0);
    CHECK_FALSE(i.driver_version.empty());
    CHECK(has_type(i.type, DeviceType::cpu));  // PoCL and Oclgrind both say cpu
    CHECK(i.compute_units >= 1);
    CHECK(i.global_memory > 0);
    CHECK(i.local_memory > 0);
    CHECK(i.max_alloc > 0);
    CHECK(i.max_alloc <= i.global_memory);
    CHECK(i.max_work_group_size >= 1);
    CHECK(i.available);
    CHECK(i.compiler_available);
    CHECK(i.fp64);  // both PoCL and Oclgrind offer cl_khr_fp64 here
    if (is_pocl(found.devices[k])) {
      CHECK(i.unified_memory);  // the zero-copy path
      if (topo.pocl_compute_units != 0) CHECK(i.compute_units == topo.pocl_compute_units);
    }
    if (is_oclgrind(found.devices[k])) {
      CHECK_FALSE(i.unified_memory);  // the transfer path
      CHECK(i.type == (DeviceType::cpu | DeviceType::gpu | DeviceType::accelerator));
    }
  }

  if (topo.broken_platform) {
    REQUIRE(found.warnings.size() == 1);
    CHECK(contains(found.warnings[0], "Tessera Broken Platform"));
    CHECK(contains(found.warnings[0], "CL_OUT_OF_HOST_MEMORY"));
  } else {
    CHECK(found.warnings.empty());
  }
}

TEST_CASE("the runtime selects and splits the devices of the topology") {
  const auto& topo = tessera::test::topology();
  if (topo.no_platform) {
    CHECK_THROWS_AS(tessera::Runtime{tessera::test::runtime_options()}, tessera::Error);
    return;
  }
  const tessera::Runtime rt(tessera::test::runtime_options());
  CHECK(rt.all_devices().size() == topo.root_devices);
  if (topo.cpu_split == 0) {
    CHECK(rt.devices().size() == topo.root_devices);
  } else {
    // Every PoCL device is split into 1-CU parts: on a 2-core machine, two sub-devices.
    std::size_t expected = 0;
    for (const auto& root : rt.all_devices()) expected += root.info().compute_units;
    CHECK(rt.devices().size() == expected);
    CHECK(rt.devices().size() >= 2);
    for (const auto& d : rt.devices()) CHECK(d.info().compute_units == 1);
  }
  CHECK(rt.options().devices == "all");
}

TEST_CASE("a sub-device's label selects it once the devices are split") {
  const auto& topo = tessera::test::topology();
  if (topo.no_platform) return;
  const auto roots = tessera::discover_devices().devices;
  for (const auto& root : roots) {
    if (!is_pocl(root) || root.info().compute_units < 2) continue;
    const std::string label = root.info().label() + ".1";
    INFO("sub-device " << label);
    const tessera::Runtime one({.devices = label, .cpu_split = 1});
    REQUIRE(one.devices().size() == 1);
    CHECK(one.devices()[0].info().label() == label);
    CHECK(one.devices()[0].info().compute_units == 1);
    // Every part but that one.
    const tessera::Runtime others({.devices = "all,-" + label, .cpu_split = 1});
    for (const auto& d : others.devices()) CHECK(d.info().label() != label);
    CHECK(others.devices().size() + 1 == tessera::Runtime({.devices = "all", .cpu_split = 1}).devices().size());
    // Unsplit, there is no sub-device to select.
    CHECK_THROWS_AS(tessera::Runtime({.devices = label}), tessera::Error);
  }
}

TEST_CASE("a selector error is reported before discovery") {
  // Even with no platform at all, a typo in the selector is the error the user sees.
  try {
    tessera::Runtime rt({.devices = "cpu,gpx"});
    FAIL("must throw");
  } catch (const tessera::Error& e) {
    CHECK(e.code() == Errc::invalid_selector);
  }
}

TEST_CASE("CPU fission splits PoCL devices into 1-CU sub-devices") {
  const auto& topo = tessera::test::topology();
  if (topo.no_platform) return;
  const auto roots = tessera::discover_devices().devices;

  std::vector<std::string> warnings;
  const auto parts = tessera::split_cpu_devices(roots, 1, warnings);

  std::size_t expected = 0;
  for (const auto& root : roots) {
    const auto& r = root.info();
    const bool splits = is_pocl(root) && r.compute_units > 1;
    const auto mine = std::count_if(parts.begin(), parts.end(), [&](const tessera::Device& p) {
      return p.info().index == r.index;
    });
    INFO("root " << r.label() << " " << r.name << " with " << r.compute_units << " CUs");
    if (splits) {
      CHECK(r.max_sub_devices >= r.compute_units);
      CHECK(mine == static_cast<long>(r.compute_units));
    } else {
      CHECK(mine == 1);
    }
    expected += splits ? r.compute_units : 1;
  }
  REQUIRE(parts.size() == expected);

  int next_sub = 0;
  std::size_t last_root = static_cast<std::size_t>(-1);
  for (const auto& p : parts) {
    const auto& i = p.info();
    if (i.sub_device < 0) continue;
    if (i.index != last_root) next_sub = 0, last_root = i.index;
    CHECK(i.sub_device == next_sub++);
    CHECK(i.compute_units == 1);
    CHECK(i.label() == std::to_string(i.index) + "." + std::to_string(i.sub_device));
    CHECK(i.name == roots[i.index].info().name);
  }

  if (topo.name == "pocl" && tessera::test::host_cores() == 2) {
    // The 2-core machine of CI: the pthread device becomes exactly two 1-CU sub-devices.
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].info().label() == "0.0");
    CHECK(parts[1].info().label() == "0.1");
  }

  // Oclgrind calls itself a CPU but has a single compute unit: kept whole, silently.
  CHECK(std::count_if(parts.begin(), parts.end(), is_oclgrind) == (topo.oclgrind ? 1 : 0));
  CHECK(warnings.empty());
}

TEST_CASE("CPU fission leaves devices no larger than the split alone, and rejects 0") {
  const auto& topo = tessera::test::topology();
  if (topo.no_platform) return;
  const auto roots = tessera::discover_devices().devices;
  std::vector<std::string> warnings;
  const auto same = tessera::split_cpu_devices(roots, 4096, warnings);
  REQUIRE(same.size() == roots.size());
  for (std::size_t k = 0; k < roots.size(); ++k) CHECK(same[k] == roots[k]);
  CHECK(warnings.empty());

  try {
    (void)tessera::split_cpu_devices(roots, 0, warnings);
    FAIL("a split of 0 compute units must throw");
  } catch (const tessera::Error& e) {
    CHECK(e.code() == Errc::invalid_argument);
  }
}
