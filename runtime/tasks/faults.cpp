// Injected device failures: the TESSERA_FAULTS syntax, and which chunk of which device fails.

#include "tasks/faults.hpp"

#include <fmt/format.h>

#include <charconv>

#include "tessera/error.hpp"
#include "tessera/selector.hpp"

namespace tessera::detail {
namespace {

std::vector<std::string_view> split(std::string_view text, char by) {
  std::vector<std::string_view> out;
  std::size_t from = 0;
  for (std::size_t at = text.find(by); at != std::string_view::npos; at = text.find(by, from)) {
    out.push_back(text.substr(from, at - from));
    from = at + 1;
  }
  out.push_back(text.substr(from));
  return out;
}

// A negative status by its name (CL_OUT_OF_RESOURCES), or 0.
int status_by_name(std::string_view name) {
  for (int s = -1; s >= -1200; --s) {
    if (cl_status_name(s) == name) return s;
  }
  return 0;
}

}  // namespace

std::vector<FaultSpec> parse_faults(std::string_view text, std::string_view origin) {
  std::vector<FaultSpec> out;
  if (text.empty()) return out;
  for (std::string_view spec : split(text, ';')) {
    const auto bad = [&](std::string_view why) {
      throw Error(Errc::invalid_argument, fmt::format("{}: fault '{}': {}", origin, spec, why));
    };
    if (spec.empty()) continue;
    FaultSpec f;
    bool every = false, has_device = false;
    for (std::string_view field : split(spec, ',')) {
      const std::size_t eq = field.find('=');
      if (eq == std::string_view::npos) bad(fmt::format("'{}' is not key=value", field));
      const std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
      if (key == "device") {
        if (value.empty()) bad("device= needs a selector term");
        try {
          if (Selector::parse(value).terms().size() != 1) bad("device= takes one selector term");
        } catch (const Error& e) {
          if (e.code() != Errc::invalid_selector) throw;
          bad(e.what());
        }
        f.device = value;
        has_device = true;
      } else if (key == "chunk") {
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec != std::errc{} || end != value.data() + value.size() || value.empty()) {
          bad(fmt::format("chunk={} is not a chunk number (0, 1, ...)", value));
        }
        f.chunk = n;
      } else if (key == "every") {
        if (value != "1") bad("every= takes 1");
        every = true;
      } else if (key == "status") {
        f.status = status_by_name(value);
        if (f.status == 0) bad(fmt::format("status={} is not a failure status (CL_OUT_OF_RESOURCES, ...)", value));
      } else if (key == "hang") {
        bad("hang=1 is not implemented");
      } else {
        bad(fmt::format("unknown key '{}' (device, chunk, every, status)", key));
      }
    }
    if (!has_device) bad("device= is missing");
    if (f.status == 0) bad("status= is missing");
    if (every == f.chunk.has_value()) bad("give chunk=N or every=1");
    out.push_back(std::move(f));
  }
  return out;
}

Faults::Faults(const std::vector<FaultSpec>& specs, const std::vector<Device>& devices) {
  if (specs.empty()) return;
  per_device_.resize(devices.size());
  chunks_.assign(devices.size(), 0);
  for (const FaultSpec& f : specs) {
    const Selector selector = Selector::parse(f.device);
    for (std::size_t d = 0; d < devices.size(); ++d) {
      if (selector.matches(devices[d].info())) per_device_[d].push_back({f.chunk, f.status});
    }
  }
}

int Faults::next_chunk(std::size_t device) {
  if (per_device_.empty()) return 0;
  const std::uint64_t n = chunks_[device]++;
  for (const Armed& a : per_device_[device]) {
    if (!a.chunk || *a.chunk == n) return a.status;
  }
  return 0;
}

}  // namespace tessera::detail
