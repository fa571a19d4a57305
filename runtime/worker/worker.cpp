#include "worker/worker.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "worker/unacked.hpp"
#include "worker/worker_events.hpp"

namespace tessera::detail {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string default_hostname() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  return fmt::format("tessera.{}@{}", ::getpid(), host);
}

double seconds_of(milliseconds d) { return static_cast<double>(d.count()) / 1000.0; }

// Sleeps `d`, or less when `stop` is requested meanwhile.
void sleep_unless(std::stop_token stop, milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
}

WorkerOptions with_defaults(WorkerOptions o) {
  if (o.hostname.empty()) o.hostname = default_hostname();
  o.concurrency = std::max(1u, o.concurrency);
  return o;
}

TaskFailure message_failure(std::string reason) { return {"MessageError", "tessera", std::move(reason), ""}; }

// Why `task` is not to run now: it expired (REVOKED, as Celery does), its eta is in the future
// (not supported: a worker would hold it), or either time is malformed.
std::optional<TaskFailure> not_now(const TaskMessage& task) {
  const double now = unix_now();
  if (task.expires) {
    const auto t = parse_iso_time(*task.expires);
    if (!t) return message_failure(fmt::format("headers.expires '{}' is not an ISO 8601 time", *task.expires));
    if (*t < now) return TaskFailure{"TaskRevokedError", "celery.exceptions", "expired", ""};
  }
  if (task.eta) {
    const auto t = parse_iso_time(*task.eta);
    if (!t) return message_failure(fmt::format("headers.eta '{}' is not an ISO 8601 time", *task.eta));
    if (*t > now + 1) return message_failure("a task with an eta (or countdown) in the future is not supported by tessera workers");
  }
  return std::nullopt;
}

}  // namespace

struct Worker::State {
  WorkerOptions options;
  std::map<std::string, TaskHandler, std::less<>> tasks;
  WorkerLog log;
  UnackedMessages unacked;  // the bookkeeping at large: acknowledgements, refreshes, restores
  ResultBackend backend;

  std::mutex mutex;
  std::set<std::string> held;  // delivery tags taken and not yet acknowledged
  unsigned busy = 0;           // tasks taken and not yet acknowledged
  std::size_t processed = 0;
  std::string task_names;  // registered, comma-separated
  const std::string instance = new_uuid().substr(0, 8);  // this process, among workers of one hostname
  // The broker as the consumers found it, for one line per change however many meet it: an
  // outage ends an epoch; a consumer's connection made in an earlier epoch failing is old news.
  bool online = false;
  std::uint64_t epoch = 0;
  std::optional<steady_clock::time_point> last_complaint;

  State(WorkerOptions o, std::map<std::string, TaskHandler, std::less<>> t, WorkerLog l)
      : options(with_defaults(std::move(o))),
        tasks(std::move(t)),
        log(std::move(l)),
        unacked(options.queue, options.max_message_bytes) {
    for (const auto& [name, handler] : tasks) task_names += (task_names.empty() ? "" : ", ") + name;
  }

  template <typename... Args>
  void say(fmt::format_string<Args...> format, Args&&... args) {
    log(fmt::format(format, std::forward<Args>(args)...));
  }

  // What a consumer keeps: its connection, the epoch it was made in, how many it has made.
  struct Link {
    RedisConnection redis;
    std::uint64_t epoch = 0;
    std::uint64_t seen = 0;
  };
  void connected(Link& link);
  void lost(Link& link, const BrokerUnavailable& e);

  void consume(std::stop_token stop, unsigned index);
  void handle(Link& link, const TakenMessage& taken);
  void reject(RedisConnection& redis, const std::string& task_id, const std::string& tag, const TaskFailure& failure);
  void run(Link& link, const TaskMessage& task);
  void finish(Link& link, const TaskMessage& task, TaskOutcome outcome, double seconds);
  void store_outcome(RedisConnection& redis, const TaskMessage& task, const nlohmann::json& state, bool retry);
  void housekeep(std::stop_token halt);
  WorkerEventFields event_fields();
};

