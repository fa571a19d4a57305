#include "cli/command.hpp"

#include "cli/log.hpp"

namespace tessera::cli {

void add_device_options(CLI::App& command, RuntimeOptions& options) {
  command.add_option("--devices", options.devices,
                     "Device selector: all, cpu, gpu, accelerator, INDEX, platform=TEXT, "
                     "name=TEXT, comma-separated; '-' excludes (default: $TESSERA_DEVICES or all)")
      ->type_name("SEL");
  command.add_option("--cpu-split", options.cpu_split,
                     "Split CPU devices into sub-devices of N compute units (device fission)")
      ->type_name("N")
      ->check(CLI::Range(1u, 4096u));
}

void report_warnings(const Runtime& runtime) {
  for (const auto& line : runtime.warnings()) warn("{}", line);
}

}  // namespace tessera::cli
