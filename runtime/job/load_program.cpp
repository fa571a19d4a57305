// [program]: a kernel file or a builtin kernel, compiler options and defines.

#include <fmt/format.h>

#include "job/load_sections.hpp"
#include "program/builtin_kernels.hpp"

namespace tessera::detail {
namespace {

void check_builtin(const TomlReader& in, const ProgramSpec& p) {
  if (find_builtin_kernel(p.builtin)) return;
  std::vector<std::string> names;
  for (const auto& k : builtin_kernels()) {
    const std::filesystem::path f(k.file);
    if (f.extension() == ".cl") names.push_back(f.stem().string());
  }
  in.fail(p.pos, "program.builtin",
          fmt::format("no builtin kernel file '{}'{} (builtins: {})", p.builtin, did_you_mean(p.builtin, names),
                      join(names)));
}

// A define's value as the compiler gets it: strings as written, numbers as TOML writes them,
// true -> 1, false -> 0.
std::string define_text(const TomlReader& in, const toml::node& value, const std::string& path) {
  if (const auto* s = value.as_string()) return s->get();
  if (const auto* i = value.as_integer()) return number_text(i->get());
  if (const auto* f = value.as_floating_point()) return number_text(f->get());
  if (const auto* b = value.as_boolean()) return b->get() ? "1" : "0";
  in.fail(pos_of(value), path, fmt::format("expected a string, a number or a boolean, found {}", kind_of(value)));
}

void load_defines(const TomlReader& in, const toml::node& node, ProgramSpec& p) {
  p.defines_pos = pos_of(node);
  for (const auto& [key, value] : entries(in.table_at(node, "program.defines"))) {
    const std::string name(key->str());
    const std::string path = child("program.defines", name);
    if (!is_identifier(name)) in.fail(pos_of(*key), path, fmt::format("'{}' is not a valid macro name", name));
    p.defines.emplace_back(name, define_text(in, *value, path));
  }
}

}  // namespace

void load_program(const TomlReader& in, const toml::table& root, JobSpec& spec) {
  const auto* node = root.get("program");
  if (!node) in.fail({1, 1}, "program", "required table [program] is missing");
  const toml::table& program = in.table_at(*node, "program");
  in.check_keys(program, "program", {"source", "builtin", "options", "defines"});
  ProgramSpec& p = spec.program;
  const auto* source = program.get("source");
  const auto* builtin = program.get("builtin");
  if (source && builtin) in.fail(pos_of(*builtin), "program.builtin", "give 'source' or 'builtin', not both");
  if (!source && !builtin) {
    in.fail(pos_of(program), "program",
            "needs 'source' (a kernel file) or 'builtin' (a kernel shipped with Tessera)");
  }
  if (source) {
    p.source = in.existing_file(*source, "program.source");
    p.pos = pos_of(*source);
  } else {
    p.builtin = in.nonempty_string_at(*builtin, "program.builtin");
    p.pos = pos_of(*builtin);
    check_builtin(in, p);
  }
  if (const auto* o = program.get("options")) {
    p.options = in.string_at(*o, "program.options");
    p.options_pos = pos_of(*o);
  }
  if (const auto* d = program.get("defines")) load_defines(in, *d, p);
}

}  // namespace tessera::detail