Worker::Worker(WorkerOptions options, std::map<std::string, TaskHandler, std::less<>> tasks, WorkerLog log)
    : state_(std::make_unique<State>(std::move(options), std::move(tasks), std::move(log))) {}

Worker::~Worker() = default;

// `concurrency` consumers, each taking a message only when it is free and running its task
// itself: no hand-over between threads per task (each one a wake-up on a loaded machine).
void Worker::serve(std::stop_token stop) {
  State& s = *state_;
  std::stop_source halt;
  std::thread housekeeper([&s, token = halt.get_token()] { s.housekeep(token); });
  std::vector<std::thread> consumers;
  for (unsigned i = 0; i < s.options.concurrency; ++i) consumers.emplace_back([&s, stop, i] { s.consume(stop, i); });
  {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait(lock, stop, [] { return false; });  // until stop is requested
  }
  unsigned busy = 0;
  {
    const std::lock_guard lock(s.mutex);
    busy = s.busy;
  }
  s.say("warm shutdown: taking no more tasks; finishing {} task(s)", busy);
  for (std::thread& t : consumers) t.join();
  halt.request_stop();
  housekeeper.join();
  s.say("stopped: {} task(s) processed", s.processed);
}

// After `link` made a connection (in consume, or lazily while storing an outcome: noticed when
// its consumer looks for the next message).
void Worker::State::connected(Link& link) {
  link.seen = link.redis.connections();
  const std::lock_guard lock(mutex);
  link.epoch = epoch;
  if (online) return;
  online = true;
  last_complaint.reset();
  say("connected to {}: serving queue '{}' with {} task(s) at once", options.broker.display(), options.queue,
      options.concurrency);
}

// After `link`'s connection failed: the first failure of an epoch ends it, with a line; a broker
// still down is said again every 30 s.
void Worker::State::lost(Link& link, const BrokerUnavailable& e) {
  const std::lock_guard lock(mutex);
  const auto now = steady_clock::now();
  if (online && link.epoch == epoch) {
    online = false;
    ++epoch;
    last_complaint = now;
    say("{}; reconnecting with back-off", e.what());
  } else if (!online && (!last_complaint || now - *last_complaint > std::chrono::seconds(30))) {
    last_complaint = now;
    say("{}; trying again with back-off", e.what());
  }
}

// One consumer: takes, runs, stores, until `stop`.
void Worker::State::consume(std::stop_token stop, unsigned index) {
  Link link{RedisConnection(options.broker)};
  RedisConnection& redis = link.redis;
  const UnackedMessages taker(options.queue, options.max_message_bytes,
                              fmt::format("{}#{}.{}", options.hostname, index, instance), options.visibility_timeout);
  ReconnectDelay delay;
  bool can_block = true;
  bool take_in_doubt = false;  // true across a take: if it throws, whether it took a message is unknown
  std::string last_received;   // the tag of the last message a take returned
  const auto recover = [&] {
    if (taker.recover_lost_take(redis, last_received)) {
      say("a message taken as the connection failed is back on queue '{}'", options.queue);
    }
    take_in_doubt = false;
  };
  while (!stop.stop_requested()) {
    try {
      if (!redis.connected()) redis.connect();
      if (redis.connections() != link.seen) {  // made here, or while storing an outcome
        taker.declare(redis);
        delay.reset();
        connected(link);
      }
      if (take_in_doubt) recover();
      take_in_doubt = true;
      const auto taken = taker.take(redis, unix_now());
      take_in_doubt = false;
      if (taken && taken->recorded) last_received = taken->tag;
      if (!taken) {
        if (!can_block) {
          sleep_unless(stop, milliseconds(100));
        } else {
          try {
            taker.wait(redis, std::chrono::seconds(1));
          } catch (const BrokerError& e) {
            if (index == 0) {
              say("the broker cannot block on a list ({}): polling every 0.1 s (Redis 6.2 or later blocks)", e.what());
            }
            can_block = false;
          }
        }
        continue;
      }
      if (stop.stop_requested() && taken->recorded) {
        taker.restore(redis, taken->tag);
        say("warm shutdown: a message taken meanwhile is back on queue '{}'", options.queue);
        break;
      }
      handle(link, *taken);
    } catch (const BrokerUnavailable& e) {
      lost(link, e);
      sleep_unless(stop, delay.next());
    } catch (const BrokerError& e) {
      say("{}; trying again with back-off", e.what());
      sleep_unless(stop, delay.next());
    } catch (const std::exception& e) {
      // Out of memory making a large result's text, say: its message stays unacknowledged and
      // goes back to the queue after the visibility timeout; this consumer goes on.
      say("internal error, please report it: {}; the message goes back to the queue after the visibility timeout",
          e.what());
      sleep_unless(stop, delay.next());
    }
  }
  // Stopping with a take in doubt: one bounded attempt to put its message back now rather than
  // after the visibility timeout.
  if (take_in_doubt) {
    try {
      recover();
    } catch (const Error&) {
    }
  }
}

