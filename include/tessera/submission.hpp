#pragma once
// A launch running in the background: wait for it, watch its progress, or cancel it.

#include <memory>

#include "tessera/run_stats.hpp"

namespace tessera {

namespace detail {
struct RunState;
struct TaskState;
struct Internals;
}  // namespace detail

class Submission {
 public:
  Submission(Submission&&) noexcept;
  Submission& operator=(Submission&&) noexcept;
  Submission(const Submission&) = delete;
  Submission& operator=(const Submission&) = delete;
  /// Cancels and waits when the submission was never waited for: no thread outlives it.
  ~Submission();

  /// Blocks until every chunk handed out has finished, folds reductions, and returns the
  /// statistics. Rethrows the first error a device thread met (the other devices stop taking
  /// chunks). Call once.
  RunStats wait();
  /// Fraction of the split dimension finished, 0 to 1.
  double progress() const noexcept;
  /// Stops handing out chunks; chunks in flight finish. Host data outside the finished chunks
  /// is left as it was. A task over arrays is on its devices' queues from submission on: its
  /// commands still run, but unless it had finished its results are discarded, and so are those
  /// of every task that needs its data (or runs after it), submitted before or after: their
  /// wait() returns RunStats::cancelled, the arrays they wrote refuse host reads and tasks
  /// reading them until written anew (ArrayBase::write_bytes, or a task writing those elements).
  void cancel() noexcept;
  /// Whether the run has ended: every chunk finished, or the run was stopped (by cancel() or by a
  /// device's error) and the chunks in flight have drained. wait() then joins threads that have
  /// returned: it no longer waits on a device. Like progress() and cancel(), callable from any
  /// thread, also while another one waits.
  bool done() const noexcept;

 private:
  friend struct detail::Internals;
  explicit Submission(std::shared_ptr<detail::RunState> state);
  explicit Submission(std::shared_ptr<detail::TaskState> task);
  std::shared_ptr<detail::RunState> state_;  ///< a launch over host arrays
  std::shared_ptr<detail::TaskState> task_;  ///< or a task over arrays
};

}  // namespace tessera
