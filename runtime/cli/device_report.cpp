#include "cli/device_report.hpp"

#include "common/bytes_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace tessera::cli {
namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

}  // namespace

std::string devices_table(const std::vector<Device>& devices) {
  using Row = std::array<std::string, 11>;
  std::vector<Row> rows;
  rows.push_back({"#", "platform", "name", "type", "CUs", "MHz", "global mem", "max alloc",
                  "OpenCL C", "fp64", "unified"});
  for (const Device& d : devices) {
    const DeviceInfo& i = d.info();
    rows.push_back({i.label(), i.platform_name, i.name, to_string(i.type),
                    fmt::format("{}", i.compute_units), fmt::format("{}", i.clock_mhz),
                    detail::bytes_text(i.global_memory), detail::bytes_text(i.max_alloc), i.opencl_c_version, yes_no(i.fp64),
                    yes_no(i.unified_memory)});
  }
  std::array<std::size_t, 11> widths{};
  for (const Row& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += fmt::format("{:<{}}", row[c], c + 1 < row.size() ? widths[c] + 2 : 0);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

nlohmann::json devices_json(const std::vector<Device>& devices) {
  nlohmann::json list = nlohmann::json::array();
  for (const Device& d : devices) {
    const DeviceInfo& i = d.info();
    list.push_back({
        {"index", i.index},
        {"label", i.label()},
        {"sub_device", i.sub_device < 0 ? nlohmann::json(nullptr) : nlohmann::json(i.sub_device)},
        {"platform", {{"name", i.platform_name}, {"vendor", i.platform_vendor},
                      {"version", i.platform_version}}},
        {"name", i.name},
        {"vendor", i.vendor},
        {"version", i.version},
        {"driver_version", i.driver_version},
        {"opencl_c_version", i.opencl_c_version},
        {"type", to_string(i.type)},
        {"compute_units", i.compute_units},
        {"clock_mhz", i.clock_mhz},
        {"global_memory", i.global_memory},
        {"local_memory", i.local_memory},
        {"max_alloc", i.max_alloc},
        {"max_work_group_size", i.max_work_group_size},
        {"fp64", i.fp64},
        {"fp16", i.fp16},
        {"unified_memory", i.unified_memory},
        {"available", i.available},
        {"compiler_available", i.compiler_available},
        {"max_sub_devices", i.max_sub_devices},
    });
  }
  return {{"devices", list}};
}

}  // namespace tessera::cli
