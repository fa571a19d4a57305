#pragma once
// Internal: Celery's Redis result backend, written. A task's state is the JSON object
//
//   {"status": "SUCCESS" | "FAILURE" | "RETRY" | "REVOKED", "result": ..., "traceback": ...,
//    "children": [], "date_done": "2024-05-01T12:00:00.000000", "task_id": ID}
//
// stored under `celery-task-meta-ID` (expiring after a day, Celery's result_expires) and
// published on the channel of the same name, which is what AsyncResult.get() listens to. A
// failure's result is an exception as Celery encodes one: {"exc_type", "exc_message": [TEXT],
// "exc_module"}; Celery's client raises it as an exception of that name, str() being TEXT.

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "worker/redis_connection.hpp"

namespace tessera::detail {

/// Why a task failed, as Celery names exceptions.
struct TaskFailure {
  std::string exc_type;    ///< "JobError", "DeviceError", "NotRegistered", ...
  std::string exc_module;  ///< "tessera", or "celery.exceptions" for Celery's own
  std::string message;     ///< one line
  std::string traceback;   ///< detail after the line (build logs); may be empty
};

/// The state documents of each outcome.
nlohmann::json success_state(const std::string& task_id, nlohmann::json result);
nlohmann::json failure_state(const std::string& task_id, const TaskFailure& failure);
/// A failure that will be tried again: Celery's RETRY state (the client keeps waiting).
nlohmann::json retry_state(const std::string& task_id, const TaskFailure& failure);
/// A task that expired before it ran: REVOKED with Celery's TaskRevokedError('expired').
nlohmann::json expired_state(const std::string& task_id);

/// The key of a task's state: "celery-task-meta-ID".
std::string task_state_key(const std::string& task_id);

/// JSON text of `value`; bytes that are not UTF-8 in its strings become U+FFFD.
std::string json_text(const nlohmann::json& value);

class ResultBackend {
 public:
  explicit ResultBackend(std::chrono::seconds expires = std::chrono::hours(24)) : expires_(expires) {}

  /// Stores `state` (one of the documents above) and publishes it, atomically (a transaction
  /// that WATCHes the state), unless the task already has a SUCCESS stored (as Celery's backend
  /// refuses to overwrite one: a task run twice keeps its first success); and in that same
  /// transaction acknowledges the message `ack_tag` (unacked.hpp) unless it is empty: a message
  /// is acknowledged exactly when its outcome (or an earlier success) is in the backend. Returns
  /// whether it was stored. Throws BrokerUnavailable, and BrokerError when the server refuses.
  bool store(RedisConnection& redis, const nlohmann::json& state, const std::string& ack_tag = {}) const;
  /// A retry, in one step on the server: acknowledges `ack_tag`, pushes `next_attempt` onto
  /// `queue` and stores `state` (a retry_state) — only while the message is unacknowledged (a
  /// step repeated after its reply was lost, or a message restored meanwhile, does nothing) and
  /// unless a SUCCESS is stored (then it only acknowledges). Without a tag (a message outside
  /// the bookkeeping) it is done unconditionally. Returns whether the retry was sent. Throws
  /// BrokerUnavailable, and BrokerError when the server refuses.
  bool store_retry(RedisConnection& redis, const nlohmann::json& state, const std::string& ack_tag,
                   const std::string& queue, const std::string& next_attempt) const;

 private:
  std::chrono::seconds expires_;
};

}  // namespace tessera::detail
