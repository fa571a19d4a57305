// The observer interface's small parts: the host clock, lane and transfer reason names.

#include "tessera/observer.hpp"

#include <chrono>

namespace tessera {

std::uint64_t host_clock_ns() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

std::string_view to_string(Lane lane) noexcept {
  switch (lane) {
    case Lane::write: return "write";
    case Lane::kernel: return "kernel";
    case Lane::read: return "read";
  }
  return "kernel";
}

std::string_view to_string(TransferReason reason) noexcept {
  switch (reason) {
    case TransferReason::none: return "transfer";
    case TransferReason::load: return "load";
    case TransferReason::halo: return "halo";
    case TransferReason::read_back: return "read back";
    case TransferReason::evict: return "evict";
  }
  return "transfer";
}

Observer::~Observer() = default;

}  // namespace tessera
