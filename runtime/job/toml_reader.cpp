// The reading layer under the job loader: typed access to TOML nodes, with errors at their place.

#define TOML_IMPLEMENTATION
#include "job/toml_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <system_error>

#include "common/element_types.hpp"
#include "common/suggest.hpp"

namespace tessera::detail {
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t to_u32(std::size_t v) {
  return v > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                        : static_cast<std::uint32_t>(v);
}

}  // namespace

SourcePos pos_of(const toml::source_region& region) { return {region.begin.line, region.begin.column}; }
SourcePos pos_of(const toml::node& node) { return pos_of(node.source()); }
SourcePos pos_of(const toml::key& key) { return pos_of(key.source()); }

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

std::string element(std::string_view path, std::size_t index) { return fmt::format("{}[{}]", path, index); }

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  const auto match = closest_match(word, candidates);
  return match ? fmt::format("; did you mean '{}'?", *match) : std::string();
}

std::string join(const std::vector<std::string>& words) { return fmt::format("{}", fmt::join(words, ", ")); }

bool is_identifier(std::string_view s) {
  const auto start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (s.empty() || !start(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return start(c) || (c >= '0' && c <= '9'); });
}

std::string extension_of(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return ext;
}

std::string shape_text(const std::vector<std::size_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

void TomlReader::fail(SourcePos pos, std::string key, std::string reason, Errc code) const {
  throw JobError(code, file_, pos.line, pos.column, std::move(key), std::move(reason));
}

void TomlReader::check_keys(const toml::table& table, std::string_view path,
                            std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, node] : entries(table)) {
    const std::string_view name = key->str();
    if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
    const std::vector<std::string> candidates(allowed.begin(), allowed.end());
    fail(pos_of(*key), child(path, name), fmt::format("unknown key '{}'{}", name, did_you_mean(name, candidates)));
  }
}

const toml::node& TomlReader::required(const toml::table& table, std::string_view key,
                                       std::string_view path) const {
  if (const auto* node = table.get(key)) return *node;
  fail(pos_of(table), child(path, key), "required key is missing");
}

std::pair<const toml::node*, std::string_view> TomlReader::exclusive(const toml::table& table,
                                                                     std::string_view path,
                                                                     std::initializer_list<std::string_view> keys,
                                                                     std::string_view lead) const {
  const toml::node* chosen = nullptr;
  std::string_view chosen_key;
  for (const std::string_view key : keys) {
    const auto* n = table.get(key);
    if (!n) continue;
    if (chosen) {
      const std::vector<std::string_view> names(keys);
      const std::string list = fmt::format("{} and {}", fmt::join(names.begin(), names.end() - 1, ", "), names.back());
      fail(pos_of(*n), child(path, key),
           fmt::format("{} one of {}, not both '{}' and '{}'", lead, list, chosen_key, key));
    }
    chosen = n;
    chosen_key = key;
  }
  return {chosen, chosen_key};
}

const toml::table& TomlReader::table_at(const toml::node& node, std::string_view path) const {
  if (const auto* t = node.as_table()) return *t;
  fail(pos_of(node), std::string(path), fmt::format("expected a table, found {}", kind_of(node)));
}

const toml::array& TomlReader::array_at(const toml::node& node, std::string_view path) const {
  if (const auto* a = node.as_array()) return *a;
  fail(pos_of(node), std::string(path), fmt::format("expected an array, found {}", kind_of(node)));
}

const toml::array& TomlReader::array_of_tables(const toml::node& node, std::string_view key) const {
  const auto* a = node.as_array();
  if (!a || !a->is_array_of_tables() || a->empty()) {
    fail(pos_of(node), std::string(key),
         fmt::format("expected an array of tables ([[{}]]), found {}", key,
                     a && a->empty() ? "an empty array" : kind_of(node)));
  }
  return *a;
}

const std::string& TomlReader::string_at(const toml::node& node, std::string_view path) const {
  if (const auto* s = node.as_string()) return s->get();
  fail(pos_of(node), std::string(path), fmt::format("expected a string, found {}", kind_of(node)));
}

std::string TomlReader::nonempty_string_at(const toml::node& node, std::string_view path) const {
  const std::string& s = string_at(node, path);
  if (s.empty()) fail(pos_of(node), std::string(path), "must not be empty");
  return s;
}

bool TomlReader::bool_at(const toml::node& node, std::string_view path) const {
  if (const auto* b = node.as_boolean()) return b->get();
  fail(pos_of(node), std::string(path), fmt::format("expected a boolean, found {}", kind_of(node)));
}

SourcePos TomlReader::inside(const toml::node& node, std::size_t offset) {
  const SourcePos p = pos_of(node);
  return {p.line, to_u32(p.column + 1 + offset)};
}

std::int64_t TomlReader::integer_at(const toml::node& node, std::string_view path) const {
  if (const auto* i = node.as_integer()) return i->get();
  if (const auto* s = node.as_string()) {
    try {
      return evaluate_expression(s->get(), *params_);
    } catch (const ExpressionError& e) {
      fail(inside(node, e.offset()), std::string(path), e.what());
    }
  }
  fail(pos_of(node), std::string(path),
       fmt::format("expected an integer or an expression string, found {}", kind_of(node)));
}

std::size_t TomlReader::size_at(const toml::node& node, std::string_view path, std::int64_t least,
                                std::int64_t most) const {
  const std::int64_t v = integer_at(node, path);
  if (v < least || v > most) {
    const auto* s = node.as_string();
    fail(pos_of(node), std::string(path),
         fmt::format("must be at {} {}, found {}{}", v < least ? "least" : "most", v < least ? least : most, v,
                     s ? fmt::format(" (\"{}\")", s->get()) : std::string()));
  }
  return static_cast<std::size_t>(v);
}

Number TomlReader::number_at(const toml::node& node, std::string_view path) const {
  if (node.is_floating_point()) return real_at(node, path);
  if (node.is_integer() || node.is_string()) return integer_at(node, path);
  fail(pos_of(node), std::string(path),
       fmt::format("expected a number or an expression string, found {}", kind_of(node)));
}

double TomlReader::real_at(const toml::node& node, std::string_view path) const {
  if (const auto* f = node.as_floating_point()) {
    if (!std::isfinite(f->get())) fail(pos_of(node), std::string(path), "must be finite");
    return f->get();
  }
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  fail(pos_of(node), std::string(path), fmt::format("expected a number, found {}", kind_of(node)));
}

void TomlReader::check_fits(const Number& n, ElementType type, const toml::node& node,
                            std::string_view path) const {
  if (const auto why = misfit(n, type)) fail(pos_of(node), std::string(path), *why);
}

fs::path TomlReader::existing_file(const toml::node& node, std::string_view path) const {
  const std::string& name = nonempty_string_at(node, path);
  const fs::path resolved = folder_ / name;
  std::error_code ec;
  const auto status = fs::status(resolved, ec);
  if (!fs::exists(status)) {
    fail(pos_of(node), std::string(path), fmt::format("file not found: {}", resolved.string()), Errc::io);
  }
  if (!fs::is_regular_file(status)) {
    fail(pos_of(node), std::string(path), fmt::format("not a regular file: {}", resolved.string()), Errc::io);
  }
  return resolved;
}

}  // namespace tessera::detail
