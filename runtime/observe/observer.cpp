// The observer interface's small parts: the host clock and lane names.

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

Observer::~Observer() = default;

}  // namespace tessera
