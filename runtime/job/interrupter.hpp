#pragma once
// Internal: a stop request that reaches the run in progress. One thread (a signal watcher)
// calls request(); the job runner registers each submission while it waits on it, so a request
// cancels it at once (no further chunk starts; chunks in flight finish).

#include <atomic>
#include <mutex>

#include "tessera/submission.hpp"

namespace tessera::detail {

class Interrupter {
 public:
  void request() noexcept {
    std::lock_guard lock(mutex_);
    requested_ = true;
    if (active_ != nullptr) active_->cancel();
  }
  bool requested() const noexcept { return requested_.load(); }

  /// Makes `s` the submission a request cancels; false (and nothing registered) when a request
  /// came already.
  bool attach(Submission& s) noexcept {
    std::lock_guard lock(mutex_);
    if (requested_) return false;
    active_ = &s;
    return true;
  }
  void detach() noexcept {
    std::lock_guard lock(mutex_);
    active_ = nullptr;
  }

 private:
  std::mutex mutex_;
  std::atomic<bool> requested_{false};
  Submission* active_ = nullptr;
};

}  // namespace tessera::detail
