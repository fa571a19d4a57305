#include "job/job_loader.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

// toml++ is used header-only, inside this file alone: nothing to link, nothing for users of the
// library to find. No exceptions (parse errors come back as values), no formatters.
#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include "program/builtin_kernels.hpp"
#include "job/npy.hpp"
#include "job/toml_screen.hpp"
#include "common/suggest.hpp"
#include "tessera/selector.hpp"

namespace tessera::detail {

JobError::JobError(Errc code, std::string file, SourcePos pos, std::string key, std::string reason)
    : Error(code,
            fmt::format("{}{}: {}{}", file,
                        pos.line == 0 ? std::string() : fmt::format(":{}:{}", pos.line, pos.column),
                        key.empty() ? std::string() : fmt::format("{}: ", key), reason)),
      file_(std::move(file)),
      pos_(pos),
      key_(std::move(key)),
      reason_(std::move(reason)) {}

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t to_u32(std::size_t v) {
  return v > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                        : static_cast<std::uint32_t>(v);
}

SourcePos pos_of(const toml::source_region& region) {
  return {region.begin.line, region.begin.column};
}
SourcePos pos_of(const toml::node& node) { return pos_of(node.source()); }
SourcePos pos_of(const toml::key& key) { return pos_of(key.source()); }

const std::vector<std::string>& type_names() {
  static const std::vector<std::string> names = {"char", "uchar", "short", "ushort", "int",
                                                 "uint", "long",  "ulong", "float",  "double"};
  return names;
}

const std::vector<std::string>& scheduler_names() {
  static const std::vector<std::string> names = {"single", "static", "dynamic", "hguided",
                                                 "adaptive"};
  return names;
}

const std::vector<std::string>& colormap_names() {
  static const std::vector<std::string> names = {"gray", "viridis", "magma"};
  return names;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const auto match = closest_match(word, candidates);
  return match ? fmt::format("; did you mean '{}'?", *match) : std::string();
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

std::string_view kind_of(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  const auto start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!start(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

std::string extension_of(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return ext;
}

bool is_integer_type(ElementType t) { return t != ElementType::f32 && t != ElementType::f64; }

// The range of an integer type, within int64 (ulong's top half is out of reach of the file).
std::pair<std::int64_t, std::int64_t> range_of(ElementType t) {
  switch (t) {
    case ElementType::i8: return {-128, 127};
    case ElementType::u8: return {0, 255};
    case ElementType::i16: return {-32768, 32767};
    case ElementType::u16: return {0, 65535};
    case ElementType::i32: return {std::numeric_limits<std::int32_t>::min(),
                                   std::numeric_limits<std::int32_t>::max()};
    case ElementType::u32: return {0, std::numeric_limits<std::uint32_t>::max()};
    case ElementType::u64: return {0, std::numeric_limits<std::int64_t>::max()};
    default: break;
  }
  return {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
}

// A float as TOML would write it: "2.0", not "2".
std::string float_text(double v) {
  std::string text = fmt::format("{}", v);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string number_text(const Number& n) {
  if (const auto* i = std::get_if<std::int64_t>(&n)) return fmt::format("{}", *i);
  return float_text(std::get<double>(n));
}

// "; did you mean 'float'?" or, with no close match, the list of types.
std::string type_hint(std::string_view name) {
  const auto match = closest_match(name, type_names());
  return match ? fmt::format("; did you mean '{}'?", *match)
               : fmt::format(" (types: {})", join(type_names()));
}

double as_double(const Number& n) {
  if (const auto* i = std::get_if<std::int64_t>(&n)) return static_cast<double>(*i);
  return std::get<double>(n);
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += fmt::format("{}{}", i == 0 ? "" : ", ", shape[i]);
  }
  return out + "]";
}

// The entries of a table in the order they were written.
std::vector<std::pair<const toml::key*, const toml::node*>> entries(const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> out;
  for (const auto& [key, node] : table) out.emplace_back(&key, &node);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    const SourcePos pa = pos_of(*a.first), pb = pos_of(*b.first);
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return out;
}

std::string child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
std::string element(std::string_view path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

// Validation of one job: each method checks one part of the file and fills the spec.
class Loader {
 public:
  Loader(std::string file, fs::path folder, const ParamOverrides& overrides)
      : file_(std::move(file)), folder_(std::move(folder)), overrides_(overrides) {}

  JobSpec load(const toml::table& root) {
    spec_.file = file_;
    spec_.folder = folder_;
    spec_.name = fs::path(file_).stem().string();
    check_keys(root, "", {"params", "job", "program", "buffers", "steps", "checks"});
    load_params(root);
    if (const auto* job = root.get("job")) load_job(table_at(*job, "job"));
    load_program(root);
    load_buffers(root);
    load_steps(root);
    if (const auto* checks = root.get("checks")) load_checks(*checks);
    check_first_uses();
    return std::move(spec_);
  }

 private:
  [[noreturn]] void fail(SourcePos pos, std::string key, std::string reason,
                         Errc code = Errc::invalid_argument) const {
    throw JobError(code, file_, pos, std::move(key), std::move(reason));
  }

  // --- keys and types -------------------------------------------------------------------------

  void check_keys(const toml::table& table, std::string_view path,
                  std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, node] : entries(table)) {
      const std::string_view name = key->str();
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      const std::vector<std::string> candidates(allowed.begin(), allowed.end());
      fail(pos_of(*key), child(path, name),
           fmt::format("unknown key '{}'{}", name, did_you_mean(name, candidates)));
    }
  }

  const toml::table& table_at(const toml::node& node, std::string_view path) const {
    if (const auto* t = node.as_table()) return *t;
    fail(pos_of(node), std::string(path), fmt::format("expected a table, found {}", kind_of(node)));
  }

  const toml::array& array_at(const toml::node& node, std::string_view path) const {
    if (const auto* a = node.as_array()) return *a;
    fail(pos_of(node), std::string(path), fmt::format("expected an array, found {}", kind_of(node)));
  }

  const std::string& string_at(const toml::node& node, std::string_view path) const {
    if (const auto* s = node.as_string()) return s->get();
    fail(pos_of(node), std::string(path), fmt::format("expected a string, found {}", kind_of(node)));
  }

  std::string nonempty_string_at(const toml::node& node, std::string_view path) const {
    const std::string& s = string_at(node, path);
    if (s.empty()) fail(pos_of(node), std::string(path), "must not be empty");
    return s;
  }

  bool bool_at(const toml::node& node, std::string_view path) const {
    if (const auto* b = node.as_boolean()) return b->get();
    fail(pos_of(node), std::string(path), fmt::format("expected a boolean, found {}", kind_of(node)));
  }

  const toml::node& required(const toml::table& table, std::string_view key,
                             std::string_view path) const {
    if (const auto* node = table.get(key)) return *node;
    fail(pos_of(table), child(path, key), "required key is missing");
  }

  // --- numbers --------------------------------------------------------------------------------

  // The place of the character at `offset` inside the string `node`.
  static SourcePos inside(const toml::node& node, std::size_t offset) {
    const SourcePos p = pos_of(node);
    return {p.line, to_u32(p.column + 1 + offset)};
  }

  std::int64_t evaluate(const toml::node& node, const std::string& text,
                        std::string_view path) const {
    try {
      return evaluate_expression(text, spec_.params);
    } catch (const ExpressionError& e) {
      fail(inside(node, e.offset()), std::string(path), e.what());
    }
  }

  /// An integer field: an integer, or an expression string over [params].
  std::int64_t integer_at(const toml::node& node, std::string_view path) const {
    if (const auto* i = node.as_integer()) return i->get();
    if (const auto* s = node.as_string()) return evaluate(node, s->get(), path);
    fail(pos_of(node), std::string(path),
         fmt::format("expected an integer or an expression string, found {}", kind_of(node)));
  }

  std::size_t size_at(const toml::node& node, std::string_view path, std::int64_t least) const {
    const std::int64_t v = integer_at(node, path);
    if (v < least) {
      const auto* s = node.as_string();
      fail(pos_of(node), std::string(path),
           fmt::format("must be at least {}, found {}{}", least, v,
                       s ? fmt::format(" (\"{}\")", s->get()) : std::string()));
    }
    return static_cast<std::size_t>(v);
  }

  /// A number: an integer, a float, or an (integer) expression string.
  Number number_at(const toml::node& node, std::string_view path) const {
    if (const auto* f = node.as_floating_point()) {
      if (!std::isfinite(f->get())) fail(pos_of(node), std::string(path), "must be finite");
      return f->get();
    }
    if (node.is_integer() || node.is_string()) return integer_at(node, path);
    fail(pos_of(node), std::string(path),
         fmt::format("expected a number or an expression string, found {}", kind_of(node)));
  }

  double real_at(const toml::node& node, std::string_view path) const {
    if (const auto* f = node.as_floating_point()) {
      if (!std::isfinite(f->get())) fail(pos_of(node), std::string(path), "must be finite");
      return f->get();
    }
    if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
    fail(pos_of(node), std::string(path), fmt::format("expected a number, found {}", kind_of(node)));
  }

  /// A number that a buffer or scalar of type `type` can hold exactly (integer types: an
  /// integer within the type's range).
  void check_fits(const Number& n, ElementType type, const toml::node& node,
                  std::string_view path) const {
    if (!is_integer_type(type)) return;
    if (std::holds_alternative<double>(n)) {
      fail(pos_of(node), std::string(path),
           fmt::format("{} is not an integer, and the type is {}", number_text(n), to_string(type)));
    }
    const auto [lo, hi] = range_of(type);
    const std::int64_t v = std::get<std::int64_t>(n);
    if (v < lo || v > hi) {
      fail(pos_of(node), std::string(path),
           fmt::format("{} is outside the range of {} [{}, {}]", v, to_string(type), lo, hi));
    }
  }

  // --- files ----------------------------------------------------------------------------------

  fs::path existing_file(const toml::node& node, std::string_view path) const {
    const std::string& name = nonempty_string_at(node, path);
    const fs::path resolved = folder_ / name;
    std::error_code ec;
    const auto status = fs::status(resolved, ec);
    if (!fs::exists(status)) {
      fail(pos_of(node), std::string(path), fmt::format("file not found: {}", resolved.string()),
           Errc::io);
    }
    if (!fs::is_regular_file(status)) {
      fail(pos_of(node), std::string(path), fmt::format("not a regular file: {}", resolved.string()),
           Errc::io);
    }
    return resolved;
  }

  // --- [params] -------------------------------------------------------------------------------

  void load_params(const toml::table& root) {
    std::map<std::string, ParamValue, std::less<>> table;
    std::map<std::string, const toml::node*, std::less<>> nodes;
    if (const auto* node = root.get("params")) {
      for (const auto& [key, value] : entries(table_at(*node, "params"))) {
        const std::string name(key->str());
        const std::string path = child("params", name);
        if (!is_identifier(name)) {
          fail(pos_of(*key), path,
               fmt::format("'{}' cannot be used in expressions: a param's name is letters, digits "
                           "and '_', not starting with a digit",
                           name));
        }
        if (const auto* i = value->as_integer()) {
          table.emplace(name, i->get());
        } else if (const auto* s = value->as_string()) {
          table.emplace(name, s->get());
        } else {
          fail(pos_of(*value), path,
               fmt::format("expected an integer or an expression string, found {}",
                           kind_of(*value)));
        }
        nodes.emplace(name, value);
      }
    }
    std::vector<std::string> names;
    for (const auto& [name, value] : table) names.push_back(name);
    for (const auto& [name, value] : overrides_) {
      const auto it = table.find(name);
      if (it == table.end()) {
        fail({}, fmt::format("--set {}", name),
             names.empty() ? fmt::format("no param '{}': the job has no [params]", name)
                           : fmt::format("no param '{}' in [params]{}", name,
                                         did_you_mean(name, names)));
      }
      it->second = value;
    }
    try {
      spec_.params = resolve_params(table);
    } catch (const ExpressionError& e) {
      const toml::node& node = *nodes.at(e.param());
      const std::string path = child("params", e.param());
      if (node.is_string()) fail(inside(node, e.offset()), path, e.what());
      fail(pos_of(node), path, e.what());
    }
  }

  // --- [job] ----------------------------------------------------------------------------------

  void load_job(const toml::table& job) {
    check_keys(job, "job",
               {"name", "devices", "scheduler", "chunk", "min_chunk", "weights", "pipeline",
                "retries", "cpu_split"});
    if (const auto* n = job.get("name")) spec_.name = nonempty_string_at(*n, "job.name");
    if (const auto* d = job.get("devices")) {
      spec_.devices = nonempty_string_at(*d, "job.devices");
      spec_.devices_pos = pos_of(*d);
      try {
        (void)Selector::parse(spec_.devices);
      } catch (const Error& e) {
        fail(pos_of(*d), "job.devices", e.message());
      }
    }
    SchedulerSpec& s = spec_.scheduler;
    if (const auto* node = job.get("scheduler")) {
      s.name = string_at(*node, "job.scheduler");
      s.pos = pos_of(*node);
      const auto& names = scheduler_names();
      if (std::find(names.begin(), names.end(), s.name) == names.end()) {
        fail(s.pos, "job.scheduler",
             fmt::format("unknown scheduler '{}'{} (schedulers: {})", s.name,
                         did_you_mean(s.name, names), join(names)));
      }
    }
    // A setting of another policy than the job's is a mistake: it would be silently ignored.
    const auto only_for = [&](std::string_view key, std::initializer_list<std::string_view> users) {
      const auto* node = job.get(key);
      if (!node) return node;
      if (std::find(users.begin(), users.end(), s.name) == users.end()) {
        std::string list;
        for (const auto u : users) list += fmt::format("{}'{}'", list.empty() ? "" : " or ", u);
        fail(pos_of(*node), child("job", key),
             fmt::format("applies to scheduler {} only, and the job's scheduler is '{}'", list,
                         s.name));
      }
      return node;
    };
    if (const auto* n = only_for("chunk", {"dynamic"})) s.chunk = size_at(*n, "job.chunk", 1);
    if (const auto* n = only_for("min_chunk", {"hguided", "adaptive"})) {
      s.min_chunk = size_at(*n, "job.min_chunk", 1);
    }
    if (const auto* n = only_for("weights", {"static"})) {
      const toml::array& weights = array_at(*n, "job.weights");
      s.weights_pos = pos_of(*n);
      if (weights.empty()) fail(s.weights_pos, "job.weights", "must hold one weight per device");
      for (std::size_t i = 0; i < weights.size(); ++i) {
        const std::string path = element("job.weights", i);
        const double w = real_at(weights[i], path);
        if (!(w > 0)) fail(pos_of(weights[i]), path, fmt::format("must be positive, found {}", w));
        s.weights.push_back(w);
      }
    }
    if (const auto* n = job.get("pipeline")) s.pipeline = size_at(*n, "job.pipeline", 1);
    if (const auto* n = job.get("retries")) s.retries = size_at(*n, "job.retries", 0);
    if (const auto* n = job.get("cpu_split")) s.cpu_split = size_at(*n, "job.cpu_split", 1);
  }

  // --- [program] ------------------------------------------------------------------------------

  void load_program(const toml::table& root) {
    const auto* node = root.get("program");
    if (!node) fail({1, 1}, "program", "required table [program] is missing");
    const toml::table& program = table_at(*node, "program");
    check_keys(program, "program", {"source", "builtin", "options", "defines"});
    ProgramSpec& p = spec_.program;
    const auto* source = program.get("source");
    const auto* builtin = program.get("builtin");
    if (source && builtin) {
      fail(pos_of(*builtin), "program.builtin", "give 'source' or 'builtin', not both");
    }
    if (!source && !builtin) {
      fail(pos_of(program), "program", "needs 'source' (a kernel file) or 'builtin' (a kernel "
                                       "shipped with Tessera)");
    }
    if (source) {
      p.source = existing_file(*source, "program.source");
      p.pos = pos_of(*source);
    } else {
      p.builtin = nonempty_string_at(*builtin, "program.builtin");
      p.pos = pos_of(*builtin);
      if (!find_builtin_kernel(p.builtin)) {
        std::vector<std::string> names;
        for (const auto& k : builtin_kernels()) {
          const fs::path f(k.file);
          if (f.extension() == ".cl") names.push_back(f.stem().string());
        }
        fail(p.pos, "program.builtin",
             fmt::format("no builtin kernel file '{}'{} (builtins: {})", p.builtin,
                         did_you_mean(p.builtin, names), join(names)));
      }
    }
    if (const auto* o = program.get("options")) {
      p.options = string_at(*o, "program.options");
      p.options_pos = pos_of(*o);
    }
    if (const auto* d = program.get("defines")) {
      p.defines_pos = pos_of(*d);
      for (const auto& [key, value] : entries(table_at(*d, "program.defines"))) {
        const std::string name(key->str());
        const std::string path = child("program.defines", name);
        if (!is_identifier(name)) {
          fail(pos_of(*key), path, fmt::format("'{}' is not a valid macro name", name));
        }
        std::string text;
        if (const auto* s = value->as_string()) {
          text = s->get();
        } else if (const auto* i = value->as_integer()) {
          text = fmt::format("{}", i->get());
        } else if (const auto* f = value->as_floating_point()) {
          text = float_text(f->get());
        } else if (const auto* b = value->as_boolean()) {
          text = b->get() ? "1" : "0";
        } else {
          fail(pos_of(*value), path,
               fmt::format("expected a string, a number or a boolean, found {}", kind_of(*value)));
        }
        p.defines.emplace_back(name, std::move(text));
      }
    }
  }

  // --- [buffers.*] ----------------------------------------------------------------------------

  std::size_t buffer_index(const toml::node& node, std::string_view path) const {
    const std::string& name = string_at(node, path);
    for (std::size_t i = 0; i < spec_.buffers.size(); ++i) {
      if (spec_.buffers[i].name == name) return i;
    }
    std::vector<std::string> names;
    for (const auto& b : spec_.buffers) names.push_back(b.name);
    fail(pos_of(node), std::string(path),
         fmt::format("unknown buffer '{}'{}", name, did_you_mean(name, names)));
  }

  void load_buffers(const toml::table& root) {
    const auto* node = root.get("buffers");
    if (!node) return;
    for (const auto& [key, value] : entries(table_at(*node, "buffers"))) {
      const std::string path = child("buffers", key->str());
      BufferSpec b;
      b.name = std::string(key->str());
      if (b.name.empty()) fail(pos_of(*key), "buffers", "a buffer's name must not be empty");
      load_buffer(table_at(*value, path), path, b);
      spec_.buffers.push_back(std::move(b));
    }
  }

  void load_buffer(const toml::table& t, const std::string& path, BufferSpec& b) {
    check_keys(t, path, {"type", "count", "shape", "init", "output", "image"});
    b.pos = pos_of(t);

    const toml::node& type = required(t, "type", path);
    const std::string& type_name = string_at(type, child(path, "type"));
    b.type_pos = pos_of(type);
    const auto parsed_type = element_type_named(type_name);
    if (!parsed_type) {
      fail(b.type_pos, child(path, "type"),
           fmt::format("unknown type '{}'{}", type_name, type_hint(type_name)));
    }
    b.type = *parsed_type;

    const auto* count = t.get("count");
    const auto* shape = t.get("shape");
    if (count && shape) fail(pos_of(*shape), child(path, "shape"), "give 'count' or 'shape', not both");
    if (!count && !shape) fail(b.pos, path, "needs 'count' (elements) or 'shape' (extents)");
    if (count) {
      b.shape_pos = pos_of(*count);
      b.shape.push_back(size_at(*count, child(path, "count"), 1));
    } else {
      const std::string shape_path = child(path, "shape");
      const toml::array& extents = array_at(*shape, shape_path);
      b.shape_pos = pos_of(*shape);
      if (extents.empty()) fail(b.shape_pos, shape_path, "needs at least one extent");
      constexpr std::size_t max_dims = 32;
      if (extents.size() > max_dims) {
        fail(b.shape_pos, shape_path,
             fmt::format("has {} extents; at most {} are supported", extents.size(), max_dims));
      }
      for (std::size_t i = 0; i < extents.size(); ++i) {
        b.shape.push_back(size_at(extents[i], element(shape_path, i), 1));
      }
    }
    std::size_t elements = 1;
    for (const std::size_t extent : b.shape) {
      if (elements > std::numeric_limits<std::size_t>::max() / size_of(b.type) / extent) {
        fail(b.shape_pos, child(path, count ? "count" : "shape"),
             fmt::format("{} {} is too large: its size in bytes exceeds 64 bits", to_string(b.type),
                         shape_text(b.shape)));
      }
      elements *= extent;
    }

    if (const auto* init = t.get("init")) load_init(*init, child(path, "init"), b);
    if (const auto* output = t.get("output")) load_output(*output, child(path, "output"), b);
    load_image(t, path, b);
  }

  void load_init(const toml::node& node, const std::string& path, BufferSpec& b) {
    const toml::table& init = table_at(node, path);
    check_keys(init, path, {"fill", "iota", "random", "seed", "file"});
    b.init_pos = pos_of(init);
    const toml::node* chosen = nullptr;
    std::string_view chosen_key;
    for (const std::string_view key : {"fill", "iota", "random", "file"}) {
      const auto* n = init.get(key);
      if (!n) continue;
      if (chosen) {
        fail(pos_of(*n), child(path, key),
             fmt::format("give one of fill, iota, random and file, not both '{}' and '{}'",
                         chosen_key, key));
      }
      chosen = n;
      chosen_key = key;
    }
    if (!chosen) fail(b.init_pos, path, "needs one of fill, iota, random and file");
    const std::string key_path = child(path, chosen_key);
    if (const auto* seed = init.get("seed"); seed && chosen_key != "random") {
      fail(pos_of(*seed), child(path, "seed"), "applies to 'random' only");
    }

    if (chosen_key == "fill") {
      FillInit f{number_at(*chosen, key_path)};
      check_fits(f.value, b.type, *chosen, key_path);
      b.init = f;
    } else if (chosen_key == "iota") {
      IotaInit i{number_at(*chosen, key_path)};
      check_fits(i.start, b.type, *chosen, key_path);
      if (is_integer_type(b.type)) {
        const std::int64_t start = std::get<std::int64_t>(i.start);
        const std::int64_t hi = range_of(b.type).second;
        const std::size_t steps = b.count() - 1;
        if (static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(start) < steps) {
          fail(pos_of(*chosen), key_path,
               fmt::format("counting from {} over {} elements passes {}'s maximum {}", start,
                           b.count(), to_string(b.type), hi));
        }
      }
      b.init = i;
    } else if (chosen_key == "random") {
      const toml::array& bounds = array_at(*chosen, key_path);
      if (bounds.size() != 2) {
        fail(pos_of(*chosen), key_path,
             fmt::format("expected [lo, hi], found {} values", bounds.size()));
      }
      RandomInit r;
      r.lo = number_at(bounds[0], element(key_path, 0));
      r.hi = number_at(bounds[1], element(key_path, 1));
      check_fits(r.lo, b.type, bounds[0], element(key_path, 0));
      check_fits(r.hi, b.type, bounds[1], element(key_path, 1));
      if (as_double(r.lo) > as_double(r.hi)) {
        fail(pos_of(*chosen), key_path,
             fmt::format("lo {} is above hi {}", number_text(r.lo), number_text(r.hi)));
      }
      if (const auto* seed = init.get("seed")) {
        r.seed = static_cast<std::uint64_t>(size_at(*seed, child(path, "seed"), 0));
      }
      b.init = r;
    } else {
      FileInit f;
      f.path = existing_file(*chosen, key_path);
      const std::string ext = extension_of(f.path);
      if (ext == ".npy") {
        f.npy = true;
        try {
          const NpyHeader header = read_npy_header(f.path);
          check_npy_matches(header, f.path.filename().string(), b.name, b.type, b.shape);
        } catch (const NpyError& e) {
          fail(pos_of(*chosen), key_path, e.what());
        }
      } else if (ext == ".bin") {
        check_bin_size(f.path, b, *chosen, key_path);
      } else {
        fail(pos_of(*chosen), key_path,
             fmt::format("'{}' is neither .npy nor .bin (raw little-endian data)",
                         f.path.filename().string()));
      }
      b.init = f;
    }
  }

  void check_bin_size(const fs::path& file, const BufferSpec& b, const toml::node& node,
                      std::string_view path) const {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(file, ec);
    if (ec) {
      fail(pos_of(node), std::string(path),
           fmt::format("cannot read {}: {}", file.string(), ec.message()), Errc::io);
    }
    if (size != b.bytes()) {
      fail(pos_of(node), std::string(path),
           fmt::format("{} holds {} bytes, buffer '{}' ({} {}) is {} bytes",
                       file.filename().string(), size, b.name, to_string(b.type),
                       shape_text(b.shape), b.bytes()));
    }
  }

  void load_output(const toml::node& node, const std::string& path, BufferSpec& b) {
    OutputSpec out;
    out.pos = pos_of(node);
    out.path = folder_ / nonempty_string_at(node, path);
    const std::string ext = extension_of(out.path);
    if (ext == ".npy") {
      out.format = OutputFormat::npy;
    } else if (ext == ".bin") {
      out.format = OutputFormat::bin;
    } else if (ext == ".png") {
      out.format = OutputFormat::png;
    } else if (ext == ".ppm") {
      out.format = OutputFormat::ppm;
    } else {
      fail(out.pos, path,
           fmt::format("cannot write '{}': an output is .npy, .bin, .png or .ppm",
                       out.path.filename().string()));
    }
    if (out.format == OutputFormat::png || out.format == OutputFormat::ppm) {
      const bool colour = b.shape.size() == 3 && b.type == ElementType::u8 &&
                          (b.shape[2] == 3 || b.shape[2] == 4);
      if (b.shape.size() != 2 && !colour) {
        fail(out.pos, path,
             fmt::format("an image needs a 2-D buffer (shape = [height, width]), or uchar "
                         "[height, width, 3 or 4] for RGB/RGBA; buffer '{}' is {} {}",
                         b.name, to_string(b.type), shape_text(b.shape)));
      }
      if (colour && b.shape[2] == 4 && out.format == OutputFormat::ppm) {
        fail(out.pos, path, "a .ppm holds no alpha channel: write RGBA data as .png");
      }
    }
    for (const auto& other : spec_.buffers) {
      if (other.output && other.output->path == out.path) {
        fail(out.pos, path,
             fmt::format("buffer '{}' already writes {}", other.name, out.path.string()));
      }
    }
    fs::path dir = out.path.parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      fail(out.pos, path,
           fmt::format("{} {}", dir.string(),
                       fs::exists(dir, ec) ? "is not a folder" : "does not exist (no such folder)"),
           Errc::io);
    }
    if (::access(dir.c_str(), W_OK) != 0) {
      fail(out.pos, path, fmt::format("folder {} is not writable: {}", dir.string(),
                                      std::strerror(errno)),
           Errc::io);
    }
    b.output = std::move(out);
  }

  void load_image(const toml::table& t, const std::string& buffer_path, BufferSpec& b) {
    const bool image_output = b.output && (b.output->format == OutputFormat::png ||
                                           b.output->format == OutputFormat::ppm);
    const bool colour = b.shape.size() == 3;
    const auto* node = t.get("image");
    const std::string path = child(buffer_path, "image");
    if (!node) {
      if (image_output && !colour) b.image = ImageSpec{};
      return;
    }
    if (!image_output) {
      fail(pos_of(*node), path, "applies only to a .png or .ppm output");
    }
    if (colour) {
      fail(pos_of(*node), path,
           fmt::format("buffer '{}' holds RGB/RGBA pixels: no colormap or range applies",
                       b.name));
    }
    const toml::table& image = table_at(*node, path);
    check_keys(image, path, {"colormap", "range"});
    ImageSpec spec;
    spec.pos = pos_of(image);
    if (const auto* c = image.get("colormap")) {
      spec.colormap = string_at(*c, child(path, "colormap"));
      const auto& names = colormap_names();
      if (std::find(names.begin(), names.end(), spec.colormap) == names.end()) {
        fail(pos_of(*c), child(path, "colormap"),
             fmt::format("unknown colormap '{}'{} (colormaps: {})", spec.colormap,
                         did_you_mean(spec.colormap, names), join(names)));
      }
    }
    if (const auto* r = image.get("range")) {
      const std::string range_path = child(path, "range");
      const toml::array& range = array_at(*r, range_path);
      if (range.size() != 2) {
        fail(pos_of(*r), range_path, fmt::format("expected [lo, hi], found {} values", range.size()));
      }
      const double lo = as_double(number_at(range[0], element(range_path, 0)));
      const double hi = as_double(number_at(range[1], element(range_path, 1)));
      if (!(lo < hi)) fail(pos_of(*r), range_path, fmt::format("lo {} must be below hi {}", lo, hi));
      spec.range = std::pair{lo, hi};
    }
    b.image = std::move(spec);
  }

  // --- [[steps]] ------------------------------------------------------------------------------

  const toml::array& array_of_tables(const toml::node& node, std::string_view key) const {
    const auto* a = node.as_array();
    if (!a || !a->is_array_of_tables() || a->empty()) {
      fail(pos_of(node), std::string(key),
           fmt::format("expected an array of tables ([[{}]]), found {}", key,
                       a && a->empty() ? "an empty array" : kind_of(node)));
    }
    return *a;
  }

  void load_steps(const toml::table& root) {
    const auto* node = root.get("steps");
    if (!node) fail({1, 1}, "steps", "a job needs at least one [[steps]] table");
    const toml::array& steps = array_of_tables(*node, "steps");
    for (std::size_t i = 0; i < steps.size(); ++i) {
      spec_.steps.push_back(load_step(*steps[i].as_table(), element("steps", i)));
    }
  }

  std::vector<std::size_t> extents_at(const toml::node& node, const std::string& path) const {
    const toml::array& a = array_at(node, path);
    if (a.empty() || a.size() > 3) {
      fail(pos_of(node), path,
           fmt::format("needs 1 to 3 dimensions, found {}", a.size()));
    }
    std::vector<std::size_t> out;
    for (std::size_t d = 0; d < a.size(); ++d) out.push_back(size_at(a[d], element(path, d), 1));
    return out;
  }

  StepSpec load_step(const toml::table& t, const std::string& path) {
    check_keys(t, path, {"kernel", "global", "local", "args", "repeat", "swap"});
    StepSpec step;
    step.pos = pos_of(t);
    const toml::node& kernel = required(t, "kernel", path);
    step.kernel = nonempty_string_at(kernel, child(path, "kernel"));
    step.kernel_pos = pos_of(kernel);
    if (!is_identifier(step.kernel)) {
      fail(step.kernel_pos, child(path, "kernel"),
           fmt::format("'{}' is not a kernel name", step.kernel));
    }
    const toml::node& global = required(t, "global", path);
    step.global = extents_at(global, child(path, "global"));
    step.global_pos = pos_of(global);
    if (const auto* local = t.get("local")) {
      const std::string local_path = child(path, "local");
      step.local = extents_at(*local, local_path);
      step.local_pos = pos_of(*local);
      if (step.local.size() != step.global.size()) {
        fail(step.local_pos, local_path,
             fmt::format("has {} dimensions, global has {}", step.local.size(),
                         step.global.size()));
      }
      for (std::size_t d = 0; d < step.local.size(); ++d) {
        if (step.global[d] % step.local[d] != 0) {
          fail(pos_of((*local->as_array())[d]), element(local_path, d),
               fmt::format("{} does not divide global[{}] = {}", step.local[d], d,
                           step.global[d]));
        }
      }
    }
    if (const auto* args = t.get("args")) {
      const std::string args_path = child(path, "args");
      const toml::array& list = array_at(*args, args_path);
      step.args_pos = pos_of(*args);
      for (std::size_t i = 0; i < list.size(); ++i) {
        step.args.push_back(load_arg(list[i], element(args_path, i), step));
      }
    } else {
      step.args_pos = step.pos;
    }
    if (const auto* repeat = t.get("repeat")) step.repeat = size_at(*repeat, child(path, "repeat"), 1);
    if (const auto* swap = t.get("swap")) load_swap(*swap, child(path, "swap"), step);
    return step;
  }

  ArgSpec load_arg(const toml::node& node, const std::string& path, const StepSpec& step) const {
    const toml::table& t = table_at(node, path);
    ArgSpec arg;
    arg.pos = pos_of(t);
    const auto* value = t.get("value");
    const auto* buffer = t.get("buffer");
    if (value && buffer) {
      fail(pos_of(*buffer), child(path, "buffer"), "an argument is a value or a buffer, not both");
    }
    if (value) {
      check_keys(t, path, {"value", "type"});
      ScalarArg s;
      s.value = number_at(*value, child(path, "value"));
      if (const auto* type = t.get("type")) {
        const std::string& name = string_at(*type, child(path, "type"));
        s.type = element_type_named(name);
        if (!s.type) {
          fail(pos_of(*type), child(path, "type"),
               fmt::format("unknown type '{}'{}", name, type_hint(name)));
        }
        check_fits(s.value, *s.type, *value, child(path, "value"));
      }
      arg.arg = s;
      return arg;
    }
    if (!buffer) {
      check_keys(t, path, {"value", "type", "buffer", "access", "halo", "whole", "reduce"});
      fail(arg.pos, path, "an argument is { value = ... } or { buffer = \"name\" }");
    }
    check_keys(t, path, {"buffer", "access", "halo", "whole", "reduce"});
    BufferRef ref;
    ref.index = buffer_index(*buffer, child(path, "buffer"));
    ref.buffer = spec_.buffers[ref.index].name;
    if (const auto* access = t.get("access")) {
      const std::string& a = string_at(*access, child(path, "access"));
      if (a == "read") {
        ref.access = Access::read;
      } else if (a == "write") {
        ref.access = Access::write;
      } else if (a == "read_write") {
        ref.access = Access::read_write;
      } else {
        fail(pos_of(*access), child(path, "access"),
             fmt::format("unknown access '{}'{} (read, write, read_write)", a,
                         did_you_mean(a, {"read", "write", "read_write"})));
      }
    }
    const toml::node* role_node = nullptr;
    std::string_view role_key;
    for (const std::string_view key : {"halo", "whole", "reduce"}) {
      const auto* n = t.get(key);
      if (!n) continue;
      if (role_node) {
        fail(pos_of(*n), child(path, key),
             fmt::format("an argument takes one of halo, whole and reduce, not both '{}' and '{}'",
                         role_key, key));
      }
      role_node = n;
      role_key = key;
    }
    if (role_key == "halo") {
      ref.role = BufferRef::Role::halo;
      ref.halo = size_at(*role_node, child(path, "halo"), 0);
    } else if (role_key == "whole") {
      if (bool_at(*role_node, child(path, "whole"))) {
        ref.role = BufferRef::Role::whole;
        if (ref.access != Access::read) {
          fail(pos_of(*role_node), child(path, "whole"),
               fmt::format("a whole buffer is read-only, and the access is '{}'",
                           to_string(ref.access)));
        }
      }
    } else if (role_key == "reduce") {
      ref.role = BufferRef::Role::reduce;
      const std::string& op = string_at(*role_node, child(path, "reduce"));
      const std::vector<std::string> ops = {"sum", "min", "max", "prod"};
      if (op == "sum") {
        ref.reduce = ReduceOp::sum;
      } else if (op == "min") {
        ref.reduce = ReduceOp::min;
      } else if (op == "max") {
        ref.reduce = ReduceOp::max;
      } else if (op == "prod") {
        ref.reduce = ReduceOp::prod;
      } else {
        fail(pos_of(*role_node), child(path, "reduce"),
             fmt::format("unknown reduce op '{}'{} (sum, min, max, prod)", op,
                         did_you_mean(op, ops)));
      }
      if (ref.access == Access::read) {
        fail(pos_of(*role_node), child(path, "reduce"),
             "a reduce buffer is written: give access = \"write\" or \"read_write\"");
      }
    }
    if (ref.role == BufferRef::Role::split || ref.role == BufferRef::Role::halo) {
      const BufferSpec& b = spec_.buffers[ref.index];
      const std::size_t extent = step.global.back();
      if (b.count() % extent != 0) {
        fail(pos_of(*buffer), child(path, "buffer"),
             fmt::format("buffer '{}' has {} elements, not a multiple of {} (global[{}], the "
                         "split dimension); pass it whole or fix its size",
                         b.name, b.count(), extent, step.global.size() - 1));
      }
    }
    arg.arg = std::move(ref);
    return arg;
  }

  void load_swap(const toml::node& node, const std::string& path, StepSpec& step) const {
    const toml::array& pair = array_at(node, path);
    step.swap_pos = pos_of(node);
    if (pair.size() != 2) {
      fail(step.swap_pos, path, fmt::format("expected two buffer names, found {} values", pair.size()));
    }
    const std::size_t a = buffer_index(pair[0], element(path, 0));
    const std::size_t b = buffer_index(pair[1], element(path, 1));
    const BufferSpec& x = spec_.buffers[a];
    const BufferSpec& y = spec_.buffers[b];
    if (a == b) fail(step.swap_pos, path, fmt::format("swaps buffer '{}' with itself", x.name));
    if (x.type != y.type || x.count() != y.count()) {
      fail(step.swap_pos, path,
           fmt::format("buffers '{}' ({} {}) and '{}' ({} {}) differ in type or size", x.name,
                       to_string(x.type), shape_text(x.shape), y.name, to_string(y.type),
                       shape_text(y.shape)));
    }
    step.swap = std::pair{a, b};
  }

  // --- [[checks]] -----------------------------------------------------------------------------

  void load_checks(const toml::node& node) {
    const toml::array& checks = array_of_tables(node, "checks");
    for (std::size_t i = 0; i < checks.size(); ++i) {
      const std::string path = element("checks", i);
      const toml::table& t = *checks[i].as_table();
      check_keys(t, path, {"buffer", "expect"});
      CheckSpec c;
      c.pos = pos_of(t);
      c.index = buffer_index(required(t, "buffer", path), child(path, "buffer"));
      c.buffer = spec_.buffers[c.index].name;
      const std::string expect_path = child(path, "expect");
      const toml::table& expect = table_at(required(t, "expect", path), expect_path);
      c.expect_pos = pos_of(expect);
      const auto* file = expect.get("file");
      const auto* sum = expect.get("sum");
      if (file && sum) fail(pos_of(*sum), child(expect_path, "sum"), "give 'file' or 'sum', not both");
      if (!file && !sum) fail(c.expect_pos, expect_path, "needs 'file' or 'sum'");
      const auto tolerance = [&](std::string_view key, double fallback) {
        const auto* n = expect.get(key);
        if (!n) return fallback;
        const double v = real_at(*n, child(expect_path, key));
        if (v < 0) fail(pos_of(*n), child(expect_path, key), "must not be negative");
        return v;
      };
      if (file) {
        check_keys(expect, expect_path, {"file", "rtol", "atol"});
        FileExpect f;
        const std::string file_path = child(expect_path, "file");
        f.path = existing_file(*file, file_path);
        f.rtol = tolerance("rtol", f.rtol);
        f.atol = tolerance("atol", f.atol);
        const BufferSpec& b = spec_.buffers[c.index];
        const std::string ext = extension_of(f.path);
        if (ext == ".npy") {
          f.npy = true;
          try {
            const NpyHeader header = read_npy_header(f.path);
            if (header.count() != b.count()) {
              fail(pos_of(*file), file_path,
                   fmt::format("{} holds {} elements, buffer '{}' has {}",
                               f.path.filename().string(), header.count(), b.name, b.count()));
            }
          } catch (const NpyError& e) {
            fail(pos_of(*file), file_path, e.what());
          }
        } else if (ext == ".bin") {
          check_bin_size(f.path, b, *file, file_path);
        } else {
          fail(pos_of(*file), file_path,
               fmt::format("'{}' is neither .npy nor .bin", f.path.filename().string()));
        }
        c.expect = f;
      } else {
        check_keys(expect, expect_path, {"sum", "rtol"});
        SumExpect s;
        s.sum = real_at(*sum, child(expect_path, "sum"));
        s.rtol = tolerance("rtol", s.rtol);
        c.expect = s;
      }
      spec_.checks.push_back(std::move(c));
    }
  }

  // --- across the file ------------------------------------------------------------------------

  // A buffer without init must be written before anything reads it (an uninitialised input is
  // most often a misspelt or forgotten init).
  void check_first_uses() const {
    for (std::size_t bi = 0; bi < spec_.buffers.size(); ++bi) {
      const BufferSpec& b = spec_.buffers[bi];
      if (!std::holds_alternative<std::monostate>(b.init)) continue;
      for (std::size_t si = 0; si < spec_.steps.size(); ++si) {
        bool used = false;
        const BufferRef* reader = nullptr;
        for (const auto& arg : spec_.steps[si].args) {
          const auto* ref = std::get_if<BufferRef>(&arg.arg);
          if (!ref || ref->index != bi) continue;
          used = true;
          if (ref->access != Access::write && !reader) reader = ref;
        }
        if (reader) {
          fail(b.pos, child("buffers", b.name),
               fmt::format("has no init, and steps[{}] reads it first (access = \"{}\"); give it "
                           "one, for example init = {{ fill = 0 }}",
                           si, to_string(reader->access)));
        }
        if (used) break;
      }
    }
  }

  std::string file_;
  fs::path folder_;
  const ParamOverrides& overrides_;
  JobSpec spec_;
};

}  // namespace

std::optional<ElementType> element_type_named(std::string_view name) noexcept {
  static constexpr std::pair<std::string_view, ElementType> table[] = {
      {"char", ElementType::i8},   {"uchar", ElementType::u8},  {"short", ElementType::i16},
      {"ushort", ElementType::u16}, {"int", ElementType::i32},  {"uint", ElementType::u32},
      {"long", ElementType::i64},  {"ulong", ElementType::u64}, {"float", ElementType::f32},
      {"double", ElementType::f64}};
  for (const auto& [n, t] : table) {
    if (n == name) return t;
  }
  return std::nullopt;
}

JobSpec parse_job_spec(std::string_view text, const std::filesystem::path& file,
                       const ParamOverrides& overrides) {
  const std::string name = file.string();
  if (const auto bad = screen_toml(text)) {
    throw JobError(Errc::invalid_argument, name, SourcePos{bad->line, bad->column}, "",
                   std::string(bad->what));
  }
  toml::parse_result parsed = toml::parse(text, std::string_view(name));
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    throw JobError(Errc::invalid_argument, name, pos_of(e.source()), "",
                   std::string(e.description()));
  }
  return Loader(name, file.parent_path(), overrides).load(parsed.table());
}

JobSpec load_job_spec(const std::filesystem::path& file, const ParamOverrides& overrides) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw JobError(Errc::io, file.string(), {}, "",
                   fmt::format("cannot read the job file: {}", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw JobError(Errc::io, file.string(), {}, "", "cannot read the job file");
  }
  return parse_job_spec(text.str(), file, overrides);
}

}  // namespace tessera::detail
