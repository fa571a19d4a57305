// tessera worker behind a real Redis broker, driven by a real Celery client (Debian's
// python3-celery): results read with AsyncResult.get(), kombu's unacknowledged bookkeeping, a
// worker killed mid-task, warm shutdown, a broker that restarts or starts late, bad messages,
// retries of device failures, heartbeats, tessera submit. Each case starts its own
// redis-server on a free port of 127.0.0.1, in a folder of its own.

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/fixture.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "worker/base64.hpp"
#include "worker/celery_message.hpp"
#include "worker/redis_connection.hpp"
#include "worker/result_backend.hpp"
#include "worker/unacked.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using tessera::detail::RedisReply;
using tessera::test::ProcessResult;
using tessera::test::RunningProcess;

const std::string client_script = TESSERA_TEST_SOURCE_DIR "/worker/celery_client.py";
const fs::path worker_files = TESSERA_TEST_SOURCE_DIR "/worker";
constexpr int spin_iters = 40000000;  // about 2.5 s on one PoCL device
// The 100 tasks in the release build; sanitized builds, whose host code runs 10 to 50
// times slower, check the same paths with fewer.
#ifdef TESSERA_TEST_SANITIZED
constexpr int many = 20;
#else
constexpr int many = 100;
#endif

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), size) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &size) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Polls `done` every 20 ms for at most `seconds`; whether it became true.
template <typename Done>
bool eventually(Done done, double seconds = 30) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A redis-server of the test's own on 127.0.0.1; `persistent` keeps its data across restarts.
class Broker {
 public:
  explicit Broker(bool persistent = false, int port = free_port()) : port_(port), persistent_(persistent) { start(); }
  ~Broker() { stop(); }

  void start() {
    process_.emplace(tessera::test::start_process(
        TESSERA_REDIS_SERVER, {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               persistent_ ? "yes" : "no", "--dir", dir_.path().string(), "--daemonize", "no"}));
    REQUIRE_MESSAGE(eventually([&] { return ping(); }, 10), process_->err_so_far());
  }
  void stop() {
    if (!process_) return;
    ::kill(process_->pid(), SIGTERM);
    process_->wait();
    process_.reset();
    redis_.disconnect();
  }
  std::string url() const { return fmt::format("redis://127.0.0.1:{}/0", port_); }
  RedisReply command(const std::vector<std::string>& args) { return redis_.command(args); }
  long long integer(const std::vector<std::string>& args) { return command(args).integer; }

 private:
  bool ping() {
    try {
      return command({"PING"}).str == "PONG";
    } catch (const tessera::Error&) {
      return false;
    }
  }

  int port_;
  bool persistent_;
  tessera::test::TempDir dir_;
  std::optional<RunningProcess> process_;
  tessera::detail::RedisConnection redis_{tessera::detail::parse_broker_url(url())};
};

// The program binary cache of this test's workers: a folder of their own, so that other tests
// of the same device set (which clear, fill and corrupt theirs) never meet them.
std::string worker_cache_dir() {
  static const tessera::test::TempDir& dir = tessera::test::shared_fixture<tessera::test::TempDir>();
  return (dir / "cache").string();
}

// A `tessera worker` process.
class Worker {
 public:
  Worker(const std::string& url, std::vector<std::string> options = {}, std::vector<std::string> env = {}) {
    env.push_back("TESSERA_CACHE_DIR=" + worker_cache_dir());
    std::vector<std::string> args{"worker", "--broker", url};
    args.insert(args.end(), options.begin(), options.end());
    process_.emplace(tessera::test::start_process(TESSERA_CLI_PATH, args, env));
  }
  /// Waits until the log holds `text` `times` times.
  void wait_for(const std::string& text, std::size_t times = 1, double seconds = 60) {
    REQUIRE_MESSAGE(eventually([&] { return count_of(log(), text) >= times; }, seconds),
                    fmt::format("waited for '{}' x{}; the log:\n{}", text, times, log()));
  }
  std::string log() const { return process_->err_so_far(); }
  void signal(int sig) { ::kill(process_->pid(), sig); }
  ProcessResult wait() { return process_->wait(); }
  bool running() const { return !process_->has_ended(); }

