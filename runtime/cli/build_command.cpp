// tessera build FILE.cl [-D K=V]... [--options S] [--devices SEL] [--cpu-split N] [--json]

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"
#include "cli/held_stderr.hpp"
#include "cli/log.hpp"
#include "tessera/error.hpp"

namespace tessera::cli {
namespace {

Defines parse_defines(const std::vector<std::string>& raw) {
  Defines out;
  for (const auto& d : raw) {
    const auto eq = d.find('=');
    out.emplace_back(d.substr(0, eq), eq == std::string::npos ? "" : d.substr(eq + 1));
  }
  return out;
}

Source source_for(const std::string& file) {
  constexpr std::string_view prefix = "builtin:";
  if (file.rfind(prefix, 0) == 0) return Source::builtin(file.substr(prefix.size()));
  return Source::file(file);
}

std::string indented(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += "    " + line + "\n";
  return out;
}

nlohmann::json stats_json(const BuildStats& s) {
  return {{"compiled", s.compiled},         {"cache_hits", s.cache_hits},
          {"cache_misses", s.cache_misses}, {"cache_rejected", s.cache_rejected},
          {"cache_evicted", s.cache_evicted}, {"shared", s.shared},
          {"seconds", s.seconds}};
}

nlohmann::json program_json(const Program& program) {
  nlohmann::json devices = nlohmann::json::array();
  for (const DeviceBuild& b : program.builds()) {
    devices.push_back({{"label", b.device.info().label()},
                       {"name", b.device.name()},
                       {"origin", to_string(b.origin)},
                       {"log", b.log}});
  }
  nlohmann::json kernels = nlohmann::json::array();
  for (const auto& name : program.kernel_names()) {
    const KernelSignature& k = program.kernel(name);
    nlohmann::json args = nlohmann::json::array();
    for (const KernelArg& a : k.args) {
      args.push_back({{"name", a.name}, {"type", a.type_name}, {"kind", to_string(a.kind)},
                      {"const", a.is_const}});
    }
    kernels.push_back({{"name", k.name}, {"signature", k.to_string()}, {"args", args}});
  }
  return {{"program", program.name()}, {"devices", devices}, {"kernels", kernels},
          {"stats", stats_json(program.stats())}, {"warnings", program.warnings()}};
}

void print_text(const Program& program) {
  for (const DeviceBuild& b : program.builds()) {
    fmt::print("{:<5} {:<36} {}\n", b.device.info().label(), b.device.name(), to_string(b.origin));
    if (!b.log.empty()) fmt::print("{}", indented(b.log));
  }
  const BuildStats& s = program.stats();
  fmt::print("built '{}' on {} of {} devices in {:.3f} s: {} compiled, {} cache hit(s), {} shared, "
             "{} cache miss(es)\n",
             program.name(), program.devices().size(), program.builds().size(), s.seconds,
             s.compiled, s.cache_hits, s.shared, s.cache_misses);
  for (const auto& name : program.kernel_names()) {
    fmt::print("kernel {}\n", program.kernel(name).to_string());
  }
}

}  // namespace

int build_command(const BuildOptions& options) {
  HeldStderr held;  // the drivers' own words come after a build error, not before
  const Runtime runtime(options.runtime);
  report_warnings(runtime);
  const Program program = runtime.compile(source_for(options.file), options.compiler_options,
                                          parse_defines(options.defines));
  held.release();
  for (const auto& w : program.warnings()) warn("{}", w);
  if (options.json) {
    fmt::print("{}\n", program_json(program).dump(2));
  } else {
    print_text(program);
  }
  return exit_ok;
}

}  // namespace tessera::cli
