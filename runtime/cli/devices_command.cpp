// tessera devices [--json] [--devices SEL] [--cpu-split N]

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/device_report.hpp"
#include "cli/exit_code.hpp"

namespace tessera::cli {

int devices_command(const DevicesOptions& options) {
  // Every device unless --devices narrows it: TESSERA_DEVICES does not apply to a listing.
  RuntimeOptions runtime_options = options.runtime;
  if (runtime_options.devices.empty()) runtime_options.devices = "all";
  const Runtime runtime(runtime_options);
  report_warnings(runtime);
  if (options.json) {
    fmt::print("{}\n", devices_json(runtime.devices()).dump(2));
  } else {
    fmt::print("{}", devices_table(runtime.devices()));
  }
  return exit_ok;
}

}  // namespace tessera::cli
