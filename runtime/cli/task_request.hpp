#pragma once
// What a `tessera.run` task asks for (the contract in the README, "Many machines: a queue of
// jobs"):
//
//   args   = [JOB]     the job file's TOML text, or the path of a job file under the worker's
//                      --data-root (one line ending in .toml, relative)
//   kwargs = {"set":   {NAME: INT, ...},          as --set NAME=INT
//             "files": {NAME: CONTENT, ...}}      what the job refers to by relative path:
//                      text (kernel sources), or base64 for .npy and .bin data
//
// Everything is checked before anything is written: names are relative paths that stay in
// their folder, sizes are bounded.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tessera/jobs.hpp"

namespace tessera::cli {

struct TaskRequest {
  std::string job_text;  ///< the TOML text, or empty when `job_path` is given
  std::string job_path;  ///< relative to --data-root, or empty
  Job::Params sets;
  std::vector<std::pair<std::string, std::string>> files;  ///< name -> bytes, in name order
};

/// Reads a task's args and kwargs. Throws Error(invalid_argument) with one line saying what is
/// wrong.
TaskRequest parse_task_request(const nlohmann::json& args, const nlohmann::json& kwargs);

/// Why `name` is not a relative path that stays inside its folder (empty, absolute, a "." or
/// ".." or empty component, a backslash or control character, a component over 255 bytes, over
/// 4096 bytes in all); nothing when it is one.
std::optional<std::string> unsafe_relative_path(std::string_view name);

/// Whether a file of this name travels as base64 (.npy, .bin), not as text.
bool is_binary_file(std::string_view name);

}  // namespace tessera::cli