 private:
  std::optional<RunningProcess> process_;
};

// The JSON a client command prints.
json client(const std::string& url, std::vector<std::string> args) {
  args.insert(args.begin(), {client_script, url});
  const ProcessResult r = tessera::test::run_process(TESSERA_PYTHON3, args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

RunningProcess start_client(const std::string& url, std::vector<std::string> args) {
  args.insert(args.begin(), {client_script, url});
  return tessera::test::start_process(TESSERA_PYTHON3, args);
}

json finish_client(RunningProcess& p) {
  const ProcessResult r = p.wait();
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

// Sends `count` saxpy tasks (n = first + 64 k), then gets and checks every result.
void run_saxpy(const std::string& url, int count, int first = 1024) {
  tessera::test::TempDir dir;
  const std::string ids = (dir / "ids").string();
  client(url, {"send-saxpy", std::to_string(count), ids, std::to_string(first)});
  const json got = client(url, {"get-saxpy", ids, "60"});
  INFO(got.dump());
  CHECK(got["ok"] == count);
  CHECK(got["bad"].empty());
}

void check_nothing_unacknowledged(Broker& broker) {
  CHECK(broker.integer({"HLEN", "unacked"}) == 0);
  CHECK(broker.integer({"ZCARD", "unacked_index"}) == 0);
}

}  // namespace

TEST_CASE("an outcome is stored and its message acknowledged in one step; a stored success is kept") {
  Broker broker;
  tessera::detail::RedisConnection redis(tessera::detail::parse_broker_url(broker.url()));
  const tessera::detail::UnackedMessages unacked("celery", 1 << 20);
  const std::string id = tessera::detail::new_uuid();
  broker.command({"LPUSH", "celery", tessera::detail::encode_task_message({id, "tessera.run"})});
  const auto taken = unacked.take(redis, 1000.0);
  REQUIRE(taken);
  REQUIRE(taken->recorded);
  CHECK(broker.integer({"HLEN", "unacked"}) == 1);
  const tessera::detail::ResultBackend backend;
  CHECK(backend.store(redis, tessera::detail::success_state(id, json{{"x", 1}}), taken->tag));
  check_nothing_unacknowledged(broker);
  const json stored = json::parse(broker.command({"GET", "celery-task-meta-" + id}).str);
  CHECK(stored["status"] == "SUCCESS");
  CHECK(stored["result"] == json{{"x", 1}});
  // A later outcome for the same task (it ran twice) leaves the success, and is still acknowledged.
  broker.command({"LPUSH", "celery", tessera::detail::encode_task_message({id, "tessera.run"})});
  const auto again = unacked.take(redis, 1001.0);
  REQUIRE(again);
  CHECK_FALSE(backend.store(redis, tessera::detail::failure_state(id, {"DeviceError", "tessera", "lost", ""}), again->tag));
  check_nothing_unacknowledged(broker);
  CHECK(json::parse(broker.command({"GET", "celery-task-meta-" + id}).str)["status"] == "SUCCESS");
  // Without a tag nothing is acknowledged.
  broker.command({"LPUSH", "celery", tessera::detail::encode_task_message({tessera::detail::new_uuid(), "tessera.run"})});
  const auto third = unacked.take(redis, 1002.0);
  REQUIRE(third);
  CHECK(backend.store(redis, tessera::detail::failure_state(tessera::detail::new_uuid(), {"X", "tessera", "y", ""})));
  CHECK(broker.integer({"HLEN", "unacked"}) == 1);
  CHECK(broker.integer({"ZCARD", "unacked_index"}) == 1);
}

TEST_CASE("a retry is acknowledged, sent again and stored in one step, once however often it is repeated") {
  Broker broker;
  tessera::detail::RedisConnection redis(tessera::detail::parse_broker_url(broker.url()));
  const tessera::detail::UnackedMessages unacked("celery", 1 << 20);
  const tessera::detail::ResultBackend backend;
  const std::string id = tessera::detail::new_uuid();
  broker.command({"LPUSH", "celery", tessera::detail::encode_task_message({id, "tessera.run"})});
  const auto taken = unacked.take(redis, 1000.0);
  REQUIRE(taken);
  const tessera::detail::TaskFailure lost{"DeviceError", "tessera", "lost", ""};
  const auto retry = [&] {
    return backend.store_retry(redis, tessera::detail::retry_state(id, lost), taken->tag, "celery", "next attempt");
  };
  CHECK(retry());
  check_nothing_unacknowledged(broker);
  CHECK(broker.integer({"LLEN", "celery"}) == 1);
  CHECK(json::parse(broker.command({"GET", "celery-task-meta-" + id}).str)["status"] == "RETRY");
  // Repeated (its reply lost): nothing is sent twice, and a later state is not overwritten.
  CHECK(backend.store(redis, tessera::detail::failure_state(id, lost)));
  CHECK_FALSE(retry());
  CHECK(broker.integer({"LLEN", "celery"}) == 1);
  CHECK(json::parse(broker.command({"GET", "celery-task-meta-" + id}).str)["status"] == "FAILURE");
  // A task that succeeded elsewhere keeps its success: the retry is only acknowledged.
  broker.command({"DEL", "celery"});
  broker.command({"LPUSH", "celery", tessera::detail::encode_task_message({id, "tessera.run"})});
  const auto again = unacked.take(redis, 1001.0);
  REQUIRE(again);
  CHECK(backend.store(redis, tessera::detail::success_state(id, json{{"x", 1}})));
  CHECK_FALSE(backend.store_retry(redis, tessera::detail::retry_state(id, lost), again->tag, "celery", "next attempt"));
  check_nothing_unacknowledged(broker);
  CHECK(broker.integer({"LLEN", "celery"}) == 0);
  CHECK(json::parse(broker.command({"GET", "celery-task-meta-" + id}).str)["status"] == "SUCCESS");
}

TEST_CASE("a take whose reply was lost (the broker stopped right after it) is found and put back") {
  Broker broker;
  tessera::detail::RedisConnection redis(tessera::detail::parse_broker_url(broker.url()));
  const tessera::detail::UnackedMessages unacked("celery", 1 << 20, "w1@test", std::chrono::seconds(60));
  const std::string first = tessera::detail::new_uuid(), second = tessera::detail::new_uuid();
  broker.command({"LPUSH", "celery", tessera::detail::encode_task_message({first, "tessera.run"})});
  broker.command({"LPUSH", "celery", tessera::detail::encode_task_message({second, "tessera.run"})});
  const auto a = unacked.take(redis, 1000.0);
  REQUIRE(a);
  // The second take runs on the server, but its worker never hears of it: it knows only `a`.
  REQUIRE(unacked.take(redis, 1001.0));
  CHECK(broker.integer({"LLEN", "celery"}) == 0);
  CHECK(broker.integer({"PTTL", "_tessera.taken.w1@test"}) > 50000);
  CHECK(unacked.recover_lost_take(redis, a->tag));
  CHECK(broker.integer({"LLEN", "celery"}) == 1);
  CHECK(broker.integer({"HLEN", "unacked"}) == 1);  // `a`, still held
  const auto again = unacked.take(redis, 1002.0);
  REQUIRE(again);
  const auto parsed = tessera::detail::parse_task_message(again->text);
  REQUIRE(std::holds_alternative<tessera::detail::TaskMessage>(parsed));
  CHECK(std::get<tessera::detail::TaskMessage>(parsed).id == second);
  CHECK(std::get<tessera::detail::TaskMessage>(parsed).redelivered);
  // Nothing to put back when the take in doubt took nothing, or its reply did arrive.
  CHECK_FALSE(unacked.recover_lost_take(redis, again->tag));
  CHECK(broker.integer({"HLEN", "unacked"}) == 2);
  // Another consumer's takes are not this one's.
  const tessera::detail::UnackedMessages other("celery", 1 << 20, "w2@test");
  CHECK_FALSE(other.recover_lost_take(redis, ""));
}

TEST_CASE("100 tasks from a Celery client across two workers: every result right, each stored once") {
  const std::string count = std::to_string(many);
  Broker broker;
  Worker a(broker.url(), {"--concurrency", "2"});
  Worker b(broker.url(), {"--concurrency", "2"});
  a.wait_for("connected to");
  b.wait_for("connected to");
  RunningProcess listener = start_client(broker.url(), {"listen", count, "60"});
  REQUIRE(eventually([&] { return listener.err_so_far().find("listening") != std::string::npos; }, 20));
  run_saxpy(broker.url(), many);
  const json states = finish_client(listener);
  CHECK(states.size() == many);
  for (const auto& state : states.items()) CHECK_MESSAGE(state.value() == json::array({"SUCCESS"}), state.key());
  CHECK(count_of(a.log(), "succeeded") + count_of(b.log(), "succeeded") == many);
  CHECK(count_of(a.log(), "succeeded") > 0);
  CHECK(count_of(b.log(), "succeeded") > 0);
  check_nothing_unacknowledged(broker);
  CHECK(broker.integer({"LLEN", "celery"}) == 0);
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  CHECK(a.wait().exit_code == 0);
  CHECK(b.wait().exit_code == 0);
}

TEST_CASE("a worker killed in the middle of a task: its task goes to another worker after the visibility timeout") {
  Broker broker;
  RunningProcess listener = start_client(broker.url(), {"listen", std::to_string(many), "90"});
  REQUIRE(eventually([&] { return listener.err_so_far().find("listening") != std::string::npos; }, 20));
  Worker a(broker.url(), {"--visibility-timeout", "1"});
  a.wait_for("connected to");
  const std::string spin = client(broker.url(), {"send-spin", std::to_string(spin_iters)})["id"];
  a.wait_for("task " + spin + " received");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // a runs the slow task (concurrency 1), recorded as unacknowledged, and has not finished it.
  CHECK(broker.integer({"HLEN", "unacked"}) == 1);
  REQUIRE(a.log().find("task " + spin + " succeeded") == std::string::npos);
  a.signal(SIGKILL);
  CHECK(a.wait().signal == SIGKILL);
  Worker b(broker.url(), {"--visibility-timeout", "1", "--concurrency", "2"});
  b.wait_for("connected to");
  tessera::test::TempDir dir;
  const std::string ids = (dir / "ids").string();
  client(broker.url(), {"send-saxpy", std::to_string(many - 1), ids});
  const json got = client(broker.url(), {"get-saxpy", ids, "60"});
  CHECK(got["ok"] == many - 1);
  const json spun = client(broker.url(), {"get", spin, "60"});
  CHECK(spun[spin]["status"] == "SUCCESS");
  b.wait_for("restored 1 message(s)");
  b.wait_for("task " + spin + " received: tessera.run, redelivered");
  const json states = finish_client(listener);
  CHECK(states.size() == many);
  for (const auto& state : states.items()) CHECK_MESSAGE(state.value() == json::array({"SUCCESS"}), state.key());
  check_nothing_unacknowledged(broker);
}

TEST_CASE("SIGTERM is a warm shutdown: the running task ends and is stored, no task is taken, exit 0") {
  Broker broker;
  Worker a(broker.url());
  a.wait_for("connected to");
  const std::string spin = client(broker.url(), {"send-spin", std::to_string(spin_iters)})["id"];
  a.wait_for("task " + spin + " received");
  tessera::test::TempDir dir;
  const std::string ids = (dir / "ids").string();
  client(broker.url(), {"send-saxpy", "5", ids});
  a.signal(SIGTERM);
  const ProcessResult r = a.wait();
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("warm shutdown") != std::string::npos);
  CHECK(r.err.find("task " + spin + " succeeded") != std::string::npos);
  CHECK(count_of(r.err, "received") == 1);
  CHECK(broker.integer({"LLEN", "celery"}) == 5);
  check_nothing_unacknowledged(broker);
  CHECK(client(broker.url(), {"get", spin, "5"})[spin]["status"] == "SUCCESS");
  Worker b(broker.url());
  CHECK(client(broker.url(), {"get-saxpy", ids, "60"})["ok"] == 5);
  b.signal(SIGTERM);
  CHECK(b.wait().exit_code == 0);
}

TEST_CASE("the broker restarts in the middle of a run: the worker reconnects and every task completes") {
  Broker broker(true);
  Worker a(broker.url(), {"--concurrency", "2"});
  a.wait_for("connected to");
  tessera::test::TempDir dir;
  const std::string ids = (dir / "ids").string();
  client(broker.url(), {"send-saxpy", std::to_string(many * 2 / 5), ids});
  a.wait_for("succeeded", 5);
  broker.stop();
  a.wait_for("connection lost");
  broker.start();
  a.wait_for("connected to", 2);
  const json got = client(broker.url(), {"get-saxpy", ids, "60"});
  CHECK(got["ok"] == many * 2 / 5);
  run_saxpy(broker.url(), 5);
  check_nothing_unacknowledged(broker);
  CHECK(a.running());
}

TEST_CASE("a worker started before its broker serves once the broker is up") {
  const int port = free_port();
  Worker a(fmt::format("redis://127.0.0.1:{}/0", port));
  a.wait_for("trying again with back-off");
  Broker broker(false, port);
  a.wait_for("connected to");
  run_saxpy(broker.url(), 5);
}

TEST_CASE("bad messages: a FAILURE where the task id is known, a log line, and the worker keeps serving") {
  Broker broker;
  tessera::test::TempDir root;
  tessera::test::TempDir outside;
  fs::copy_file(worker_files / "k.cl", outside / "k.cl");
  tessera::test::run_process(TESSERA_PYTHON3, {"-c", fmt::format("import struct; open('{}', 'wb').write(b'\\x93NUMPY\\x01\\x00v\\x00' + "
                                                                 "(\"{{'descr': '<f4', 'fortran_order': False, 'shape': (4096,), }}\".ljust(117) + '\\n').encode() + struct.pack('<4096f', *range(4096)))",
                                                                 (outside / "x.npy").string())});
  fs::create_directories(root / "jobs");
  fs::copy_file(worker_files / "saxpy.toml", root / "jobs/saxpy.toml");
  fs::copy_file(worker_files / "k.cl", root / "jobs/k.cl");
  Worker a(broker.url(), {"--max-message-bytes", "65536", "--data-root", root.path().string()});
  a.wait_for("connected to");

  // Messages no Celery client sends, pushed as they are.
  const std::string id = tessera::detail::new_uuid();
  const json envelope = {{"body", "not base64!"},
                         {"content-type", "application/json"},
                         {"content-encoding", "utf-8"},
                         {"headers", {{"task", "tessera.run"}, {"id", id}}},
                         {"properties", {{"delivery_tag", "t1"}, {"body_encoding", "base64"}, {"delivery_info", {{"exchange", ""}, {"routing_key", "celery"}}}}}};
  json pickled = envelope;
  const std::string pickled_id = tessera::detail::new_uuid();
  pickled["headers"]["id"] = pickled_id;
  pickled["content-type"] = "application/x-python-serialize";
  for (const std::string& raw : {std::string("not JSON at all"), std::string("{}"), std::string("[1, 2]"),
                                std::string("{\"properties\": 3}"), envelope.dump(), pickled.dump()}) {
    broker.command({"LPUSH", "celery", raw});
  }
  a.wait_for("message rejected", 4);
  a.wait_for("task " + pickled_id + " rejected");
  const auto stored = [&](const std::string& task) {
    return json::parse(broker.command({"GET", "celery-task-meta-" + task}).str);
  };
  CHECK(stored(id)["status"] == "FAILURE");
  CHECK(stored(id)["result"]["exc_type"] == "MessageError");
  CHECK(stored(id)["result"]["exc_message"][0] == "the body is not base64");
  CHECK(stored(pickled_id)["result"]["exc_message"][0].get<std::string>().find("content type") == 0);

  // Tasks sent by Celery that the worker must refuse.
  const json out = client(broker.url(), {"bad-tasks", outside.path().string()});
  INFO(out.dump(1));
  const std::vector<std::pair<std::string, std::string>> expected{
      {"unknown task", "NotRegistered"},          {"not a job", "JobError"},
      {"no args", "InvalidTask"},                 {"unknown kwarg", "InvalidTask"},
      {"set not an integer", "InvalidTask"},      {"file outside", "InvalidTask"},
      {"absolute file", "InvalidTask"},           {"input outside the folder", "JobError"},
      {"output outside the folder", "JobError"},  {"output outside, no files", "JobError"},
      {"absolute output, no files", "JobError"},  {"source outside the folder", "JobError"},
      {"include outside the folder", "JobError"}, {"job path outside", "InvalidTask"},
      {"too large", "MessageError"},              {"bad base64", "InvalidTask"},
      {"kernel error", "BuildError"}};
  for (const auto& name_type : expected) {
    const std::string& name = name_type.first;
    CHECK_MESSAGE(out[name]["status"] == "FAILURE", name);
    CHECK_MESSAGE(out[name]["exc_type"] == name_type.second, name);
  }
  CHECK(out["still serving"]["status"] == "SUCCESS");
  CHECK(out["builtin, no files"]["result"]["outputs"].contains("out/y.npy"));
  CHECK_FALSE(fs::exists(outside / "y.npy"));
  // A job given by path under --data-root runs in place: its output is written there too.
  CHECK(out["job by path"]["status"] == "SUCCESS");
  CHECK(out["job by path"]["result"]["outputs"].contains("out/y.npy"));
  CHECK(fs::file_size(root / "jobs/out/y.npy") == 128 + 128 * 4);
  CHECK(out["input outside the folder"]["message"].get<std::string>().find("is outside the task's folder") !=
        std::string::npos);
  CHECK(out["too large"]["message"].get<std::string>().find("more than the limit of 65536 bytes") != std::string::npos);
  // An invalid job fails with the line `tessera validate` prints for the same text.
  tessera::test::TempDir same;
  same.write("job.toml", "[job]\nsheduler = 'single'\n");
  const ProcessResult validate = tessera::test::run_process(
      "/bin/sh", {"-c", fmt::format("cd '{}' && exec '{}' validate job.toml", same.path().string(), TESSERA_CLI_PATH)});
  CHECK(validate.err == "error: " + out["not a job"]["message"].get<std::string>() + "\n");
  CHECK(a.running());
  check_nothing_unacknowledged(broker);
}

TEST_CASE("device failures are tried again up to --max-retries, each attempt a RETRY, then a FAILURE") {
  Broker broker;
  Worker a(broker.url(), {"--max-retries", "2"}, {"TESSERA_FAULTS=device=all,every=1,status=CL_OUT_OF_RESOURCES"});
  a.wait_for("connected to");
  RunningProcess listener = start_client(broker.url(), {"listen", "1", "60"});
  REQUIRE(eventually([&] { return listener.err_so_far().find("listening") != std::string::npos; }, 20));
  tessera::test::TempDir dir;
  const std::string ids = (dir / "ids").string();
  client(broker.url(), {"send-saxpy", "1", ids});
  const json states = finish_client(listener);
  REQUIRE(states.size() == 1);
  CHECK(states.begin().value() == json::array({"RETRY", "RETRY", "FAILURE"}));
  CHECK(count_of(a.log(), "sent again") == 2);
  CHECK(a.log().find("attempt 2 of 3") != std::string::npos);
  CHECK(a.log().find("DeviceError") != std::string::npos);
  check_nothing_unacknowledged(broker);
}

TEST_CASE("heartbeats carry the worker's devices, as Celery's event receiver reads them") {
  Broker broker;
  Worker a(broker.url(), {"--concurrency", "3", "--hostname", "gpu-node-1"});
  a.wait_for("connected to");
  const json event = client(broker.url(), {"heartbeat", "10"});
  INFO(event.dump());
  CHECK(event["type"] == "worker-heartbeat");
  CHECK(event["hostname"] == "gpu-node-1");
  CHECK(event["concurrency"] == 3);
  REQUIRE(event["devices"].is_array());
  CHECK(!event["devices"].empty());
  CHECK(event["devices"][0].contains("name"));
}

TEST_CASE("tessera submit --wait writes the outputs tessera run writes") {
  Broker broker;
  Worker a(broker.url());
  a.wait_for("connected to");
  tessera::test::TempDir sent;
  tessera::test::TempDir local;
  for (const char* f : {"saxpy.toml", "k.cl"}) {
    fs::copy_file(worker_files / f, sent / f);
    fs::copy_file(worker_files / f, local / f);
  }
  const ProcessResult s = tessera::test::run_tessera(
      {"submit", (sent / "saxpy.toml").string(), "--broker", broker.url(), "--set", "n=5000", "--wait", "--timeout", "60"});
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  CHECK(tessera::detail::plausible_task_id(s.out.substr(0, s.out.find('\n'))));
  const ProcessResult r = tessera::test::run_tessera({"run", (local / "saxpy.toml").string(), "--set", "n=5000", "--quiet"});
  REQUIRE(r.exit_code == 0);
  CHECK(tessera::test::read_text(sent / "out/y.npy") == tessera::test::read_text(local / "out/y.npy"));
  CHECK(tessera::test::read_text(sent / "out/y.npy").size() > 5000 * 4);
  // A job the worker refuses: submit exits as tessera run would.
  const ProcessResult bad = tessera::test::run_tessera(
      {"submit", (sent / "saxpy.toml").string(), "--broker", broker.url(), "--set", "n=0", "--wait"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("task folders: a text job's image output is written in its folder and returned; nothing stays in --scratch") {
  Broker broker;
  tessera::test::TempDir scratch;
  Worker a(broker.url(), {"--scratch", scratch.path().string()});
  a.wait_for("connected to");
  // The worker's private folder of task folders, the only thing it makes under --scratch.
  std::vector<fs::path> made;
  for (const auto& e : fs::directory_iterator(scratch.path())) made.push_back(e.path());
  REQUIRE(made.size() == 1);
  CHECK(made[0].filename().string().rfind("tessera-worker-", 0) == 0);
  CHECK((fs::status(made[0]).permissions() & fs::perms::all) == fs::perms::owner_all);

  tessera::test::TempDir sent;
  tessera::test::TempDir local;
  const fs::path job = TESSERA_TEST_SOURCE_DIR "/../samples/jobs/mandelbrot.toml";
  fs::copy_file(job, sent / "mandelbrot.toml");
  fs::copy_file(job, local / "mandelbrot.toml");
  const std::vector<std::string> sets{"--set", "w=96", "--set", "h=64"};
  std::vector<std::string> submit{"submit", (sent / "mandelbrot.toml").string(), "--broker", broker.url(), "--wait", "--timeout", "60"};
  submit.insert(submit.end(), sets.begin(), sets.end());
  const ProcessResult s = tessera::test::run_tessera(submit);
  INFO(s.err);
  REQUIRE(s.exit_code == 0);
  std::vector<std::string> run{"run", (local / "mandelbrot.toml").string(), "--quiet"};
  run.insert(run.end(), sets.begin(), sets.end());
  REQUIRE(tessera::test::run_tessera(run).exit_code == 0);
  CHECK(tessera::test::read_text(sent / "mandelbrot.png") == tessera::test::read_text(local / "mandelbrot.png"));
  // Jobs with files (the saxpy kernel) and without (the image) leave no task folder behind.
  run_saxpy(broker.url(), 3);
  CHECK(fs::is_empty(made[0]));
  a.signal(SIGTERM);
  CHECK(a.wait().exit_code == 0);
  CHECK(fs::is_empty(scratch.path()));
}
