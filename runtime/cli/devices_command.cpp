// tessera devices [--json] [--devices SEL] [--cpu-split N]

#include <fmt/format.h>

#include <memory>

#include "cli/command.hpp"
#include "cli/device_report.hpp"
#include "cli/exit_code.hpp"

namespace tessera::cli {

void add_devices_command(CLI::App& app, Action& action) {
  struct Options {
    RuntimeOptions runtime;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* command = app.add_subcommand(
      "devices", "List every OpenCL platform and device (or those a selector picks)");
  command->add_flag("--json", options->json, "Print JSON instead of a table");
  add_device_options(*command, options->runtime);
  command->callback([options, &action] {
    action = [options] {
      // Every device unless --devices narrows it: TESSERA_DEVICES does not apply to a listing.
      RuntimeOptions runtime_options = options->runtime;
      if (runtime_options.devices.empty()) runtime_options.devices = "all";
      const Runtime runtime(runtime_options);
      report_warnings(runtime);
      if (options->json) {
        fmt::print("{}\n", devices_json(runtime.devices()).dump(2));
      } else {
        fmt::print("{}", devices_table(runtime.devices()));
      }
      return static_cast<int>(exit_ok);
    };
  });
}

}  // namespace tessera::cli
