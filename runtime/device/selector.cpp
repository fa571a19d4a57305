// The device selector language: parsing terms and picking devices.

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "tessera/error.hpp"
#include "tessera/selector.hpp"

namespace tessera {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad_term(std::string_view selector, std::string_view token, std::string_view why) {
  throw Error(Errc::invalid_selector,
              fmt::format("invalid device selector '{}': {} '{}' (terms: all, cpu, gpu, "
                          "accelerator, an index (3, or 3.1 for a sub-device), platform=TEXT, "
                          "name=TEXT; '-' excludes)",
                          selector, why, token));
}

SelectorTerm parse_term(std::string_view selector, std::string_view raw) {
  SelectorTerm term;
  term.token = std::string(raw);
  std::string_view body = raw;
  if (!body.empty() && body.front() == '-') {
    term.exclude = true;
    body = trim(body.substr(1));
  }
  if (body.empty()) bad_term(selector, raw, "empty term");

  if (const auto eq = body.find('='); eq != std::string_view::npos) {
    const std::string key = lower(trim(body.substr(0, eq)));
    const std::string_view value = trim(body.substr(eq + 1));
    if (key == "platform") {
      term.kind = SelectorTerm::Kind::platform;
    } else if (key == "name") {
      term.kind = SelectorTerm::Kind::name;
    } else {
      bad_term(selector, raw, "unknown key in term");
    }
    if (value.empty()) bad_term(selector, raw, "empty text in term");
    term.text = lower(value);
    return term;
  }

  if (std::isdigit(static_cast<unsigned char>(body.front()))) {
    // INDEX or INDEX.SUB, digits only.
    const char* const end = body.data() + body.size();
    const auto [dot, ec] = std::from_chars(body.data(), end, term.index);
    bool ok = ec == std::errc{};
    if (ok && dot != end) {
      const auto [sub_end, sub_ec] = std::from_chars(dot + 1, end, term.sub_device);
      ok = *dot == '.' && dot + 1 != end && std::isdigit(static_cast<unsigned char>(dot[1])) &&
           sub_ec == std::errc{} && sub_end == end;
    }
    if (!ok) bad_term(selector, raw, "bad device index in term");
    term.kind = SelectorTerm::Kind::index;
    return term;
  }

  const std::string word = lower(body);
  if (word == "all") {
    term.kind = SelectorTerm::Kind::all;
  } else if (word == "cpu" || word == "gpu" || word == "accelerator") {
    term.kind = SelectorTerm::Kind::type;
    term.type = word == "cpu" ? DeviceType::cpu
                : word == "gpu" ? DeviceType::gpu
                                : DeviceType::accelerator;
  } else {
    bad_term(selector, raw, "unknown term");
  }
  return term;
}

std::string describe(const std::vector<Device>& devices) {
  std::string out;
  for (const Device& d : devices) {
    const DeviceInfo& i = d.info();
    out += fmt::format("\n  {:<4} {} [{}] on '{}'", i.label(), i.name, to_string(i.type),
                       i.platform_name);
  }
  return out;
}

}  // namespace

bool SelectorTerm::matches(const DeviceInfo& device) const {
  switch (kind) {
    case Kind::all: return true;
    case Kind::type: return has_type(device.type, type);
    case Kind::index: return device.index == index && (sub_device < 0 || device.sub_device == sub_device);
    case Kind::platform: return lower(device.platform_name).find(text) != std::string::npos;
    case Kind::name: return lower(device.name).find(text) != std::string::npos;
  }
  return false;
}

Selector Selector::parse(std::string_view text) {
  Selector selector;
  selector.text_ = std::string(trim(text));
  if (selector.text_.empty()) bad_term(text, text, "empty selector");
  std::string_view rest = selector.text_;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view raw = trim(rest.substr(0, comma));
    selector.terms_.push_back(parse_term(selector.text_, raw));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return selector;
}

Selector Selector::from_environment() {
  const char* env = std::getenv("TESSERA_DEVICES");
  if (env == nullptr || trim(env).empty()) return parse("all");
  constexpr const char* origin = "TESSERA_DEVICES";
  try {
    Selector selector = parse(env);
    selector.origin_ = origin;
    return selector;
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("{}: {}", origin, e.message()));
  }
}

// With `parts`, a term naming a sub-device of `device` ("3.1" for device 3) counts as picking
// it; such a term never excludes the whole device.
bool Selector::picks(const DeviceInfo& device, bool parts) const {
  bool any_include = false;
  bool included = false;
  for (const SelectorTerm& term : terms_) {
    if (term.exclude) {
      if (term.matches(device)) return false;
    } else {
      any_include = true;
      const bool names_part = parts && term.kind == SelectorTerm::Kind::index && term.sub_device >= 0 &&
                              term.index == device.index;
      included = included || names_part || term.matches(device);
    }
  }
  return any_include ? included : true;
}

bool Selector::matches(const DeviceInfo& device) const { return picks(device, false); }

bool Selector::may_pick_parts_of(const DeviceInfo& device) const { return picks(device, true); }

std::vector<Device> Selector::select(const std::vector<Device>& devices) const {
  std::vector<Device> out;
  std::copy_if(devices.begin(), devices.end(), std::back_inserter(out),
               [this](const Device& d) { return matches(d.info()); });
  if (out.empty()) {
    throw Error(Errc::no_matching_device,
                fmt::format("{}device selector '{}' matches no device; the devices are:{}",
                            origin_.empty() ? std::string() : origin_ + ": ", text_,
                            devices.empty() ? std::string(" none") : describe(devices)));
  }
  return out;
}

}  // namespace tessera
