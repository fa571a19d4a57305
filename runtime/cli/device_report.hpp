#pragma once
// Renderings of the device list: a table for people, JSON for programs.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tessera/device.hpp"

namespace tessera::cli {

/// One row per device: index, platform, name, type, compute units, clock, global memory,
/// max allocation, OpenCL C version, fp64, unified memory. Ends with a newline.
std::string devices_table(const std::vector<Device>& devices);

/// {"devices": [ {every DeviceInfo field, memory in bytes}, ... ]}
nlohmann::json devices_json(const std::vector<Device>& devices);

}  // namespace tessera::cli
