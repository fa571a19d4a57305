#pragma once
// Internal: Celery task messages (message protocol 2, JSON) in kombu's Redis envelope, read and
// written. What a Redis list holds is one JSON object per message:
//
//   {"body": BASE64, "content-type": "application/json", "content-encoding": "utf-8",
//    "headers": {"task": NAME, "id": ID, "retries": 0, "eta": null, "expires": null, ...},
//    "properties": {"correlation_id": ID, "reply_to": "", "delivery_tag": TAG, "body_encoding":
//                   "base64", "delivery_info": {"exchange": "", "routing_key": "celery"}, ...}}
//
// and the body, once decoded, is [ARGS, KWARGS, {"callbacks", "errbacks", "chain", "chord"}].
// Parsing never throws for what a sender may put on the queue: a message that is not a task
// this worker can read is a RejectedMessage saying why, with the task id when one was found.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace tessera::detail {

struct TaskMessage {
  std::string task;  ///< headers.task: the registered name ("tessera.run")
  std::string id;    ///< headers.id: the task id, the key of its result
  std::int64_t retries = 0;
  bool redelivered = false;  ///< restored after a worker held it longer than the visibility timeout
  std::optional<std::string> eta;      ///< ISO 8601, as Celery writes it
  std::optional<std::string> expires;  ///< ISO 8601
  nlohmann::json args = nlohmann::json::array();
  nlohmann::json kwargs = nlohmann::json::object();
  std::string delivery_tag;
  std::string exchange;
  std::string routing_key;
  nlohmann::json envelope;  ///< the message as received, body still encoded
};

struct RejectedMessage {
  std::string reason;        ///< one line
  std::string task_id;       ///< empty when none could be read
  std::string task;          ///< headers.task, when it could be read
  std::string delivery_tag;  ///< empty when none could be read
};

using ParsedMessage = std::variant<TaskMessage, RejectedMessage>;

/// Reads one message as taken from the queue. Never throws but std::bad_alloc.
ParsedMessage parse_task_message(std::string_view raw);

/// What can be read of a message too large to parse: its task id, from the correlation_id (or
/// headers.id) found in `tail`, the message's last bytes (kombu writes body first, properties
/// last). Empty when none is found or it is not a plausible id.
std::string task_id_in_tail(std::string_view tail);

/// A new task message, as Celery's send_task writes it.
struct NewTask {
  std::string id;
  std::string task;
  nlohmann::json args = nlohmann::json::array();
  nlohmann::json kwargs = nlohmann::json::object();
  std::string queue = "celery";  ///< routing key, with the default (nameless) exchange
  std::string origin;            ///< headers.origin: "NAME@HOST" of the sender
};
std::string encode_task_message(const NewTask& task);

/// `message` again, for another attempt: headers.retries + 1, a new delivery tag, the
/// redelivered flags cleared.
std::string retry_message(const TaskMessage& message);

/// A Celery event (worker-online, worker-heartbeat, ...) in kombu's envelope, as published on
/// the fanout channel of the `celeryev` exchange; `event` holds its fields, `type` among them.
std::string encode_event_message(const nlohmann::json& event, const std::string& hostname);
/// The routing key of an event type: "worker-heartbeat" -> "worker.heartbeat".
std::string event_routing_key(std::string type);

/// A random (version 4) UUID, as Celery makes task ids and kombu delivery tags.
std::string new_uuid();

/// Whether `id` may name a task here: 1 to 255 bytes, none of them a control character.
bool plausible_task_id(std::string_view id);

}  // namespace tessera::detail

namespace tessera::detail {

/// Unix seconds of an ISO 8601 date and time as Celery writes eta and expires
/// ("2024-05-01T12:00:00.123456+00:00"; without an offset: UTC). Nothing when malformed.
std::optional<double> parse_iso_time(std::string_view text);

}  // namespace tessera::detail
