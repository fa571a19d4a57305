// The Schedule a job's [job] table stands for.

#include "job/schedule_from_job.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "job/job_loader.hpp"

namespace tessera::detail {

const std::vector<std::string>& scheduler_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out(Schedule::names().begin(), Schedule::names().end());
    out.emplace_back("adaptive");
    return out;
  }();
  return names;
}

Schedule schedule_from_job(const JobSpec& job, const std::string& name, std::size_t extent,
                           std::vector<std::string>& warnings) {
  const SchedulerSpec& s = job.scheduler;
  const bool own = name == s.name;  // the job's settings belong to the policy it names
  const auto error = [&](std::string reason) {
    return JobError(Errc::invalid_argument, job.file, s.pos.line, s.pos.column, "job.scheduler", std::move(reason));
  };
  Schedule schedule = Schedule::hguided();
  if (name == "single") {
    schedule = Schedule::single();  // the fastest device
  } else if (name == "static") {
    schedule = Schedule::static_split(own ? s.weights : std::vector<double>{});
  } else if (name == "dynamic") {
    schedule = Schedule::dynamic(own && s.chunk ? *s.chunk : std::max<std::size_t>(1, extent / 64));
  } else if (name == "hguided") {
    schedule = Schedule::hguided(own && s.min_chunk ? *s.min_chunk : 0);
  } else if (name == "adaptive") {
    throw error("the 'adaptive' scheduler is not available yet; use 'hguided'");
  } else {
    throw error(fmt::format("unknown scheduler '{}'", name));
  }
  if (s.pipeline) schedule.pipeline = *s.pipeline;
  if (s.retries && *s.retries > 0) {
    warnings.push_back("job.retries: chunks are not retried on another device yet; a failed chunk fails the job");
  }
  return schedule;
}

}  // namespace tessera::detail
