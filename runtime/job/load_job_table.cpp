// [job]: the job's name, its devices, and the scheduler with the settings of that policy only.

#include <fmt/format.h>

#include <algorithm>

#include "job/load_sections.hpp"
#include "job/schedule_from_job.hpp"
#include "tessera/selector.hpp"

namespace tessera::detail {
namespace {

void load_scheduler_name(const TomlReader& in, const toml::table& job, SchedulerSpec& s) {
  const auto* node = job.get("scheduler");
  if (!node) return;
  s.name = in.string_at(*node, "job.scheduler");
  s.pos = pos_of(*node);
  const auto& names = scheduler_names();
  if (std::find(names.begin(), names.end(), s.name) == names.end()) {
    in.fail(s.pos, "job.scheduler",
            fmt::format("unknown scheduler '{}'{} (schedulers: {})", s.name, did_you_mean(s.name, names),
                        join(names)));
  }
}

// The node of setting `key` when the job's scheduler is one of `users`. A setting of another
// policy than the job's is a mistake: it would be silently ignored.
const toml::node* setting_of(const TomlReader& in, const toml::table& job, const SchedulerSpec& s,
                             std::string_view key, std::initializer_list<std::string_view> users) {
  const auto* node = job.get(key);
  if (!node) return node;
  if (std::find(users.begin(), users.end(), s.name) == users.end()) {
    std::string list;
    for (const auto u : users) list += fmt::format("{}'{}'", list.empty() ? "" : " or ", u);
    in.fail(pos_of(*node), child("job", key),
            fmt::format("applies to scheduler {} only, and the job's scheduler is '{}'", list, s.name));
  }
  return node;
}

void load_weights(const TomlReader& in, const toml::node& node, SchedulerSpec& s) {
  const toml::array& weights = in.array_at(node, "job.weights");
  s.weights_pos = pos_of(node);
  if (weights.empty()) in.fail(s.weights_pos, "job.weights", "must hold one weight per device");
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const std::string path = element("job.weights", i);
    const double w = in.real_at(weights[i], path);
    if (!(w > 0)) in.fail(pos_of(weights[i]), path, fmt::format("must be positive, found {}", w));
    s.weights.push_back(w);
  }
}

}  // namespace

void load_job_table(const TomlReader& in, const toml::table& job, JobSpec& spec) {
  in.check_keys(job, "job",
                {"name", "devices", "scheduler", "chunk", "min_chunk", "weights", "pipeline", "retries",
                 "cpu_split"});
  if (const auto* n = job.get("name")) spec.name = in.nonempty_string_at(*n, "job.name");
  if (const auto* d = job.get("devices")) {
    spec.devices = in.nonempty_string_at(*d, "job.devices");
    spec.devices_pos = pos_of(*d);
    try {
      (void)Selector::parse(spec.devices);
    } catch (const Error& e) {
      in.fail(pos_of(*d), "job.devices", e.message());
    }
  }
  SchedulerSpec& s = spec.scheduler;
  load_scheduler_name(in, job, s);
  if (const auto* n = setting_of(in, job, s, "chunk", {"dynamic"})) {
    s.chunk = in.size_at(*n, "job.chunk", 1);
    s.chunk_pos = pos_of(*n);
  }
  if (const auto* n = setting_of(in, job, s, "min_chunk", {"hguided", "adaptive"})) {
    s.min_chunk = in.size_at(*n, "job.min_chunk", 1);
  }
  if (const auto* n = setting_of(in, job, s, "weights", {"static"})) load_weights(in, *n, s);
  if (const auto* n = job.get("pipeline")) {
    s.pipeline = in.size_at(*n, "job.pipeline", 1, static_cast<std::int64_t>(Schedule::max_pipeline));
  }
  if (const auto* n = job.get("retries")) s.retries = in.size_at(*n, "job.retries", 0);
  if (const auto* n = job.get("cpu_split")) s.cpu_split = in.size_at(*n, "job.cpu_split", 1, 4096);
}

}  // namespace tessera::detail
