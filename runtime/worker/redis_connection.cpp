#include "worker/redis_connection.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

namespace tessera::detail {
namespace {

timeval timeval_of(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

RedisReply copy_reply(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::integer;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.kind = r.type == REDIS_REPLY_STRING   ? RedisReply::Kind::string
                 : r.type == REDIS_REPLY_STATUS ? RedisReply::Kind::status
                                                : RedisReply::Kind::error;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::array;
      out.elements.reserve(r.elements);
      for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(copy_reply(*r.element[i]));
      break;
    default:
      out.kind = RedisReply::Kind::nil;
  }
  return out;
}

std::vector<const char*> argv_of(const RedisCommand& args, std::vector<std::size_t>& lengths) {
  std::vector<const char*> argv;
  argv.reserve(args.size());
  lengths.clear();
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  return argv;
}

}  // namespace

RedisConnection::RedisConnection(BrokerUrl url, std::chrono::milliseconds io_timeout)
    : url_(std::move(url)), io_timeout_(io_timeout) {}

RedisConnection::~RedisConnection() { disconnect(); }

void RedisConnection::disconnect() noexcept {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

void RedisConnection::fail(std::string_view what) {
  std::string why = context_ != nullptr && context_->errstr[0] != '\0' ? std::string(context_->errstr) : "no reply";
  disconnect();
  throw BrokerUnavailable(fmt::format("broker {}: {}: {}", url_.display(), what, why));
}

void RedisConnection::connect() {
  if (context_ != nullptr) return;
  const timeval tv = timeval_of(io_timeout_);
  context_ = redisConnectWithTimeout(url_.host.c_str(), url_.port, tv);
  if (context_ == nullptr) throw BrokerUnavailable(fmt::format("broker {}: cannot allocate a connection", url_.display()));
  if (context_->err != 0) fail("cannot connect");
  redisSetTimeout(context_, tv);
  redisEnableKeepAlive(context_);
  if (!url_.password.empty()) {
    RedisCommand auth{"AUTH"};
    if (!url_.username.empty()) auth.push_back(url_.username);
    auth.push_back(url_.password);
    const RedisReply r = command(auth);
    if (r.is_error()) {
      disconnect();
      throw BrokerUnavailable(fmt::format("broker {}: authentication refused: {}", url_.display(), r.str));
    }
  }
  if (url_.db != 0) {
    const RedisReply r = command({"SELECT", std::to_string(url_.db)});
    if (r.is_error()) {
      disconnect();
      throw BrokerUnavailable(fmt::format("broker {}: SELECT refused: {}", url_.display(), r.str));
    }
  }
  ++connections_;
}

RedisReply RedisConnection::read_reply() {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) fail("connection lost");
  auto* reply = static_cast<redisReply*>(raw);
  RedisReply out = copy_reply(*reply);
  freeReplyObject(reply);
  return out;
}

RedisReply RedisConnection::command(const RedisCommand& args) {
  return std::move(pipeline({args}).front());
}

RedisReply RedisConnection::checked(const RedisCommand& args) {
  RedisReply r = command(args);
  if (r.is_error()) throw BrokerError(fmt::format("broker {}: {}: {}", url_.display(), args.empty() ? "" : args[0], r.str));
  return r;
}

std::vector<RedisReply> RedisConnection::pipeline(const std::vector<RedisCommand>& commands) {
  connect();
  std::vector<std::size_t> lengths;
  for (const RedisCommand& c : commands) {
    std::vector<const char*> argv = argv_of(c, lengths);
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
      fail("cannot send a command");
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) replies.push_back(read_reply());
  return replies;
}

RedisReply RedisConnection::eval(std::string_view script, std::vector<std::string> keys, std::vector<std::string> args) {
  RedisCommand c{"EVAL", std::string(script), std::to_string(keys.size())};
  c.reserve(c.size() + keys.size() + args.size());
  std::move(keys.begin(), keys.end(), std::back_inserter(c));
  std::move(args.begin(), args.end(), std::back_inserter(c));
  RedisReply r = command(c);
  if (r.is_error()) throw BrokerError(fmt::format("broker {}: script failed: {}", url_.display(), r.str));
  return r;
}

std::chrono::milliseconds ReconnectDelay::next() noexcept {
  using std::chrono::milliseconds;
  current_ = std::clamp(current_ * 2, milliseconds(100), milliseconds(5000));
  return current_;
}

}  // namespace tessera::detail
