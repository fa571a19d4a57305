#pragma once
// Internal: reading and validating job files (the "Job file" contract of the design).
//
//   JobSpec job = load_job_spec("jobs/saxpy.toml", {{"n", 4096}});   // --set n=4096
//
// Every mistake is a JobError whose what() is one line, compiler style, without the "error: "
// the caller puts before it:
//
//   jobs/saxpy.toml:12:8: buffers.x.type: unknown type 'flaot'; did you mean 'float'?
//
// The place is that of the offending key or value; for a mistake inside an expression string it
// is the character at fault inside the string. Nothing is printed; nothing is written.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "job/job_spec.hpp"
#include "tessera/jobs.hpp"

namespace tessera::detail {

/// --set NAME=VALUE overrides: each replaces the [params] entry NAME before params are resolved.
using ParamOverrides = Job::Params;

/// Reads and validates the job file `file`. Relative paths inside it are resolved against its
/// folder, and messages name it as given. Throws JobError.
JobSpec load_job_spec(const std::filesystem::path& file, const ParamOverrides& overrides = {});

/// What the loader may assume of a job's folder.
enum class JobFolder {
  existing,  ///< any folder: outputs are resolved through symbolic links and checked writable
  /// Not made yet, and private to the caller (the folder of a worker's task, made only if it
  /// writes there): nothing in it can be a link or a folder, so outputs are taken as written
  /// (lexically normal) and not looked up on disk.
  fresh,
};

/// Job texts parsed as TOML, kept for later jobs of the same text: a worker given one job over
/// and over (a sweep: other --set values each time) parses it once. Thread-safe; the most
/// recently used `capacity` texts.
class JobTextMemo {
 public:
  explicit JobTextMemo(std::size_t capacity = 8);
  ~JobTextMemo();
  JobTextMemo(const JobTextMemo&) = delete;
  JobTextMemo& operator=(const JobTextMemo&) = delete;

  struct Texts;  // job_loader.cpp
  Texts& texts() const noexcept { return *texts_; }
  /// How many jobs were loaded from a text parsed before.
  std::size_t hits() const;

 private:
  std::unique_ptr<Texts> texts_;
};

/// Validates `text` as if it were the job file `file` (which is not read; relative paths inside
/// the text are still resolved against its folder, and the files they name must exist). For
/// tests, fuzzing and workers; with a `memo`, a text parsed before is not parsed again.
/// Throws JobError, and nothing else but std::bad_alloc.
JobSpec parse_job_spec(std::string_view text, const std::filesystem::path& file,
                       const ParamOverrides& overrides = {}, JobFolder folder = JobFolder::existing,
                       JobTextMemo* memo = nullptr);

}  // namespace tessera::detail
