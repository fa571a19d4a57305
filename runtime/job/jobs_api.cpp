// The public face of the job layer (tessera/jobs.hpp) over the loader and the runner.

#include <fmt/format.h>

#include "common/element_types.hpp"
#include "job/job_loader.hpp"
#include "job/job_runner.hpp"
#include "job/write_findings.hpp"
#include "tessera/jobs.hpp"

namespace tessera {

JobError::JobError(Errc code, std::string file, std::uint32_t line, std::uint32_t column, std::string key,
                   std::string reason)
    : Error(code, fmt::format("{}{}: {}{}", file, line == 0 ? std::string() : fmt::format(":{}:{}", line, column),
                              key.empty() ? std::string() : fmt::format("{}: ", key), reason)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_(std::move(key)),
      reason_(std::move(reason)) {}

Job::Job(std::shared_ptr<const detail::JobSpec> spec) : spec_(std::move(spec)) {}

Job Job::load(const std::filesystem::path& file, const Params& params) {
  return Job(std::make_shared<const detail::JobSpec>(detail::load_job_spec(file, params)));
}

Job Job::parse(std::string_view text, const std::filesystem::path& file, const Params& params) {
  return Job(std::make_shared<const detail::JobSpec>(detail::parse_job_spec(text, file, params)));
}

const std::string& Job::name() const noexcept { return spec_->name; }
const std::string& Job::file() const noexcept { return spec_->file; }

JobResult::JobResult(Job job, std::unique_ptr<detail::JobData> data) : job_(std::move(job)), data_(std::move(data)) {}
JobResult::JobResult(JobResult&&) noexcept = default;
JobResult& JobResult::operator=(JobResult&&) noexcept = default;
JobResult::~JobResult() = default;

const JobReport& JobResult::report() const noexcept { return data_->report; }

std::span<const std::byte> JobResult::bytes(std::string_view name) const {
  const auto& buffers = job_.spec_->buffers;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].name != name) continue;
    return {reinterpret_cast<const std::byte*>(data_->buffers[i].data()), buffers[i].bytes()};
  }
  throw Error(Errc::invalid_argument, fmt::format("job '{}' has no buffer '{}'", job_.name(), name));
}

std::span<const std::byte> JobResult::typed_bytes(std::string_view name, ElementType type) const {
  const detail::BufferSpec* b = job_.spec_->find_buffer(name);
  if (b != nullptr && b->type != type) {
    throw Error(Errc::invalid_argument, fmt::format("buffer '{}' of job '{}' holds {}, not {}", name, job_.name(),
                                                    to_string(b->type), to_string(type)));
  }
  return bytes(name);
}

std::vector<CheckResult> JobResult::checks() const { return detail::run_checks(*job_.spec_, *data_); }

std::vector<std::string> JobResult::findings() const { return detail::describe_findings(*job_.spec_, data_->report); }

std::vector<std::filesystem::path> JobResult::write_outputs() const {
  return detail::write_outputs(*job_.spec_, *data_);
}

JobResult run_job(const Runtime& rt, const Job& job, const JobOptions& options) {
  auto data = std::make_unique<detail::JobData>(detail::run_job(rt, *job.spec_, {.scheduler = options.scheduler, .check = options.check}));
  return JobResult(job, std::move(data));
}

}  // namespace tessera
