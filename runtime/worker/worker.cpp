#include "worker/worker.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
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
  UnackedMessages unacked;
  ResultBackend backend;

  std::mutex mutex;
  std::condition_variable_any changed;
  std::deque<TaskMessage> ready;  // taken, waiting for a thread of the pool
  std::set<std::string> held;     // delivery tags taken and not yet acknowledged
  unsigned busy = 0;              // tasks taken and not yet acknowledged
  bool draining = false;          // nothing more will be queued
  std::size_t processed = 0;
  std::string task_names;  // registered, comma-separated

  State(WorkerOptions o, std::map<std::string, TaskHandler, std::less<>> t, WorkerLog l)
      : options(with_defaults(std::move(o))),
        tasks(std::move(t)),
        log(std::move(l)),
        unacked(options.queue, options.max_message_bytes, options.hostname, options.visibility_timeout) {
    for (const auto& [name, handler] : tasks) task_names += (task_names.empty() ? "" : ", ") + name;
  }

  template <typename... Args>
  void say(fmt::format_string<Args...> format, Args&&... args) {
    log(fmt::format(format, std::forward<Args>(args)...));
  }

  void consume(std::stop_token stop);
  void dispatch(RedisConnection& redis, const TakenMessage& taken);
  void reject(RedisConnection& redis, const std::string& task_id, const std::string& tag, const TaskFailure& failure);
  void run_pool_thread();
  void finish(RedisConnection& redis, const TaskMessage& task, TaskOutcome outcome, double seconds);
  void store_outcome(RedisConnection& redis, const TaskMessage& task, const nlohmann::json& state, bool retry);
  void housekeep(std::stop_token halt);
  WorkerEventFields event_fields();
};

Worker::Worker(WorkerOptions options, std::map<std::string, TaskHandler, std::less<>> tasks, WorkerLog log)
    : state_(std::make_unique<State>(std::move(options), std::move(tasks), std::move(log))) {}

Worker::~Worker() = default;

void Worker::serve(std::stop_token stop) {
  State& s = *state_;
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < s.options.concurrency; ++i) pool.emplace_back([&s] { s.run_pool_thread(); });
  std::stop_source halt;
  std::thread housekeeper([&s, token = halt.get_token()] { s.housekeep(token); });
  s.consume(stop);
  unsigned busy = 0;
  {
    const std::lock_guard lock(s.mutex);
    s.draining = true;
    busy = s.busy;
  }
  s.changed.notify_all();
  s.say("warm shutdown: taking no more tasks; finishing {} task(s)", busy);
  for (std::thread& t : pool) t.join();
  halt.request_stop();
  housekeeper.join();
  s.say("stopped: {} task(s) processed", s.processed);
}

void Worker::State::consume(std::stop_token stop) {
  RedisConnection redis(options.broker);
  ReconnectDelay delay;
  bool connected = false;
  bool can_block = true;
  bool taking = false;       // a take is under way: if the connection fails, its effect is unknown
  bool take_in_doubt = false;
  std::string last_received;  // the tag of the last message a take returned
  std::optional<steady_clock::time_point> last_complaint;
  const std::stop_callback wake(stop, [this] { changed.notify_all(); });
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mutex);
      if (!changed.wait(lock, stop, [this] { return busy < options.concurrency; })) break;
    }
    try {
      if (!connected) {
        redis.connect();
        unacked.declare(redis);
        say("connected to {}: serving queue '{}' with {} task(s) at once", options.broker.display(), options.queue,
            options.concurrency);
        connected = true;
        delay.reset();
      }
      if (take_in_doubt) {
        if (unacked.recover_lost_take(redis, last_received)) {
          say("a message taken as the connection failed is back on queue '{}'", options.queue);
        }
        take_in_doubt = false;
      }
      taking = true;
      const auto taken = unacked.take(redis, unix_now());
      taking = false;
      if (taken && taken->recorded) last_received = taken->tag;
      if (!taken) {
        if (!can_block) {
          sleep_unless(stop, milliseconds(100));
        } else {
          try {
            unacked.wait(redis, std::chrono::seconds(1));
          } catch (const BrokerError& e) {
            say("the broker cannot block on a list ({}): polling every 0.1 s (Redis 6.2 or later blocks)", e.what());
            can_block = false;
          }
        }
        continue;
      }
      if (stop.stop_requested() && taken->recorded) {
        unacked.restore(redis, taken->tag);
        say("warm shutdown: a message taken meanwhile is back on queue '{}'", options.queue);
        break;
      }
      dispatch(redis, *taken);
    } catch (const BrokerUnavailable& e) {
      take_in_doubt = take_in_doubt || taking;
      taking = false;
      const auto now = steady_clock::now();
      if (connected || !last_complaint || now - *last_complaint > std::chrono::seconds(30)) {
        say("{}; {}", e.what(), connected ? "reconnecting with back-off" : "trying again with back-off");
        last_complaint = now;
      }
      connected = false;
      sleep_unless(stop, delay.next());
    } catch (const BrokerError& e) {
      taking = false;  // refused: nothing was taken
      say("{}; trying again with back-off", e.what());
      sleep_unless(stop, delay.next());
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

void Worker::State::dispatch(RedisConnection& redis, const TakenMessage& taken) {
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
  {
    const std::lock_guard lock(mutex);
    if (!tag.empty()) held.insert(tag);
    ++busy;
    ready.push_back(std::move(task));
  }
  changed.notify_all();
}

void Worker::State::run_pool_thread() {
  RedisConnection redis(options.broker);
  for (;;) {
    TaskMessage task;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [this] { return !ready.empty() || draining; });
      if (ready.empty()) return;
      task = std::move(ready.front());
      ready.pop_front();
    }
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
    finish(redis, task, std::move(outcome), std::chrono::duration<double>(steady_clock::now() - start).count());
    {
      const std::lock_guard lock(mutex);
      held.erase(task.delivery_tag);
      --busy;
      ++processed;
    }
    changed.notify_all();
  }
}

void Worker::State::finish(RedisConnection& redis, const TaskMessage& task, TaskOutcome outcome, double seconds) {
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
      store_outcome(redis, task, state, retry);
      break;
    } catch (const BrokerUnavailable& e) {
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

// Stores `state` and acknowledges the message; a retry also sends the task's next attempt.
void Worker::State::store_outcome(RedisConnection& redis, const TaskMessage& task, const nlohmann::json& state,
                                  bool retry) {
  if (!retry) {
    backend.store(redis, state, task.delivery_tag);
    return;
  }
  backend.store(redis, state);
  if (task.delivery_tag.empty()) {
    redis.checked({"LPUSH", options.queue, retry_message(task)});
  } else {
    unacked.ack_and_push(redis, task.delivery_tag, retry_message(task));
  }
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
  bool online = false;
  while (!halt.stop_requested()) {
    try {
      if (!online) {
        publish_event(redis, worker_event("worker-online", event_fields(), ++clock), options.hostname);
        online = true;
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
    if (online) publish_event(redis, worker_event("worker-offline", event_fields(), ++clock), options.hostname);
  } catch (const Error&) {
  }
}

}  // namespace tessera::detail
