#pragma once
// The device set a test binary runs under (see cmake/TesseraTestTopology.cmake), and what a
// Runtime must find there. Tests take their devices from here, so that one test body is
// checked on one device, two devices, sub-devices and a slow simulator alike.

#include <cstddef>
#include <string>
#include <vector>

#include "tessera/runtime.hpp"

namespace tessera::test {

struct Topology {
  std::string name;              ///< "pocl", "pocl2", "pocl1cu", "fission", "oclgrind", ...
  std::size_t root_devices = 0;  ///< devices discovery must find
  std::size_t pocl_devices = 0;  ///< of which PoCL devices
  bool oclgrind = false;         ///< an Oclgrind simulator is among them
  bool broken_platform = false;  ///< a platform that fails to enumerate is present
  bool no_platform = false;      ///< no platform at all: Runtime construction must fail
  unsigned cpu_split = 0;        ///< RuntimeOptions::cpu_split tests should use
  unsigned pocl_compute_units = 0;  ///< compute units of each PoCL root device; 0 = the host's
};

/// The topology named by $TESSERA_TEST_TOPOLOGY. Throws when it is unset or unknown, so a test
/// binary started by hand says how it must be run.
const Topology& topology();

/// Options giving a test every device of its topology (with fission where the topology asks).
RuntimeOptions runtime_options();

/// Compute units of the host as PoCL's pthread device counts them.
unsigned host_cores();

/// How many different kinds of device (platform, name, version, driver) are in `devices`:
/// the number of separate compilations a program needs.
std::size_t distinct_devices(const std::vector<Device>& devices);

}  // namespace tessera::test
