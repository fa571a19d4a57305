#pragma once
// Device selectors: the small language of `--devices`, `devices = "..."` and TESSERA_DEVICES.
//
//   all | cpu | gpu | accelerator | <index> | <index>.<sub> | platform=TEXT | name=TEXT,
//   comma-separated; a leading '-' excludes. The result is the union of the included terms minus
//   the excluded ones; a selector of exclusions only starts from all devices. Order follows
//   discovery. An index ("3") covers the device and every sub-device split from it; "3.1" is
//   sub-device 1 of device 3 only (the labels `tessera devices --cpu-split N` prints).
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
  int sub_device = -1;                 ///< for Kind::index: K of "I.K"; -1 for "I" (all of it)
  std::string text;                    ///< for platform= and name=: lower-cased substring
  std::string token;                   ///< the term as written, for messages

  /// True when the term (ignoring `exclude`) matches the device.
  bool matches(const DeviceInfo& device) const;
};

class Selector {
 public:
  /// Parses `text`. Throws Error(Errc::invalid_selector) naming the first bad token.
  static Selector parse(std::string_view text);

  /// The selector from $TESSERA_DEVICES, or "all" when it is unset or empty. Its errors, of
  /// syntax here and of matching in select(), begin with "TESSERA_DEVICES: ".
  static Selector from_environment();

  bool matches(const DeviceInfo& device) const;

  /// Whether the selector may pick `device` or a sub-device of it ("3.1" may pick a part of
  /// device 3): the devices worth splitting before selecting among their parts.
  bool may_pick_parts_of(const DeviceInfo& device) const;

  /// The devices of `devices` the selector picks, in their order. Throws
  /// Error(Errc::no_matching_device), listing every device, when it picks none.
  std::vector<Device> select(const std::vector<Device>& devices) const;

  const std::vector<SelectorTerm>& terms() const noexcept { return terms_; }
  const std::string& text() const noexcept { return text_; }

 private:
  bool picks(const DeviceInfo& device, bool parts) const;

  std::string text_;
  std::string origin_;  ///< where the text came from ("TESSERA_DEVICES"), for messages
  std::vector<SelectorTerm> terms_;
};

}  // namespace tessera
