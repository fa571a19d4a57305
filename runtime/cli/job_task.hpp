#pragma once
// The `tessera.run` task: a job from a task message (task_request.hpp), run on the worker's
// devices by the same job runner as `tessera run`, in a private folder of its own
// (task_folder.hpp). Its result is
//
//   {"outputs": {FILE: BASE64, ...}, "report": {... as one entry of --report ...}}
//
// FILE being each output's path as the job writes it, relative to the job's folder. A job
// given by path (under --data-root) runs in place and writes its outputs there too.
//
// Failures carry the line `tessera` prints (a job file's error names "job.toml:LINE:COL", as
// `tessera validate job.toml` does for the same text): JobError (the job is invalid, or reaches
// outside its folder), BuildError, CheckFailed, InvalidTask (the arguments), ResultTooLarge;
// none is tried again. DeviceError and OutOfMemory (the devices or the host failed) are.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "cli/task_folder.hpp"
#include "job/job_loader.hpp"
#include "job/program_memo.hpp"
#include "tessera/runtime.hpp"
#include "worker/worker.hpp"

namespace tessera::cli {

struct JobTaskSettings {
  std::filesystem::path scratch_root;  ///< where the worker's private folder of task folders is made
  std::optional<std::filesystem::path> data_root;  ///< jobs given by path live here
  std::size_t max_result_bytes = std::size_t{256} << 20;  ///< the outputs, base64, summed
};

class JobTask {
 public:
  /// `runtime` must outlive the JobTask; the folders must exist. Makes a private folder
  /// ("tessera-worker-XXXXXX") under the scratch root for the tasks' folders (Error(io) when
  /// it cannot), removed with the JobTask.
  JobTask(const Runtime& runtime, JobTaskSettings settings);
  /// Runs one task. Never throws but std::bad_alloc.
  detail::TaskOutcome operator()(const detail::TaskMessage& message) const;

 private:
  const Runtime* runtime_;
  JobTaskSettings settings_;
  PrivateFolder scratch_;
  mutable std::atomic<std::uint64_t> tasks_{0};  // names the task folders
  mutable detail::ProgramMemo programs_;  // the tasks' programs, built once for the worker
  mutable detail::JobTextMemo texts_;     // the tasks' job texts, parsed once
};

}  // namespace tessera::cli
