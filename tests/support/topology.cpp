#include "support/topology.hpp"

#include <cstdlib>
#include <set>
#include <tuple>
#include <stdexcept>
#include <thread>

namespace tessera::test {
namespace {

Topology make(std::string_view name) {
  Topology t;
  t.name = std::string(name);
  if (name == "pocl") {
    t.root_devices = 1, t.pocl_devices = 1;
  } else if (name == "pocl2") {
    t.root_devices = 2, t.pocl_devices = 2;
  } else if (name == "pocl1cu") {
    t.root_devices = 2, t.pocl_devices = 2, t.pocl_compute_units = 1;
  } else if (name == "fission") {
    t.root_devices = 1, t.pocl_devices = 1, t.cpu_split = 1;
  } else if (name == "oclgrind") {
    t.root_devices = 2, t.pocl_devices = 1, t.oclgrind = true;
  } else if (name == "broken") {
    t.root_devices = 1, t.pocl_devices = 1, t.broken_platform = true;
  } else if (name == "none") {
    t.no_platform = true;
  } else {
    throw std::runtime_error("unknown TESSERA_TEST_TOPOLOGY '" + t.name + "'");
  }
  return t;
}

}  // namespace

const Topology& topology() {
  static const Topology current = [] {
    const char* env = std::getenv("TESSERA_TEST_TOPOLOGY");
    if (env == nullptr) {
      throw std::runtime_error(
          "TESSERA_TEST_TOPOLOGY is not set: run the tests through ctest, which sets the device "
          "environment of each topology");
    }
    return make(env);
  }();
  return current;
}

RuntimeOptions runtime_options() { return {.devices = "all", .cpu_split = topology().cpu_split}; }

unsigned host_cores() { return std::thread::hardware_concurrency(); }

std::size_t distinct_devices(const std::vector<Device>& devices) {
  std::set<std::tuple<std::string, std::string, std::string, std::string, std::string>> kinds;
  for (const auto& d : devices) {
    const auto& i = d.info();
    kinds.emplace(i.platform_name, i.platform_version, i.name, i.version, i.driver_version);
  }
  return kinds.size();
}

}  // namespace tessera::test
