#pragma once
// Internal: a stop request that reaches the run in progress. One thread (a signal watcher)
// calls request(); the job runner hands token() to every run, so a request cancels the run in
// progress at once (no further chunk starts; chunks in flight finish) and every later one.

#include <stop_token>

namespace tessera::detail {

class Interrupter {
 public:
  void request() noexcept { source_.request_stop(); }
  bool requested() const noexcept { return source_.stop_requested(); }
  std::stop_token token() const noexcept { return source_.get_token(); }

 private:
  std::stop_source source_;
};

}  // namespace tessera::detail
