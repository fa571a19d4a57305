#include "cli/task_request.hpp"

#include <fmt/format.h>

#include <limits>

#include "worker/base64.hpp"

namespace tessera::cli {
namespace {

using nlohmann::json;

constexpr std::size_t max_files = 1024;

[[noreturn]] void refuse(const std::string& why) { throw Error(Errc::invalid_argument, "tessera.run: " + why); }

Job::Params sets_of(const json& sets) {
  if (!sets.is_object()) refuse("kwargs 'set' is not a mapping of param names to integers");
  Job::Params params;
  for (const auto& [name, value] : sets.items()) {
    if (name.empty()) refuse("kwargs 'set' has an empty param name");
    if (value.is_number_integer() && !(value.is_number_unsigned() &&
                                       value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())) {
      params.insert_or_assign(name, value.get<std::int64_t>());
    } else {
      refuse(fmt::format("kwargs 'set': '{}' is {}, not a 64-bit signed integer", name, value.dump()));
    }
  }
  return params;
}

std::vector<std::pair<std::string, std::string>> files_of(const json& files) {
  if (!files.is_object()) refuse("kwargs 'files' is not a mapping of file names to contents");
  if (files.size() > max_files) refuse(fmt::format("kwargs 'files' names {} files, more than {}", files.size(), max_files));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, content] : files.items()) {
    if (const auto why = unsafe_relative_path(name)) refuse(fmt::format("kwargs 'files': '{}': {}", name, *why));
    if (!content.is_string()) refuse(fmt::format("kwargs 'files': '{}' is not a string", name));
    if (!is_binary_file(name)) {
      out.emplace_back(name, content.get<std::string>());
      continue;
    }
    auto bytes = detail::base64_decode(content.get_ref<const std::string&>());
    if (!bytes) refuse(fmt::format("kwargs 'files': '{}' is not base64 (.npy and .bin files travel as base64)", name));
    out.emplace_back(name, std::move(*bytes));
  }
  return out;
}

}  // namespace

bool is_binary_file(std::string_view name) { return name.ends_with(".npy") || name.ends_with(".bin"); }

std::optional<std::string> unsafe_relative_path(std::string_view name) {
  if (name.empty()) return "an empty path";
  if (name.size() > 4096) return "a path longer than 4096 bytes";
  if (name.front() == '/') return "an absolute path (paths are relative to the job's folder)";
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return "a control character or backslash";
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t end = std::min(name.find('/', start), name.size());
    const std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == ".") return "an empty or '.' component";
    if (part == "..") return "a '..' component (paths stay inside the job's folder)";
    if (part.size() > 255) return "a component longer than 255 bytes";
    start = end + 1;
  }
  return std::nullopt;
}

TaskRequest parse_task_request(const json& args, const json& kwargs) {
  if (!args.is_array() || args.size() != 1 || !args[0].is_string()) {
    refuse("args must be [JOB]: the job's TOML text, or the path of a job file under the worker's --data-root");
  }
  TaskRequest r;
  const std::string& job = args[0].get_ref<const std::string&>();
  if (job.find('\n') == std::string::npos && job.ends_with(".toml")) {
    if (const auto why = unsafe_relative_path(job)) refuse(fmt::format("job path '{}': {}", job, *why));
    r.job_path = job;
  } else {
    r.job_text = job;
  }
  for (const auto& [key, value] : kwargs.items()) {
    if (key == "set") {
      r.sets = sets_of(value);
    } else if (key == "files") {
      r.files = files_of(value);
    } else {
      refuse(fmt::format("unknown keyword argument '{}' (tessera.run takes 'set' and 'files')", key));
    }
  }
  return r;
}

}  // namespace tessera::cli
