// Program, KernelSignature and BuildStats: what a compiled program tells its users.

#include <fmt/format.h>

#include <algorithm>

#include "program/program_handle.hpp"
#include "common/suggest.hpp"
#include "tessera/error.hpp"
#include "tessera/program.hpp"

namespace tessera {

std::string_view to_string(ArgKind kind) noexcept {
  switch (kind) {
    case ArgKind::global_buffer: return "global";
    case ArgKind::constant_buffer: return "constant";
    case ArgKind::local_buffer: return "local";
    case ArgKind::scalar: return "scalar";
  }
  return "unknown";
}

std::string_view to_string(BuildOrigin origin) noexcept {
  switch (origin) {
    case BuildOrigin::compiled: return "compiled";
    case BuildOrigin::cache_hit: return "cache hit";
    case BuildOrigin::shared: return "shared";
    case BuildOrigin::failed: return "failed";
  }
  return "unknown";
}

void KernelSignature::check_arity(std::size_t given) const {
  if (given == args.size()) return;
  throw Error(Errc::invalid_argument,
              fmt::format("kernel '{}' takes {} argument{}, {} given: {}", name, args.size(),
                          args.size() == 1 ? "" : "s", given, to_string()));
}

std::string KernelSignature::to_string() const {
  std::string out = name + "(";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const KernelArg& a = args[i];
    if (i > 0) out += ", ";
    if (a.kind != ArgKind::scalar) out += fmt::format("{} ", tessera::to_string(a.kind));
    if (a.is_const) out += "const ";
    out += a.type_name;
    if (!a.name.empty()) out += " " + a.name;
  }
  return out + ")";
}

BuildStats& BuildStats::operator+=(const BuildStats& o) {
  compiled += o.compiled;
  cache_hits += o.cache_hits;
  cache_misses += o.cache_misses;
  cache_rejected += o.cache_rejected;
  cache_evicted += o.cache_evicted;
  shared += o.shared;
  seconds += o.seconds;
  return *this;
}

Program::Program(std::shared_ptr<const detail::ProgramHandle> handle) : handle_(std::move(handle)) {}

const std::string& Program::name() const noexcept { return handle_->name; }
const std::vector<Device>& Program::devices() const noexcept { return handle_->devices; }
const std::vector<DeviceBuild>& Program::builds() const noexcept { return handle_->builds; }
const std::vector<std::string>& Program::warnings() const noexcept { return handle_->warnings; }
const BuildStats& Program::stats() const noexcept { return handle_->stats; }

std::vector<std::string> Program::kernel_names() const {
  std::vector<std::string> names;
  for (const auto& k : handle_->kernels) names.push_back(k.name);
  return names;
}

bool Program::has_kernel(std::string_view name) const noexcept {
  return std::any_of(handle_->kernels.begin(), handle_->kernels.end(),
                     [&](const KernelSignature& k) { return k.name == name; });
}

const KernelSignature& Program::kernel(std::string_view name) const {
  for (const auto& k : handle_->kernels) {
    if (k.name == name) return k;
  }
  const auto names = kernel_names();
  const auto guess = detail::closest_match(name, names);
  throw Error(Errc::invalid_argument,
              fmt::format("program '{}' has no kernel '{}'{}; its kernels: {}", handle_->name, name,
                          guess ? fmt::format(" (did you mean '{}'?)", *guess) : "",
                          names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
}

}  // namespace tessera
