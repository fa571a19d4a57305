#include "cli/task_folder.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

#include "tessera/jobs.hpp"
#include "tessera/source.hpp"

namespace tessera::cli {

namespace fs = std::filesystem;

namespace {

bool lexically_inside(const fs::path& root, const fs::path& path) {
  const fs::path rel = path.lexically_normal().lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

bool is_inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  const fs::path resolved = fs::weakly_canonical(path, ec);
  return !ec && lexically_inside(root, resolved);
}

PrivateFolder::PrivateFolder(const fs::path& root, std::string_view prefix) {
  std::string pattern = (root / fmt::format("{}XXXXXX", prefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(Errc::io, fmt::format("cannot make a folder under {}: {}", root.string(), std::strerror(errno)));
  }
  path_ = pattern;
}

PrivateFolder::~PrivateFolder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

TaskFolder::~TaskFolder() {
  if (!made_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TaskFolder::make() const {
  if (made_) return;
  if (::mkdir(path_.c_str(), 0700) != 0) {
    throw Error(Errc::io, fmt::format("cannot make the task folder {}: {}", path_.string(), std::strerror(errno)));
  }
  made_ = true;
}

void TaskFolder::write(const std::string& name, std::string_view bytes) const {
  make();
  const fs::path target = path_ / name;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (ec || !out) throw Error(Errc::io, fmt::format("cannot write the task's file '{}'", name));
}

void confine_job(const detail::JobSpec& job, const fs::path& root_path, detail::JobFolder kind) {
  const bool fresh = kind == detail::JobFolder::fresh;
  std::error_code ec;
  const fs::path root = fresh ? root_path : fs::weakly_canonical(root_path, ec);
  const auto refuse = [&](detail::SourcePos pos, const std::string& key, const fs::path& path) {
    throw JobError(Errc::invalid_argument, job.file, pos.line, pos.column, key,
                   fmt::format("'{}' is outside the task's folder: a task reads and writes only its own files",
                               path.string()));
  };
  if (ec) throw Error(Errc::io, fmt::format("cannot resolve the task's folder {}: {}", root_path.string(), ec.message()));
  if (job.program.builtin.empty()) {
    if (!is_inside(root, job.program.source)) refuse(job.program.pos, "program.source", job.program.source);
    const ResolvedSource resolved = Source::file(job.program.source).resolve();
    for (const std::string& file : resolved.files) {
      if (!is_inside(root, file)) refuse(job.program.pos, "program.source", file);
    }
    if (!resolved.self_contained) {
      throw JobError(Errc::invalid_argument, job.file, job.program.pos.line, job.program.pos.column, "program.source",
                     "an #include that is not a file beside its includer (<...>, a macro, a missing file) cannot be "
                     "resolved inside the task's folder");
    }
  }
  for (const auto& b : job.buffers) {
    if (const auto* f = std::get_if<detail::FileInit>(&b.init); f != nullptr && !is_inside(root, f->path)) {
      refuse(b.init_pos, fmt::format("buffers.{}.init.file", b.name), f->path);
    }
    const auto inside = [&](const fs::path& p) { return fresh ? lexically_inside(root, p) : is_inside(root, p); };
    if (b.output && (!inside(b.output->path) || !inside(b.output->target))) {
      refuse(b.output->pos, fmt::format("buffers.{}.output", b.name), b.output->path);
    }
  }
  for (std::size_t i = 0; i < job.checks.size(); ++i) {
    const auto& c = job.checks[i];
    if (const auto* f = std::get_if<detail::FileExpect>(&c.expect); f != nullptr && !is_inside(root, f->path)) {
      refuse(c.expect_pos, fmt::format("checks[{}].expect.file", i), f->path);
    }
  }
}

}  // namespace tessera::cli
