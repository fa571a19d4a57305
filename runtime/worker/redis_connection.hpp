#pragma once
// Internal: one connection to a Redis server (hiredis), for one thread at a time. Commands are
// argument vectors (binary-safe); replies are copied out into RedisReply values. A connection
// that fails (refused, reset, timed out) is dropped and BrokerUnavailable thrown: the next
// command connects again (AUTH and SELECT included). Pacing those attempts is the caller's
// policy: ReconnectDelay is the back-off the worker uses.
//
//   RedisConnection redis(parse_broker_url("redis://127.0.0.1:6379/0"));
//   RedisReply r = redis.command({"LPUSH", "celery", message});

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/error.hpp"
#include "worker/broker_url.hpp"

struct redisContext;

namespace tessera::detail {

/// A reply, as Redis gave it (RESP2).
struct RedisReply {
  enum class Kind { nil, integer, string, status, error, array };
  Kind kind = Kind::nil;
  std::int64_t integer = 0;
  std::string str;  ///< string, status and error replies
  std::vector<RedisReply> elements;

  bool is_error() const noexcept { return kind == Kind::error; }
  bool is_nil() const noexcept { return kind == Kind::nil; }
};

/// The broker cannot be reached, or the connection broke in the middle of a command (whose
/// effect is then unknown). what() says why, in one line.
class BrokerUnavailable : public Error {
 public:
  explicit BrokerUnavailable(std::string message) : Error(Errc::io, std::move(message)) {}
};

/// A command the server answered with an error reply (wrong type, unknown command, a failed
/// script), where the caller expected none.
class BrokerError : public Error {
 public:
  explicit BrokerError(std::string message) : Error(Errc::invalid_argument, std::move(message)) {}
};

using RedisCommand = std::vector<std::string>;

class RedisConnection {
 public:
  /// Connects lazily, at the first command. `io_timeout` bounds connecting and every reply
  /// (a blocking command must block for less).
  explicit RedisConnection(BrokerUrl url, std::chrono::milliseconds io_timeout = std::chrono::seconds(10));
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Sends one command and returns its reply (an error reply is a reply). Throws
  /// BrokerUnavailable.
  RedisReply command(const RedisCommand& args);
  /// command(), but an error reply throws BrokerError naming the command.
  RedisReply checked(const RedisCommand& args);
  /// Sends every command before reading any reply; the replies in order. Throws
  /// BrokerUnavailable.
  std::vector<RedisReply> pipeline(const std::vector<RedisCommand>& commands);
  /// EVAL of `script` (Redis caches it by its digest); an error reply throws BrokerError.
  RedisReply eval(std::string_view script, std::vector<std::string> keys, std::vector<std::string> args);

  /// Connects now if not connected. Throws BrokerUnavailable.
  void connect();
  void disconnect() noexcept;
  bool connected() const noexcept { return context_ != nullptr; }
  /// How many times a connection was made (a command after a failure makes a new one).
  std::uint64_t connections() const noexcept { return connections_; }
  const BrokerUrl& url() const noexcept { return url_; }

 private:
  [[noreturn]] void fail(std::string_view what);
  RedisReply read_reply();

  BrokerUrl url_;
  std::chrono::milliseconds io_timeout_;
  redisContext* context_ = nullptr;
  std::uint64_t connections_ = 0;
};

/// Back-off between reconnection attempts: 0.1 s, doubling, at most 5 s; reset() after a
/// success.
class ReconnectDelay {
 public:
  std::chrono::milliseconds next() noexcept;
  void reset() noexcept { current_ = std::chrono::milliseconds(0); }

 private:
  std::chrono::milliseconds current_{0};
};

}  // namespace tessera::detail
