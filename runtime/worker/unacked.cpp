#include "worker/unacked.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "worker/celery_message.hpp"

namespace tessera::detail {
namespace {

constexpr const char* unacked_mutex_key = "unacked_mutex";
constexpr std::size_t tail_bytes = 4096;

// KEYS: unacked, unacked_index, the consumer's taken key, then the queue's lists by priority.
// ARGV: now, max bytes, tail bytes, milliseconds to keep the taken key (0: not noted). Returns
// {list, message or its tail, size, recorded, delivery tag} or nil.
constexpr const char* take_script = R"lua(
for i = 4, #KEYS do
  local msg = redis.call('RPOP', KEYS[i])
  if msg then
    if #msg > tonumber(ARGV[2]) then
      return {KEYS[i], string.sub(msg, -tonumber(ARGV[3])), #msg, 0, ''}
    end
    local ok, m = pcall(cjson.decode, msg)
    if ok and type(m) == 'table' and type(m['properties']) == 'table' then
      local tag = m['properties']['delivery_tag']
      local info = m['properties']['delivery_info']
      if type(tag) == 'string' and tag ~= '' then
        local ex, rk = '', ''
        if type(info) == 'table' then
          if type(info['exchange']) == 'string' then ex = info['exchange'] end
          if type(info['routing_key']) == 'string' then rk = info['routing_key'] end
        end
        redis.call('ZADD', KEYS[2], ARGV[1], tag)
        redis.call('HSET', KEYS[1], tag, '[' .. msg .. ',' .. cjson.encode(ex) .. ',' .. cjson.encode(rk) .. ']')
        if ARGV[4] ~= '0' then redis.call('SET', KEYS[3], tag, 'PX', ARGV[4]) end
        return {KEYS[i], msg, #msg, 1, tag}
      end
    end
    return {KEYS[i], msg, #msg, 0, ''}
  end
end
return false
)lua";

// KEYS: unacked, unacked_index (and for 'taken', the consumer's taken key). ARGV: mode ('tag',
// 'taken' or 'expired'), the tag (for 'taken', the tag last received) or the score bound, the
// limit, kombu's separator, the queue to use when the bindings name none. Each message is
// pushed back marked redelivered onto the queues its exchange binds its routing key to (the
// routing key itself for the nameless exchange), as kombu restores it; the count restored.
constexpr const char* restore_script = R"lua(
local sep = ARGV[4]
local function queues_for(ex, rk)
  if type(ex) ~= 'string' or ex == '' then
    if type(rk) == 'string' and rk ~= '' then return {rk} end
    return {ARGV[5]}
  end
  local found = {}
  for _, entry in ipairs(redis.call('SMEMBERS', '_kombu.binding.' .. ex)) do
    local a = string.find(entry, sep, 1, true)
    if a then
      local b = string.find(entry, sep, a + #sep, true)
      if b and string.sub(entry, 1, a - 1) == rk then table.insert(found, string.sub(entry, b + #sep)) end
    end
  end
  if #found == 0 then found = {ARGV[5]} end
  return found
end
local function restore(tag)
  local p = redis.call('HGET', KEYS[1], tag)
  redis.call('ZREM', KEYS[2], tag)
  redis.call('HDEL', KEYS[1], tag)
  if not p then return 0 end
  local ok, t = pcall(cjson.decode, p)
  if not ok or type(t) ~= 'table' or type(t[1]) ~= 'table' then return 0 end
  local m = t[1]
  if type(m['headers']) == 'table' then m['headers']['redelivered'] = true end
  if type(m['properties']) == 'table' and type(m['properties']['delivery_info']) == 'table' then
    m['properties']['delivery_info']['redelivered'] = true
  end
  local text = cjson.encode(m)
  for _, q in ipairs(queues_for(t[2], t[3])) do redis.call('RPUSH', q, text) end
  return 1
end
if ARGV[1] == 'tag' then return restore(ARGV[2]) end
if ARGV[1] == 'taken' then
  local tag = redis.call('GET', KEYS[3])
  if not tag or tag == ARGV[2] then return 0 end
  return restore(tag)
end
local n = 0
for _, tag in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], 0, ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  n = n + restore(tag)
end
return n
)lua";

constexpr const char* release_script = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

std::string seconds_text(double t) { return fmt::format("{:.6f}", t); }

}  // namespace

UnackedMessages::UnackedMessages(std::string queue, std::size_t max_bytes, const std::string& consumer,
                                 std::chrono::milliseconds keep)
    : queue_(std::move(queue)),
      max_bytes_(max_bytes),
      taken_key_(consumer.empty() ? std::string() : "_tessera.taken." + consumer),
      keep_(std::max(keep, std::chrono::milliseconds(1))) {}

std::optional<TakenMessage> UnackedMessages::take(RedisConnection& redis, double now) const {
  std::vector<std::string> keys{unacked_key, unacked_index_key, taken_key_.empty() ? queue_ : taken_key_, queue_};
  for (const char* priority : {"3", "6", "9"}) keys.push_back(queue_ + kombu_separator + priority);
  const std::string keep = taken_key_.empty() ? "0" : std::to_string(keep_.count());
  const RedisReply r = redis.eval(take_script, std::move(keys),
                                  {seconds_text(now), std::to_string(max_bytes_), std::to_string(tail_bytes), keep});
  if (r.kind != RedisReply::Kind::array || r.elements.size() != 5) return std::nullopt;
  TakenMessage m;
  m.queue = r.elements[0].str;
  m.text = r.elements[1].str;
  m.bytes = static_cast<std::size_t>(r.elements[2].integer);
  m.oversized = m.bytes > max_bytes_;
  m.recorded = r.elements[3].integer == 1;
  m.tag = r.elements[4].str;
  return m;
}

bool UnackedMessages::recover_lost_take(RedisConnection& redis, const std::string& last_received) const {
  if (taken_key_.empty()) return false;
  return redis.eval(restore_script, {unacked_key, unacked_index_key, taken_key_},
                    {"taken", last_received, "1", kombu_separator, queue_})
             .integer > 0;
}

bool UnackedMessages::wait(RedisConnection& redis, std::chrono::seconds timeout) const {
  const RedisReply r = redis.checked({"BLMOVE", queue_, queue_, "RIGHT", "RIGHT", std::to_string(timeout.count())});
  return !r.is_nil();
}

std::vector<RedisCommand> UnackedMessages::ack_commands(const std::string& tag) {
  return {{"ZREM", unacked_index_key, tag}, {"HDEL", unacked_key, tag}};
}

void UnackedMessages::ack(RedisConnection& redis, const std::string& tag) const { redis.pipeline(ack_commands(tag)); }

void UnackedMessages::refresh(RedisConnection& redis, const std::vector<std::string>& tags, double now) const {
  if (tags.empty()) return;
  RedisCommand c{"ZADD", unacked_index_key, "XX"};
  const std::string score = seconds_text(now);
  for (const std::string& tag : tags) {
    c.push_back(score);
    c.push_back(tag);
  }
  redis.checked(c);
}

bool UnackedMessages::restore(RedisConnection& redis, const std::string& tag) const {
  return redis.eval(restore_script, {unacked_key, unacked_index_key}, {"tag", tag, "1", kombu_separator, queue_})
             .integer > 0;
}

std::size_t UnackedMessages::restore_expired(RedisConnection& redis, double before, std::size_t limit) const {
  const std::string token = new_uuid();
  const RedisReply locked = redis.checked({"SET", unacked_mutex_key, token, "NX", "EX", "300"});
  if (locked.is_nil()) return 0;  // another worker restores now
  std::size_t restored = 0;
  try {
    restored = static_cast<std::size_t>(
        redis.eval(restore_script, {unacked_key, unacked_index_key},
                   {"expired", seconds_text(before), std::to_string(limit), kombu_separator, queue_})
            .integer);
  } catch (const BrokerError&) {
    redis.eval(release_script, {unacked_mutex_key}, {token});
    throw;
  }
  redis.eval(release_script, {unacked_mutex_key}, {token});
  return restored;
}

void UnackedMessages::declare(RedisConnection& redis) const {
  redis.checked({"SADD", "_kombu.binding." + queue_, queue_ + kombu_separator + kombu_separator + queue_});
}

}  // namespace tessera::detail
