#pragma once
// Where a task's files live, and the rule that a task's job reads and writes only there.
//
//   PrivateFolder scratch(scratch_root, "tessera-worker-");  // once per worker
//   TaskFolder folder(scratch.path() / "task-1");          // per task: made when written to
//   folder.write("k.cl", text);                    // names checked by unsafe_relative_path
//   confine_job(spec, folder.path());              // JobError for a path outside it

#include <filesystem>
#include <string>
#include <string_view>

#include "job/job_loader.hpp"
#include "job/job_spec.hpp"

namespace tessera::cli {

/// A folder of its own, made under `root` with a fresh name (`prefix` and six random
/// characters, mkdtemp) and mode 0700, so that nobody else makes anything in it; removed with
/// everything in it when destroyed.
class PrivateFolder {
 public:
  /// Throws Error(io) when it cannot be made.
  PrivateFolder(const std::filesystem::path& root, std::string_view prefix);
  ~PrivateFolder();
  PrivateFolder(const PrivateFolder&) = delete;
  PrivateFolder& operator=(const PrivateFolder&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

/// One task's folder, `path`: a name no other task uses, inside a PrivateFolder. It is made
/// (mode 0700) only when something is to be written there — most tasks given as text write
/// nothing — and removed with everything in it when destroyed.
class TaskFolder {
 public:
  explicit TaskFolder(std::filesystem::path path) : path_(std::move(path)) {}
  ~TaskFolder();
  TaskFolder(const TaskFolder&) = delete;
  TaskFolder& operator=(const TaskFolder&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  /// Makes the folder unless made. Throws Error(io).
  void make() const;
  /// Writes `bytes` as path()/name, making the folders on the way; `name` must be a safe
  /// relative path (task_request.hpp). Throws Error(io).
  void write(const std::string& name, std::string_view bytes) const;

 private:
  std::filesystem::path path_;
  mutable bool made_ = false;
};

/// Whether `path`, symbolic links followed, is inside the canonical folder `root` (which
/// need not exist yet).
bool is_inside(const std::filesystem::path& root, const std::filesystem::path& path);

/// Checks that every file `job` reads or writes — its kernel source and every file that source
/// includes, init and check data, outputs — is inside `root` once symbolic links are
/// followed, and that its source includes nothing the compiler would look up itself (<...>, a
/// macro). Throws JobError at the key of the first one that is not. A `fresh` root (the job
/// loaded with JobFolder::fresh) must be a canonical path: its outputs are judged as written.
void confine_job(const detail::JobSpec& job, const std::filesystem::path& root,
                 detail::JobFolder kind = detail::JobFolder::existing);

}  // namespace tessera::cli
