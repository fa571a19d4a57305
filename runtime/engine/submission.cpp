// Submission: a launch running in the background (over host arrays: a RunState with its
// threads; over arrays: a TaskState on the devices' queues).

#include "tessera/submission.hpp"

#include "common/internals.hpp"
#include "engine/run.hpp"
#include "tasks/task_state.hpp"
#include "tessera/error.hpp"
#include "tessera/launch.hpp"

namespace tessera {

Submission::Submission(std::shared_ptr<detail::RunState> state) : state_(std::move(state)) {}
Submission::Submission(std::shared_ptr<detail::TaskState> task) : task_(std::move(task)) {}
Submission::Submission(Submission&&) noexcept = default;
Submission& Submission::operator=(Submission&& other) noexcept {
  if (this != &other) {
    if (state_) {
      state_->ledger.cancel();
      state_->join();
    }
    state_ = std::move(other.state_);
    task_ = std::move(other.task_);
  }
  return *this;
}

Submission::~Submission() {
  if (state_ && !state_->joined) {
    state_->ledger.cancel();
    state_->join();
  }
}

RunStats Submission::wait() { return task_ ? task_->wait() : detail::finish_run(*state_); }

double Submission::progress() const noexcept {
  if (task_) {
    task_->poll();
    return static_cast<double>(task_->done_indices.load()) / static_cast<double>(task_->global.split_extent());
  }
  return static_cast<double>(state_->finished_indices.load()) /
         static_cast<double>(state_->plan.global.split_extent());
}

void Submission::cancel() noexcept {
  if (state_) state_->ledger.cancel();
  if (task_) task_->cancel();
}

bool Submission::done() const noexcept {
  if (task_) return task_->poll();
  return state_->running_devices.load(std::memory_order_acquire) == 0;
}

Launch& Launch::after(const Submission& task) {
  const auto& t = detail::Internals::task(task);
  if (!t) throw Error(Errc::invalid_argument, "after() takes the submission of a launch over arrays");
  after_.push_back(t);
  return *this;
}

}  // namespace tessera
