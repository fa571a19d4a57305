#include "cli/job_task.hpp"

#include <fmt/format.h>

#include "cli/error_line.hpp"
#include "cli/job_summary.hpp"
#include "cli/task_folder.hpp"
#include "cli/task_request.hpp"
#include "common/read_file.hpp"
#include "job/job_loader.hpp"
#include "job/job_runner.hpp"
#include "job/npy.hpp"
#include "worker/base64.hpp"

namespace tessera::cli {
namespace {

namespace fs = std::filesystem;
using detail::TaskFailure;
using detail::TaskOutcome;

// `text` with the folder the job ran in left out of its paths, as a person who ran the job
// from that folder would read it.
std::string relative_to(std::string text, const fs::path& folder) {
  if (folder.empty()) return text;
  const std::string prefix = folder.string() + "/";
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at)) text.erase(at, prefix.size());
  return text;
}

TaskOutcome failed(std::string exc_type, std::string message, bool retry, std::string traceback = {}) {
  TaskOutcome o;
  o.failure = {std::move(exc_type), "tessera", std::move(message), std::move(traceback)};
  o.retry = retry;
  return o;
}

TaskOutcome failure_of(const Error& e, const fs::path& folder) {
  std::string traceback;
  if (const auto* build = dynamic_cast<const BuildError*>(&e)) {
    for (const auto& entry : build->logs()) traceback += fmt::format("--- build log, {} ---\n{}\n", entry.device, entry.log);
    return failed("BuildError", relative_to(error_line(e), folder), false, relative_to(traceback, folder));
  }
  if (dynamic_cast<const JobError*>(&e) != nullptr) return failed("JobError", relative_to(e.what(), folder), false);
  switch (e.code()) {
    case Errc::opencl:
    case Errc::no_platform:
      return failed("DeviceError", relative_to(e.what(), folder), true);
    case Errc::out_of_memory:
      return failed("OutOfMemory", relative_to(e.what(), folder), true);
    default:
      return failed("InvalidTask", relative_to(e.what(), folder), false);
  }
}

// The job the request names, loaded and confined to its folder (`root`).
detail::JobSpec load_job(const TaskRequest& r, const TaskFolder& folder, const JobTaskSettings& s,
                         detail::JobTextMemo& texts, fs::path& root) {
  if (r.job_path.empty()) {
    root = folder.path();
    for (const auto& [name, bytes] : r.files) folder.write(name, bytes);
    // Without files the folder is not made yet: nothing in it needs looking up.
    const detail::JobFolder kind = r.files.empty() ? detail::JobFolder::fresh : detail::JobFolder::existing;
    detail::JobSpec spec = detail::parse_job_spec(r.job_text, root / "job.toml", r.sets, kind, &texts);
    confine_job(spec, root, kind);
    return spec;
  }
  if (!s.data_root) throw Error(Errc::invalid_argument, fmt::format("tessera.run: job path '{}': this worker has no --data-root", r.job_path));
  if (!r.files.empty()) throw Error(Errc::invalid_argument, "tessera.run: 'files' go with a job's TOML text, not with a job path");
  root = *s.data_root;
  const fs::path file = root / r.job_path;
  if (!is_inside(root, file)) {
    throw Error(Errc::invalid_argument, fmt::format("tessera.run: job path '{}' leads outside the worker's --data-root", r.job_path));
  }
  detail::JobSpec spec = detail::load_job_spec(file, r.sets);
  confine_job(spec, root);
  return spec;
}

std::string_view text_of(std::span<const unsigned char> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The base64 of buffer `b`'s output file, made in memory (.npy, .bin), or nothing (images).
std::optional<std::string> output_in_memory(const detail::BufferSpec& b, const detail::HostArray& a) {
  const std::span<const unsigned char> bytes(a.data(), b.bytes());
  switch (b.output->format) {
    case detail::OutputFormat::npy:
      return detail::base64_encode(text_of(detail::encode_npy(b.type, b.shape, bytes)));
    case detail::OutputFormat::bin:
      return detail::base64_encode(text_of(bytes));
    default:
      return std::nullopt;
  }
}

// Every output of the job into `outputs` (name relative to the job's folder -> base64) and
// `names`. A job given by path (`folder` null) writes its outputs in place too; a job given as
// text has them made in memory when it can (its folder is removed after it: writing there
// would only cost a flush to disk), else written into its folder. A failure when they exceed
// `limit` bytes in base64.
std::optional<TaskOutcome> collect_outputs(const detail::JobSpec& spec, const detail::JobData& data,
                                           const TaskFolder* folder, std::size_t limit, nlohmann::json& outputs,
                                           std::vector<fs::path>& names) {
  bool written = false;
  std::size_t total = 0;
  for (std::size_t i = 0; i < spec.buffers.size(); ++i) {
    const detail::BufferSpec& b = spec.buffers[i];
    if (!b.output) continue;
    const std::string name = b.output->path.lexically_relative(spec.folder).generic_string();
    std::optional<std::string> encoded = folder == nullptr ? std::nullopt : output_in_memory(b, data.buffers[i]);
    if (!encoded) {
      if (!written) {
        if (folder != nullptr) folder->make();
        detail::write_outputs(spec, data);
      }
      written = true;
      detail::FileText file = detail::read_regular_file(b.output->target, limit);
      if (!file.bytes) return failed("ResultTooLarge", fmt::format("output '{}': {}", name, file.why), false);
      encoded = detail::base64_encode(*file.bytes);
    }
    total += encoded->size();
    if (total > limit) return failed("ResultTooLarge", fmt::format("the outputs exceed {} bytes in base64", limit), false);
    outputs[name] = std::move(*encoded);
    names.emplace_back(name);
  }
  return std::nullopt;
}

}  // namespace

JobTask::JobTask(const Runtime& runtime, JobTaskSettings settings)
    : runtime_(&runtime), settings_(std::move(settings)), scratch_(settings_.scratch_root, "tessera-worker-") {}

TaskOutcome JobTask::operator()(const detail::TaskMessage& message) const {
  fs::path root;
  try {
    const TaskRequest request = parse_task_request(message.args, message.kwargs);
    const TaskFolder folder(scratch_.path() / fmt::format("task-{}", ++tasks_));
    const detail::JobSpec spec = load_job(request, folder, settings_, texts_, root);
    detail::JobRunOptions run;
    run.programs = &programs_;
    detail::JobData data = detail::run_job(*runtime_, spec, run);
    if (!spec.devices.empty() || spec.scheduler.cpu_split) {
      data.report.warnings.push_back("job.devices and job.cpu_split are not used: a worker runs jobs on its own devices");
    }
    const std::vector<CheckResult> checks = detail::run_checks(spec, data);
    for (const CheckResult& c : checks) {
      if (!c.passed) return failed("CheckFailed", fmt::format("check of buffer '{}' failed: {}", c.buffer, c.message), false);
    }
    nlohmann::json outputs = nlohmann::json::object();
    std::vector<fs::path> names;
    const TaskFolder* own_folder = request.job_path.empty() ? &folder : nullptr;
    if (const auto failure = collect_outputs(spec, data, own_folder, settings_.max_result_bytes, outputs, names)) {
      return *failure;
    }
    return {nlohmann::json{{"outputs", std::move(outputs)}, {"report", report_json(data.report, checks, names)}}, {}, false};
  } catch (const Error& e) {
    return failure_of(e, root);
  }
}

}  // namespace tessera::cli
