#include "job/job_loader.hpp"

// Loading a job file: the TOML document, then its sections in order (load_sections.hpp).

#include <fmt/format.h>


#include "common/lru_memo.hpp"
#include "common/read_file.hpp"
#include "job/load_sections.hpp"
#include "job/toml_reader.hpp"
#include "job/toml_screen.hpp"

namespace tessera::detail {

namespace {

JobSpec load_sections(const std::string& file, const std::filesystem::path& folder, JobFolder kind,
                      const toml::table& root, const ParamOverrides& overrides) {
  JobSpec spec;
  spec.file = file;
  spec.folder = folder;
  spec.name = std::filesystem::path(file).stem().string();
  const TomlReader in(file, folder, kind, &spec.params);  // expressions see the params once loaded
  in.check_keys(root, "", {"params", "job", "program", "buffers", "steps", "checks"});
  load_params(in, root, overrides, spec);
  if (const auto* job = root.get("job")) load_job_table(in, in.table_at(*job, "job"), spec);
  load_program(in, root, spec);
  load_buffers(in, root, spec);
  load_steps(in, root, spec);
  if (const auto* checks = root.get("checks")) load_checks(in, *checks, spec);
  check_first_uses(in, spec);
  return spec;
}

}  // namespace

struct JobTextMemo::Texts {
  explicit Texts(std::size_t capacity) : tables(capacity) {}
  LruMemo<std::shared_ptr<const toml::table>> tables;  // by the text: what parses, and passed the screen
};

JobTextMemo::JobTextMemo(std::size_t capacity) : texts_(std::make_unique<Texts>(capacity)) {}
JobTextMemo::~JobTextMemo() = default;
std::size_t JobTextMemo::hits() const { return texts_->tables.hits(); }

namespace {

// `text` screened and parsed as TOML; JobError naming `name` when it is not.
std::shared_ptr<const toml::table> parse_toml(std::string_view text, const std::string& name) {
  if (const auto bad = screen_toml(text)) {
    throw JobError(Errc::invalid_argument, name, bad->line, bad->column, "",
                   std::string(bad->what));
  }
  toml::parse_result parsed = toml::parse(text, std::string_view(name));
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    throw JobError(Errc::invalid_argument, name, e.source().begin.line, e.source().begin.column, "",
                   std::string(e.description()));
  }
  return std::make_shared<const toml::table>(std::move(parsed).table());
}

}  // namespace

JobSpec parse_job_spec(std::string_view text, const std::filesystem::path& file, const ParamOverrides& overrides,
                       JobFolder folder, JobTextMemo* memo) {
  const std::string name = file.string();
  std::shared_ptr<const toml::table> table;
  if (memo != nullptr) {
    const std::string key(text);
    if (auto hit = memo->texts().tables.find(key)) {
      table = *std::move(hit);
    } else {
      table = parse_toml(text, name);
      memo->texts().tables.keep(key, table);
    }
  } else {
    table = parse_toml(text, name);
  }
  return load_sections(name, file.parent_path(), folder, *table, overrides);
}

JobSpec load_job_spec(const std::filesystem::path& file, const ParamOverrides& overrides) {
  constexpr std::uint64_t limit = 16u << 20;  // a job file is text a person writes
  const FileText text = read_regular_file(file, limit);
  if (!text.bytes) throw JobError(Errc::io, file.string(), 0, 0, "", fmt::format("cannot read the job file: {}", text.why));
  return parse_job_spec(*text.bytes, file, overrides);
}

}  // namespace tessera::detail
