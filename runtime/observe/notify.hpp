#pragma once
// Internal: calling an observer, whose exceptions never reach a run.

#include "tessera/observer.hpp"

namespace tessera::detail {

/// Calls `call(observer)`; anything it throws is dropped (Observer's contract).
template <typename Call>
void notify(Observer& observer, Call&& call) noexcept {
  try {
    call(observer);
  } catch (...) {
  }
}

}  // namespace tessera::detail
