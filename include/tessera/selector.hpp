#pragma once
// Device selectors: the small language of `--devices`, `devices = "..."` and TESSERA_DEVICES.
//
//   all | cpu | gpu | accelerator | <index> | platform=TEXT | name=TEXT, comma-separated;
//   a leading '-' excludes. The result is the union of the included terms minus the excluded
//   ones; a selector of exclusions only starts from all devices. Order follows discovery.
//
//   auto sel = tessera::Selector::parse("all,-name=oclgrind");
//   std::vector<tessera::Device> chosen = sel.select(discovery.devices);

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/device.hpp"

namespace tessera {

/// One comma-separated term of a selector.
struct SelectorTerm {
  enum class Kind { all, type, index, platform, name };
  Kind kind = Kind::all;
  bool exclude = false;
  DeviceType type = DeviceType::none;  ///< for Kind::type
  std::size_t index = 0;               ///< for Kind::index
  std::string text;                    ///< for platform= and name=: lower-cased substring
  std::string token;                   ///< the term as written, for messages

  /// True when the term (ignoring `exclude`) matches the device.
  bool matches(const DeviceInfo& device) const;
};

class Selector {
 public:
  /// Parses `text`. Throws Error(Errc::invalid_selector) naming the first bad token.
  static Selector parse(std::string_view text);

  /// The selector from $TESSERA_DEVICES, or "all" when it is unset or empty.
  static Selector from_environment();

  bool matches(const DeviceInfo& device) const;

  /// The devices of `devices` the selector picks, in their order. Throws
  /// Error(Errc::no_matching_device), listing every device, when it picks none.
  std::vector<Device> select(const std::vector<Device>& devices) const;

  const std::vector<SelectorTerm>& terms() const noexcept { return terms_; }
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  std::vector<SelectorTerm> terms_;
};

}  // namespace tessera
