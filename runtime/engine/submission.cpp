// Submission: a launch running in the background.

#include "engine/run.hpp"
#include "tessera/submission.hpp"

namespace tessera {

Submission::Submission(std::shared_ptr<detail::RunState> state) : state_(std::move(state)) {}
Submission::Submission(Submission&&) noexcept = default;
Submission& Submission::operator=(Submission&& other) noexcept {
  if (this != &other) {
    if (state_) {
      state_->ledger.cancel();
      state_->join();
    }
    state_ = std::move(other.state_);
  }
  return *this;
}

Submission::~Submission() {
  if (state_ && !state_->joined) {
    state_->ledger.cancel();
    state_->join();
  }
}

RunStats Submission::wait() { return detail::finish_run(*state_); }

double Submission::progress() const noexcept {
  return static_cast<double>(state_->finished_indices.load()) /
         static_cast<double>(state_->plan.global.split_extent());
}

void Submission::cancel() noexcept { state_->ledger.cancel(); }

bool Submission::done() const noexcept {
  return state_->running_devices.load(std::memory_order_acquire) == 0;
}

}  // namespace tessera
