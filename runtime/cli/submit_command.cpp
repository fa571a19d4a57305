// tessera submit JOB.toml --broker redis://HOST:PORT/DB [--queue Q] [--set NAME=INT]... [--wait]
//                [--timeout S] [--quiet]
//
// Sends a job as a `tessera.run` task, as a Celery client would: the job's text, its --set
// overrides and the files it reads beside it (kernel sources and what they include, init and
// check data). Prints the task id; with --wait, waits for the result, writes the outputs where
// `tessera run` would, and exits as `tessera run` would (2: the job is invalid, 3: a check
// failed, 1: any other failure).

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"
#include "cli/log.hpp"
#include "cli/task_request.hpp"
#include "common/atomic_file.hpp"
#include "common/read_file.hpp"
#include "job/job_loader.hpp"
#include "tessera/source.hpp"
#include "worker/base64.hpp"
#include "worker/celery_message.hpp"
#include "worker/redis_connection.hpp"
#include "worker/result_backend.hpp"
#include "worker/unacked.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::uint64_t max_file_bytes = std::uint64_t{256} << 20;

std::string read_or_throw(const fs::path& path) {
  detail::FileText f = detail::read_regular_file(path, max_file_bytes);
  if (!f.bytes) throw Error(Errc::io, fmt::format("cannot read {}: {}", path.string(), f.why));
  return std::move(*f.bytes);
}

// Every file `job` reads, as the task's kwargs "files": name relative to the job's folder ->
// text, or base64 for .npy and .bin.
json files_of(const detail::JobSpec& job) {
  std::vector<fs::path> paths;
  if (job.program.builtin.empty()) {
    for (const std::string& f : Source::file(job.program.source).resolve().files) paths.emplace_back(f);
  }
  for (const auto& b : job.buffers) {
    if (const auto* f = std::get_if<detail::FileInit>(&b.init)) paths.push_back(f->path);
  }
  for (const auto& c : job.checks) {
    if (const auto* f = std::get_if<detail::FileExpect>(&c.expect)) paths.push_back(f->path);
  }
  json files = json::object();
  for (const fs::path& path : paths) {
    const std::string name = path.lexically_normal().lexically_relative(job.folder.lexically_normal()).generic_string();
    if (const auto why = unsafe_relative_path(name)) {
      throw Error(Errc::invalid_argument,
                  fmt::format("{}: {} is not beside the job ({}): a task carries only the files of the job's folder",
                              job.file, path.string(), *why));
    }
    const std::string bytes = read_or_throw(path);
    if (is_binary_file(name)) {
      files[name] = detail::base64_encode(bytes);
      continue;
    }
    try {
      files[name] = json(bytes).dump();  // only to check that the text is UTF-8
      files[name] = bytes;
    } catch (const json::exception&) {
      throw Error(Errc::invalid_argument, fmt::format("{}: {} is not UTF-8 text (.npy and .bin files travel as base64)",
                                                      job.file, path.string()));
    }
  }
  return files;
}

// The task's state once it is final (SUCCESS, FAILURE, REVOKED), polling every 20 ms; nothing
// after `timeout` (0: none).
std::optional<json> wait_for_state(detail::RedisConnection& redis, const std::string& id, double timeout) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  for (;;) {
    const detail::RedisReply r = redis.checked({"GET", detail::task_state_key(id)});
    if (r.kind == detail::RedisReply::Kind::string) {
      json state = json::parse(r.str, nullptr, false);
      const std::string status = state.is_object() ? state.value("status", std::string()) : std::string();
      if (status == "SUCCESS" || status == "FAILURE" || status == "REVOKED") return state;
    }
    if (timeout > 0 && std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Writes each output of a SUCCESS result into the job's folder, each whole or not at all.
std::size_t write_outputs(const detail::JobSpec& job, const json& result) {
  const json* outputs = result.is_object() && result.contains("outputs") ? &result["outputs"] : nullptr;
  if (outputs == nullptr || !outputs->is_object()) throw Error(Errc::invalid_argument, "the task's result has no outputs");
  for (const auto& [name, encoded] : outputs->items()) {
    const auto bytes = encoded.is_string() ? detail::base64_decode(encoded.get<std::string>()) : std::nullopt;
    if (unsafe_relative_path(name) || !bytes) {
      throw Error(Errc::invalid_argument, fmt::format("the task's result holds an unusable output '{}'", name));
    }
    const fs::path target = job.folder / name;
    fs::create_directories(target.parent_path());
    detail::write_file_atomically(target, std::span(reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size()));
  }
  return outputs->size();
}

int exit_code_of_failure(const json& exception) {
  const std::string type = exception.is_object() ? exception.value("exc_type", std::string()) : std::string();
  if (type == "JobError" || type == "BuildError" || type == "InvalidTask") return exit_invalid_input;
  if (type == "CheckFailed") return exit_check_failed;
  return exit_runtime_failure;
}

}  // namespace

int submit_command(const SubmitOptions& options) {
  const detail::JobSpec job = detail::load_job_spec(options.job, options.sets);
  json sets = json::object();
  for (const auto& [name, value] : options.sets) sets[name] = value;
  detail::NewTask task;
  task.id = detail::new_uuid();
  task.task = "tessera.run";
  task.args = json::array({read_or_throw(options.job)});
  task.kwargs = {{"set", sets}, {"files", files_of(job)}};
  task.queue = options.queue;
  task.origin = "tessera submit";
  detail::RedisConnection redis(detail::parse_broker_url(options.broker));
  detail::UnackedMessages(options.queue, 0).declare(redis);
  redis.checked({"LPUSH", options.queue, detail::encode_task_message(task)});
  fmt::print("{}\n", task.id);
  std::fflush(stdout);
  if (!options.wait) return exit_ok;
  const auto state = wait_for_state(redis, task.id, options.timeout);
  if (!state) {
    fmt::print(stderr, "error: {}: task {} has no result after {} s\n", options.job, task.id, options.timeout);
    return exit_runtime_failure;
  }
  const json& result = (*state)["result"];
  if ((*state)["status"] != "SUCCESS") {
    const json message = result.is_object() ? result.value("exc_message", json::array()) : json::array();
    fmt::print(stderr, "error: {}\n", message.is_array() && !message.empty() && message[0].is_string()
                                          ? message[0].get<std::string>()
                                          : detail::json_text(result));
    return exit_code_of_failure(result);
  }
  const std::size_t written = write_outputs(job, result);
  if (!options.quiet) fmt::print("{}: task {} succeeded: {} output(s) written\n", job.file, task.id, written);
  return exit_ok;
}

}  // namespace tessera::cli
