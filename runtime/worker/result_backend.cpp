#include "worker/result_backend.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "worker/unacked.hpp"

namespace tessera::detail {
namespace {

using nlohmann::json;

// Now, as Python's datetime.utcnow().isoformat() writes it.
std::string utc_now_iso() {
  const auto now = std::chrono::system_clock::now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}", tm, micros);
}

json state_document(const std::string& task_id, const char* status, json result, json traceback) {
  return {{"status", status},        {"result", std::move(result)},    {"traceback", std::move(traceback)},
          {"children", json::array()}, {"date_done", utc_now_iso()}, {"task_id", task_id}};
}

json exception_of(const TaskFailure& f) {
  return {{"exc_type", f.exc_type}, {"exc_message", json::array({f.message})}, {"exc_module", f.exc_module}};
}

// KEYS: the state key, the queue (then unacked and unacked_index to acknowledge). ARGV: the
// state document, seconds to keep it, the next attempt, the delivery tag. A script: a RETRY
// document is small (only a result's size made scripts costly, see store()).
constexpr const char* retry_script = R"lua(
if #KEYS == 4 then
  if redis.call('HDEL', KEYS[3], ARGV[4]) == 0 then return 0 end
  redis.call('ZREM', KEYS[4], ARGV[4])
end
local current = redis.call('GET', KEYS[1])
if current then
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' and doc['status'] == 'SUCCESS' then return 0 end
end
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('SETEX', KEYS[1], ARGV[2], ARGV[1])
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
)lua";

// Whether `stored` (a state document's text) is a SUCCESS.
bool is_success(const std::string& stored) {
  const json doc = json::parse(stored, nullptr, false);
  return doc.is_object() && doc.value("status", std::string()) == "SUCCESS";
}

// Whether `s` needs no escape in JSON: printable ASCII without '"' or '\\' (base64, the bulk of
// a result, and nearly every key).
bool plain(const std::string& s) {
  // Bytes and an or without branches: the form the compiler vectorises (16 bytes a step).
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  unsigned char bad = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = p[i];
    bad |= static_cast<unsigned char>((c < 0x20) | (c >= 0x7f) | (c == '"') | (c == '\\'));
  }
  return bad == 0;
}

void append_string(std::string& out, const std::string& s) {
  if (!plain(s)) {
    out += json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

// nlohmann's dump() without indent, but plain strings copied whole instead of escaped byte
// by byte (a 20 KB output took 50 us that way).
void append_json(std::string& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object: {
      out += '{';
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (it != value.begin()) out += ',';
        append_string(out, it.key());
        out += ':';
        append_json(out, it.value());
      }
      out += '}';
      return;
    }
    case json::value_t::array: {
      out += '[';
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (it != value.begin()) out += ',';
        append_json(out, *it);
      }
      out += ']';
      return;
    }
    case json::value_t::string:
      append_string(out, value.get_ref<const std::string&>());
      return;
    default:
      out += value.dump(-1, ' ', false, json::error_handler_t::replace);
  }
}

}  // namespace

std::string json_text(const json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

std::string task_state_key(const std::string& task_id) { return "celery-task-meta-" + task_id; }

json success_state(const std::string& task_id, json result) {
  return state_document(task_id, "SUCCESS", std::move(result), nullptr);
}

json failure_state(const std::string& task_id, const TaskFailure& failure) {
  return state_document(task_id, "FAILURE", exception_of(failure),
                        failure.traceback.empty() ? json(nullptr) : json(failure.traceback));
}

json retry_state(const std::string& task_id, const TaskFailure& failure) {
  return state_document(task_id, "RETRY", exception_of(failure), nullptr);
}

json expired_state(const std::string& task_id) {
  return state_document(task_id, "REVOKED",
                        exception_of({"TaskRevokedError", "celery.exceptions", "expired", ""}), nullptr);
}

// A transaction watched for a concurrent store, not a script: a script's arguments become Lua
// strings, and a 24 KB document cost the server 40 us that way against 4 us.
bool ResultBackend::store(RedisConnection& redis, const json& state, const std::string& ack_tag) const {
  const std::string key = task_state_key(state.at("task_id").get<std::string>());
  const std::string text = json_text(state);
  for (;;) {
    const std::vector<RedisReply> seen = redis.pipeline({{"WATCH", key}, {"GET", key}});
    const bool keep = seen[1].kind == RedisReply::Kind::string && is_success(seen[1].str);
    // Built in place: an initializer list would copy the document twice more.
    std::vector<RedisCommand> tx(1, RedisCommand{"MULTI"});
    if (!keep) {
      tx.emplace_back(RedisCommand{"SETEX", key, std::to_string(expires_.count())}).push_back(text);
      tx.emplace_back(RedisCommand{"PUBLISH", key}).push_back(text);
    }
    if (!ack_tag.empty()) {
      for (RedisCommand& c : UnackedMessages::ack_commands(ack_tag)) tx.push_back(std::move(c));
    }
    tx.push_back({"EXEC"});
    const std::vector<RedisReply> done = redis.pipeline(tx);
    const RedisReply& exec = done.back();
    if (exec.kind == RedisReply::Kind::array) return !keep;
    if (exec.is_error()) {
      throw BrokerError(fmt::format("broker {}: storing the state of a task was refused: {}", redis.url().display(), exec.str));
    }
    // Nil: the state changed between WATCH and EXEC (another worker stored it): look again.
  }
}

bool ResultBackend::store_retry(RedisConnection& redis, const json& state, const std::string& ack_tag,
                                const std::string& queue, const std::string& next_attempt) const {
  std::vector<std::string> keys{task_state_key(state.at("task_id").get<std::string>()), queue};
  if (!ack_tag.empty()) keys.insert(keys.end(), {unacked_key, unacked_index_key});
  return redis.eval(retry_script, std::move(keys),
                    {json_text(state), std::to_string(expires_.count()), next_attempt, ack_tag})
             .integer == 1;
}

}  // namespace tessera::detail
