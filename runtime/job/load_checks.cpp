// [[checks]] (a buffer against a reference file or a sum), and what holds across sections.

#include <fmt/format.h>

#include "job/load_sections.hpp"
#include "job/npy.hpp"

namespace tessera::detail {
namespace {

double tolerance(const TomlReader& in, const toml::table& expect, const std::string& path, std::string_view key,
                 double fallback) {
  const auto* n = expect.get(key);
  if (!n) return fallback;
  const double v = in.real_at(*n, child(path, key));
  if (v < 0) in.fail(pos_of(*n), child(path, key), "must not be negative");
  return v;
}

FileExpect load_file_expect(const TomlReader& in, const toml::table& expect, const std::string& path,
                            const BufferSpec& b) {
  in.check_keys(expect, path, {"file", "rtol", "atol"});
  FileExpect f;
  const toml::node& file = *expect.get("file");
  const std::string file_path = child(path, "file");
  f.path = data_file_at(in, file, file_path, f.npy);
  f.rtol = tolerance(in, expect, path, "rtol", f.rtol);
  f.atol = tolerance(in, expect, path, "atol", f.atol);
  if (!f.npy) {
    check_bin_size(in, f.path, b, file, file_path);
    return f;
  }
  try {
    const NpyHeader header = read_npy_header(f.path);
    if (header.count() != b.count()) {
      in.fail(pos_of(file), file_path,
              fmt::format("{} holds {} elements, buffer '{}' has {}", f.path.filename().string(), header.count(),
                          b.name, b.count()));
    }
  } catch (const NpyError& e) {
    in.fail(pos_of(file), file_path, e.what());
  }
  return f;
}

CheckSpec load_check(const TomlReader& in, const toml::table& t, const std::string& path, const JobSpec& spec) {
  in.check_keys(t, path, {"buffer", "expect"});
  CheckSpec c;
  c.pos = pos_of(t);
  c.index = buffer_index(in, spec, in.required(t, "buffer", path), child(path, "buffer"));
  c.buffer = spec.buffers[c.index].name;
  const std::string expect_path = child(path, "expect");
  const toml::table& expect = in.table_at(in.required(t, "expect", path), expect_path);
  c.expect_pos = pos_of(expect);
  const auto* file = expect.get("file");
  const auto* sum = expect.get("sum");
  if (file && sum) in.fail(pos_of(*sum), child(expect_path, "sum"), "give 'file' or 'sum', not both");
  if (!file && !sum) in.fail(c.expect_pos, expect_path, "needs 'file' or 'sum'");
  if (file) {
    c.expect = load_file_expect(in, expect, expect_path, spec.buffers[c.index]);
  } else {
    in.check_keys(expect, expect_path, {"sum", "rtol"});
    SumExpect s;
    s.sum = in.real_at(*sum, child(expect_path, "sum"));
    s.rtol = tolerance(in, expect, expect_path, "rtol", s.rtol);
    c.expect = s;
  }
  return c;
}

}  // namespace

void load_checks(const TomlReader& in, const toml::node& node, JobSpec& spec) {
  const toml::array& checks = in.array_of_tables(node, "checks");
  for (std::size_t i = 0; i < checks.size(); ++i) {
    spec.checks.push_back(load_check(in, *checks[i].as_table(), element("checks", i), spec));
  }
}

// A buffer without init must be written before anything reads it (an uninitialised input is
// most often a misspelt or forgotten init).
void check_first_uses(const TomlReader& in, const JobSpec& spec) {
  for (std::size_t bi = 0; bi < spec.buffers.size(); ++bi) {
    const BufferSpec& b = spec.buffers[bi];
    if (!std::holds_alternative<std::monostate>(b.init)) continue;
    for (std::size_t si = 0; si < spec.steps.size(); ++si) {
      bool used = false;
      const BufferRef* reader = nullptr;
      for (const auto& arg : spec.steps[si].args) {
        const auto* ref = std::get_if<BufferRef>(&arg.arg);
        if (!ref || ref->index != bi) continue;
        used = true;
        if (ref->access != Access::write && !reader) reader = ref;
      }
      if (reader) {
        in.fail(b.pos, child("buffers", b.name),
                fmt::format("has no init, and {} reads it first (access = \"{}\"); give it "
                            "one, for example init = {{ fill = 0 }}",
                            spec.steps[si].path, to_string(reader->access)));
      }
      if (used) break;
    }
  }
}

}  // namespace tessera::detail
