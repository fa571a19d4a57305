#pragma once
// Internal: a Celery worker over Redis (see unacked.hpp for the delivery, result_backend.hpp
// for the results). What a task does is not its business: each registered task name has a
// TaskHandler; the worker takes messages, hands them to a bounded pool of threads, stores each
// outcome and acknowledges the message only then (Celery's acks_late).
//
//   Worker worker(options, {{"tessera.run", run_job_task}}, [](std::string_view line) { ... });
//   worker.serve(stop_token);   // returns after a warm shutdown
//
// Policy, in one place: a failure a handler marks `retry` is sent again (headers.retries + 1)
// until max_retries, the state meanwhile RETRY; any other failure is stored at once. A message
// that is not a task this worker runs (malformed, unknown name, too large, expired) is logged,
// given a FAILURE (REVOKED when expired) when its task id is known, and acknowledged: it never
// stops the worker.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "worker/broker_url.hpp"
#include "worker/celery_message.hpp"
#include "worker/result_backend.hpp"

namespace tessera::detail {

/// What a task handler made of a task: a result (success), or a failure.
struct TaskOutcome {
  std::optional<nlohmann::json> result;
  TaskFailure failure;
  bool retry = false;  ///< another attempt may succeed (a device failed)
};

/// Runs one task. Called from the pool's threads, up to `concurrency` at once. An exception it
/// lets out is stored as an internal failure.
using TaskHandler = std::function<TaskOutcome(const TaskMessage&)>;

/// Receives one line per event (task received, succeeded, failed, retried; a message
/// rejected; the broker lost and found again; messages restored; shutdown).
using WorkerLog = std::function<void(std::string_view line)>;

struct WorkerOptions {
  BrokerUrl broker;
  std::string queue = "celery";
  unsigned concurrency = 1;
  /// How long a message may stay unacknowledged before it is given to another worker (kombu's
  /// default: an hour). Entries of the messages this worker holds are refreshed 4 times per
  /// timeout (at least once a second), so only a stopped worker's ever expire.
  std::chrono::milliseconds visibility_timeout = std::chrono::hours(1);
  unsigned max_retries = 3;  ///< Celery's Task.max_retries default
  /// A message larger than this is not read: a FAILURE (when its id can be found) and dropped.
  std::size_t max_message_bytes = std::size_t{64} << 20;
  std::string hostname;  ///< in events; "tessera.PID@HOST" when empty
  std::chrono::milliseconds heartbeat = std::chrono::seconds(2);
  /// Fields added to every worker event (devices, concurrency, queue).
  nlohmann::json advertised = nlohmann::json::object();
};

class Worker {
 public:
  Worker(WorkerOptions options, std::map<std::string, TaskHandler, std::less<>> tasks, WorkerLog log);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Serves until `stop` is requested, through broker outages (reconnecting with back-off).
  /// Then a warm shutdown: no message is taken any more, the tasks taken run to the end and
  /// their outcomes are stored and acknowledged (waiting for the broker if it is down), and
  /// serve returns. Call once.
  void serve(std::stop_token stop);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tessera::detail