void Worker::State::reject(RedisConnection& redis, const std::string& task_id, const std::string& tag,
                           const TaskFailure& failure) {
  if (task_id.empty()) {
    say("message rejected: {}", failure.message);
  } else {
    say("task {} rejected: {}{}", task_id, failure.message, failure.traceback.empty() ? "" : " (" + failure.traceback + ")");
    backend.store(redis, failure.exc_type == "TaskRevokedError" ? expired_state(task_id) : failure_state(task_id, failure),
                  tag);
    return;
  }
  if (!tag.empty()) unacked.ack(redis, tag);
}

void Worker::State::handle(Link& link, const TakenMessage& taken) {
  RedisConnection& redis = link.redis;
  if (taken.oversized) {
    reject(redis, task_id_in_tail(taken.text), "",
           message_failure(fmt::format("the message is {} bytes, more than the limit of {} bytes (--max-message-bytes)",
                                       taken.bytes, options.max_message_bytes)));
    return;
  }
  ParsedMessage parsed = parse_task_message(taken.text);
  const std::string tag = taken.recorded ? taken.tag : std::string();
  if (const auto* r = std::get_if<RejectedMessage>(&parsed)) {
    reject(redis, r->task_id, tag, message_failure(r->reason));
    return;
  }
  TaskMessage& task = std::get<TaskMessage>(parsed);
  task.delivery_tag = tag;
  if (tasks.find(task.task) == tasks.end()) {
    reject(redis, task.id, tag, {"NotRegistered", "celery.exceptions", task.task, "an unknown task: this worker runs " + task_names});
    return;
  }
  if (const auto why = not_now(task)) {
    reject(redis, task.id, tag, *why);
    return;
  }
  say("task {} received: {}{}{}", task.id, task.task, task.retries > 0 ? fmt::format(", retry {}", task.retries) : "",
      task.redelivered ? ", redelivered" : "");
  run(link, task);
}

void Worker::State::run(Link& link, const TaskMessage& task) {
  {
    const std::lock_guard lock(mutex);
    if (!task.delivery_tag.empty()) held.insert(task.delivery_tag);
    ++busy;
  }
  // Released however finish() ends: a tag no longer held stops being refreshed, so a message
  // whose outcome could not be stored is restored after the visibility timeout.
  struct Release {
    State& s;
    const std::string& tag;
    ~Release() {
      const std::lock_guard lock(s.mutex);
      s.held.erase(tag);
      --s.busy;
    }
  } release{*this, task.delivery_tag};
  const auto start = steady_clock::now();
  TaskOutcome outcome;
  try {
    outcome = tasks.find(task.task)->second(task);
  } catch (const std::bad_alloc&) {
    outcome.failure = {"MemoryError", "builtins", "out of host memory", ""};
    outcome.retry = true;
  } catch (const std::exception& e) {
    outcome.failure = {"InternalError", "tessera", fmt::format("internal error, please report it: {}", e.what()), ""};
  }
  finish(link, task, std::move(outcome), std::chrono::duration<double>(steady_clock::now() - start).count());
  {
    const std::lock_guard lock(mutex);
    ++processed;
  }
}

