// tessera worker --broker redis://HOST:PORT/DB [--queue Q] [--concurrency N] [--data-root DIR]
//                [--visibility-timeout S] [--max-retries N] [--max-message-bytes N]
//                [--hostname NAME] [--devices SEL] [--cpu-split N]
//
// A Celery worker for `tessera.run` tasks (worker/worker.hpp, cli/job_task.hpp). SIGTERM or
// SIGINT: a warm shutdown (the tasks running finish, their results are stored, exit 0); a
// second signal leaves at once (128 + the signal), the tasks it held going back to the queue
// after the visibility timeout.

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli/command.hpp"
#include "cli/device_report.hpp"
#include "cli/exit_code.hpp"
#include "cli/held_stderr.hpp"
#include "cli/job_task.hpp"
#include "worker/worker.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;

// One line per event on stderr, "worker: HH:MM:SS LINE", whole lines even from many threads.
void log_line(std::string_view line) {
  static std::mutex mutex;
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  const std::string text = fmt::format("worker: {:02}:{:02}:{:02} {}\n", tm.tm_hour, tm.tm_min, tm.tm_sec, line);
  const std::lock_guard lock(mutex);
  write_stderr_now(text);
}

// Turns SIGTERM and SIGINT into a stop request on a thread of its own (both are blocked in
// every other thread, which inherit the mask from the constructor on); a second one ends the
// process at once.
class ShutdownSignals {
 public:
  explicit ShutdownSignals(std::stop_source stop) : stop_(std::move(stop)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] { watch(); });
  }
  ~ShutdownSignals() {
    done_.store(true);
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

 private:
  void watch() {
    bool first = true;
    for (;;) {
      int signal = 0;
      if (sigwait(&set_, &signal) != 0) continue;
      if (done_.load()) return;
      const char* name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
      if (!first) {
        log_line(fmt::format("{} again: leaving now; the tasks taken go back to the queue after the visibility timeout", name));
        std::_Exit(signal == SIGTERM ? exit_terminated : exit_interrupted);
      }
      first = false;
      log_line(fmt::format("{}: warm shutdown (a second signal leaves at once)", name));
      stop_.request_stop();
    }
  }

  sigset_t set_{};
  std::stop_source stop_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// A folder given on the command line, made if missing, as a canonical path. Throws
// Error(invalid_argument).
fs::path folder_of(std::string_view flag, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path canonical = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(canonical)) {
    throw Error(Errc::invalid_argument, fmt::format("{} {}: not a folder that can be used", flag, dir));
  }
  return canonical;
}

}  // namespace

int worker_command(const WorkerCommandOptions& options) {
  detail::WorkerOptions w;
  w.broker = detail::parse_broker_url(options.broker);
  w.queue = options.queue;
  w.concurrency = options.concurrency;
  w.visibility_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.visibility_timeout * 1000));
  w.max_retries = options.max_retries;
  w.max_message_bytes = options.max_message_bytes;
  w.hostname = options.hostname;
  JobTaskSettings settings;
  if (!options.data_root.empty()) settings.data_root = folder_of("--data-root", options.data_root);
  settings.scratch_root = folder_of("--scratch", options.scratch.empty() ? fs::temp_directory_path().string() : options.scratch);

  std::stop_source stop;
  const ShutdownSignals signals(stop);  // before any other thread starts
  const Runtime runtime(options.runtime);
  report_warnings(runtime);
  w.advertised = devices_json(runtime.devices());
  w.advertised["concurrency"] = w.concurrency;
  w.advertised["queues"] = {w.queue};
  for (const Device& d : runtime.devices()) log_line(fmt::format("device {} {}", d.info().label(), d.name()));

  const JobTask job_task(runtime, settings);
  detail::Worker worker(w, {{"tessera.run", [&job_task](const detail::TaskMessage& m) { return job_task(m); }}},
                        log_line);
  worker.serve(stop.get_token());
  return exit_ok;
}

}  // namespace tessera::cli
