#pragma once
// Where a task's files live, and the rule that a task's job reads and writes only there.
//
//   TaskFolder folder(scratch_root);               // a fresh private folder
//   folder.write("k.cl", text);                    // names checked by unsafe_relative_path
//   confine_job(spec, folder.path());              // JobError for a path outside it

#include <filesystem>
#include <string>
#include <string_view>

#include "job/job_spec.hpp"

namespace tessera::cli {

/// A new folder of its own under a root (mode 0700), removed with everything in it when
/// destroyed.
class TaskFolder {
 public:
  /// Throws Error(io) when it cannot be made.
  explicit TaskFolder(const std::filesystem::path& root);
  ~TaskFolder();
  TaskFolder(const TaskFolder&) = delete;
  TaskFolder& operator=(const TaskFolder&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  /// Writes `bytes` as path()/name, making the folders on the way; `name` must be a safe
  /// relative path (task_request.hpp). Throws Error(io).
  void write(const std::string& name, std::string_view bytes) const;

 private:
  std::filesystem::path path_;
};

/// Whether `path`, symbolic links followed, is inside the canonical folder `root`.
bool is_inside(const std::filesystem::path& root, const std::filesystem::path& path);

/// Checks that every file `job` reads or writes — its kernel source and every file that source
/// includes, init and check data, outputs — is inside `root` once symbolic links are
/// followed, and that its source includes nothing the compiler would look up itself (<...>, a
/// macro). Throws JobError at the key of the first one that is not.
void confine_job(const detail::JobSpec& job, const std::filesystem::path& root);

}  // namespace tessera::cli