void Worker::State::finish(Link& link, const TaskMessage& task, TaskOutcome outcome, double seconds) {
  const TaskFailure& f = outcome.failure;
  const bool retry = !outcome.result && outcome.retry && task.retries < static_cast<std::int64_t>(options.max_retries);
  // Made once, however many attempts storing it takes: a result may be large.
  const nlohmann::json state = outcome.result ? success_state(task.id, std::move(*outcome.result))
                               : retry        ? retry_state(task.id, f)
                                              : failure_state(task.id, f);
  ReconnectDelay delay;
  bool waited = false;
  for (;;) {
    try {
      store_outcome(link.redis, task, state, retry);
      break;
    } catch (const BrokerUnavailable& e) {
      lost(link, e);
      if (!waited) say("task {}: its outcome waits for the broker: {}", task.id, e.what());
      waited = true;
      std::this_thread::sleep_for(delay.next());
    } catch (const BrokerError& e) {
      // Left unacknowledged: restored after the visibility timeout.
      say("task {}: the broker refused its outcome: {}", task.id, e.what());
      return;
    }
  }
  if (waited) say("task {}: outcome stored now that the broker is back", task.id);
  if (outcome.result) {
    say("task {} succeeded in {:.3f} s", task.id, seconds);
  } else if (retry) {
    say("task {} failed in {:.3f} s (attempt {} of {}), sent again: {}: {}", task.id, seconds, task.retries + 1,
        options.max_retries + 1, f.exc_type, f.message);
  } else {
    say("task {} failed in {:.3f} s: {}: {}", task.id, seconds, f.exc_type, f.message);
  }
}

// Stores `state` and acknowledges the message; a retry also sends the task's next attempt (in
// the same step: a retry repeated after a lost reply is not sent twice).
void Worker::State::store_outcome(RedisConnection& redis, const TaskMessage& task, const nlohmann::json& state,
                                  bool retry) {
  if (!retry) {
    backend.store(redis, state, task.delivery_tag);
    return;
  }
  backend.store_retry(redis, state, task.delivery_tag, options.queue, retry_message(task));
}

WorkerEventFields Worker::State::event_fields() {
  WorkerEventFields f;
  f.hostname = options.hostname;
  f.freq = seconds_of(options.heartbeat);
  f.advertised = options.advertised;
  const std::lock_guard lock(mutex);
  f.active = busy;
  f.processed = processed;
  return f;
}

void Worker::State::housekeep(std::stop_token halt) {
  RedisConnection redis(options.broker);
  const milliseconds tick = std::clamp(options.visibility_timeout / 4, milliseconds(50), milliseconds(1000));
  const double timeout_s = seconds_of(options.visibility_timeout);
  auto next_heartbeat = steady_clock::now();
  long long clock = 0;
  bool announced = false;  // worker-online sent
  while (!halt.stop_requested()) {
    try {
      if (!announced) {
        publish_event(redis, worker_event("worker-online", event_fields(), ++clock), options.hostname);
        announced = true;
      }
      std::vector<std::string> tags;
      {
        const std::lock_guard lock(mutex);
        tags.assign(held.begin(), held.end());
      }
      unacked.refresh(redis, tags, unix_now());
      if (const std::size_t n = unacked.restore_expired(redis, unix_now() - timeout_s); n > 0) {
        say("restored {} message(s) left unacknowledged for more than {} s (their worker stopped) to queue '{}'", n,
            timeout_s, options.queue);
      }
      if (steady_clock::now() >= next_heartbeat) {
        publish_event(redis, worker_event("worker-heartbeat", event_fields(), ++clock), options.hostname);
        next_heartbeat = steady_clock::now() + options.heartbeat;
      }
    } catch (const Error&) {
      // The consumer reports outages; the next tick tries again.
    }
    sleep_unless(halt, tick);
  }
  try {
    if (announced) publish_event(redis, worker_event("worker-offline", event_fields(), ++clock), options.hostname);
  } catch (const Error&) {
  }
}

}  // namespace tessera::detail
