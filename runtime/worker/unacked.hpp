#pragma once
// Internal: acknowledgements over Redis as kombu's Redis transport emulates them, on the same
// keys, so that Celery's own workers and tools see the same state:
//
//   QUEUE (and QUEUE\x06\x163, \x06\x166, \x06\x169: priorities)  lists; senders LPUSH, we take
//                                                                 from the right end
//   unacked        hash: delivery tag -> JSON [message, exchange, routing key]
//   unacked_index  sorted set: delivery tag scored by the time it was taken (Unix seconds)
//   unacked_mutex  held (SET NX, 300 s) by whoever restores expired messages
//   _kombu.binding.EXCHANGE  set of "ROUTING_KEY\x06\x16PATTERN\x06\x16QUEUE": where a restored
//                  message goes
//
// A message is taken and recorded as unacknowledged in one step on the server (a worker killed
// at any moment loses nothing); the step also notes its tag under _tessera.taken.CONSUMER, so
// that a take whose reply never arrived (the broker stopped right after it) is found and put
// back (recover_lost_take); acknowledged (removed from both) once its result is stored;
// restored to the right end of its queue (taken next), marked redelivered, when its entry is
// older than the visibility timeout. A worker refreshes the entries of the messages it holds,
// so only those of a worker that stopped (killed, lost power, cut off) ever expire.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "worker/redis_connection.hpp"

namespace tessera::detail {

/// kombu's separator in priority queue names and binding entries.
inline constexpr const char* kombu_separator = "\x06\x16";
/// The keys of the bookkeeping, for scripts that acknowledge a message as part of a larger
/// step (ResultBackend::store_retry): an acknowledgement removes the tag from both.
inline constexpr const char* unacked_key = "unacked";
inline constexpr const char* unacked_index_key = "unacked_index";

/// A message as taken from a queue.
struct TakenMessage {
  std::string queue;    ///< the list it came from (a priority list is named QUEUE\x06\x16N)
  std::string text;     ///< the message, or only its last bytes when `oversized`
  std::size_t bytes = 0;  ///< its size
  bool oversized = false;  ///< larger than the limit: not recorded, `text` is its tail
  bool recorded = false;   ///< in the unacked bookkeeping (false for a message without a tag)
  std::string tag;         ///< its delivery tag, when recorded
};

class UnackedMessages {
 public:
  /// Messages of `queue` larger than `max_bytes` are not read whole. A `consumer` (unique
  /// among the takers: the worker's hostname) has its last take noted for `keep` (the
  /// visibility timeout: after it the message is restored anyway); none, nothing is noted.
  UnackedMessages(std::string queue, std::size_t max_bytes, const std::string& consumer = {},
                  std::chrono::milliseconds keep = std::chrono::hours(1));

  /// Takes the next message (priority 0 first, then 3, 6, 9), recording it as unacknowledged
  /// at `now` (Unix seconds). Nothing when every list is empty.
  std::optional<TakenMessage> take(RedisConnection& redis, double now) const;
  /// After a take that failed with the connection (its effect unknown): puts the message it
  /// took back on its queue (taken next), if it took one, and if that is not `last_received`,
  /// the tag of the last message whose take did return. Whether one was put back.
  bool recover_lost_take(RedisConnection& redis, const std::string& last_received) const;
  /// Blocks until the queue's list holds a message, at most `timeout`, taking nothing. Whether
  /// one is there. Needs Redis 6.2 (BLMOVE).
  bool wait(RedisConnection& redis, std::chrono::seconds timeout) const;
  /// Forgets a message: acknowledged.
  void ack(RedisConnection& redis, const std::string& tag) const;
  /// The commands ack() sends, for a transaction that does more (ResultBackend::store).
  static std::vector<RedisCommand> ack_commands(const std::string& tag);
  /// Marks the messages `tags` as taken at `now` (those still recorded).
  void refresh(RedisConnection& redis, const std::vector<std::string>& tags, double now) const;
  /// Puts message `tag` back on its queue, to be taken next (a worker that stops before it
  /// starts a task it took). Whether it was still recorded.
  bool restore(RedisConnection& redis, const std::string& tag) const;
  /// Restores every message taken before `before` (Unix seconds), at most `limit` of them,
  /// unless another worker holds the mutex. The count restored.
  std::size_t restore_expired(RedisConnection& redis, double before, std::size_t limit = 1000) const;
  /// Declares the queue as a Celery worker does: bound to the exchange of its name with its
  /// name as routing key.
  void declare(RedisConnection& redis) const;

  const std::string& queue() const noexcept { return queue_; }

 private:
  std::string queue_;
  std::size_t max_bytes_;
  std::string taken_key_;  ///< empty: takes are not noted
  std::chrono::milliseconds keep_;
};

}  // namespace tessera::detail
