#pragma once
// Internal: the events a worker sends as Celery workers do (worker-online, worker-heartbeat
// every 2 s, worker-offline), so that Celery's monitors (`celery events`, Flower,
// app.events.Receiver) list it. They are published on kombu's fanout channel of the `celeryev`
// exchange, "/DB.celeryev/worker.heartbeat". Besides Celery's fields, each carries the worker's
// own (`advertised`): its devices, concurrency and queue.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

#include "worker/redis_connection.hpp"

namespace tessera::detail {

struct WorkerEventFields {
  std::string hostname;         ///< "tessera.PID@HOST"
  double freq = 2.0;            ///< seconds between heartbeats
  std::size_t active = 0;       ///< tasks held now
  std::size_t processed = 0;    ///< tasks finished since the start
  nlohmann::json advertised = nlohmann::json::object();
};

/// The event document of `type` ("worker-online", "worker-heartbeat", "worker-offline").
nlohmann::json worker_event(const std::string& type, const WorkerEventFields& fields, long long clock);

/// Publishes `event` on its channel. Throws BrokerUnavailable.
void publish_event(RedisConnection& redis, const nlohmann::json& event, const std::string& hostname);

}  // namespace tessera::detail
