#include "worker/worker_events.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "tessera/version.hpp"
#include "worker/celery_message.hpp"

namespace tessera::detail {

nlohmann::json worker_event(const std::string& type, const WorkerEventFields& f, long long clock) {
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) != 3) load[0] = load[1] = load[2] = 0;
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  nlohmann::json event = {{"hostname", f.hostname},
                          {"utcoffset", 0},
                          {"pid", static_cast<long long>(::getpid())},
                          {"clock", clock},
                          {"freq", f.freq},
                          {"active", f.active},
                          {"processed", f.processed},
                          {"loadavg", {load[0], load[1], load[2]}},
                          {"sw_ident", "tessera"},
                          {"sw_ver", std::string(version_string)},
                          {"sw_sys", "Linux"},
                          {"timestamp", now},
                          {"type", type}};
  for (const auto& [key, value] : f.advertised.items()) event[key] = value;
  return event;
}

void publish_event(RedisConnection& redis, const nlohmann::json& event, const std::string& hostname) {
  const std::string channel =
      fmt::format("/{}.celeryev/{}", redis.url().db, event_routing_key(event.value("type", std::string())));
  redis.checked({"PUBLISH", channel, encode_event_message(event, hostname)});
}

}  // namespace tessera::detail
