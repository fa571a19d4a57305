#pragma once
// Internal: the reading layer under the job loader. A TomlReader turns TOML nodes into checked
// values (strings, integers and integer expressions over [params], numbers, files) and every
// mistake into a JobError at the node's place, with the dotted key path of the value.
//
//   const TomlReader in{"job.toml", folder, &params};
//   const std::size_t n = in.size_at(node, "buffers.x.count", 1);   // "n * 2" evaluated
//
// This header is the only way the job layer includes toml++ (one configuration for all of its
// sources: no exceptions, no formatters, compiled once in toml_reader.cpp).

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#define TOML_EXCEPTIONS 0
#define TOML_ENABLE_FORMATTERS 0
#define TOML_HEADER_ONLY 0
#include <toml++/toml.h>

#include "job/job_loader.hpp"
#include "job/job_spec.hpp"

namespace tessera::detail {

SourcePos pos_of(const toml::source_region& region);
SourcePos pos_of(const toml::node& node);
SourcePos pos_of(const toml::key& key);

/// "a table", "an integer", ...: what a node is, for messages.
std::string_view kind_of(const toml::node& node);
/// The entries of a table in the order they were written.
std::vector<std::pair<const toml::key*, const toml::node*>> entries(const toml::table& table);

/// Key paths: child("buffers", "x") is "buffers.x"; element("steps", 2) is "steps[2]".
std::string child(std::string_view path, std::string_view key);
std::string element(std::string_view path, std::size_t index);

/// "; did you mean 'x'?" when a candidate is close to `word`, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);
/// "a, b, c"
std::string join(const std::vector<std::string>& words);
/// Letters, digits and '_', not starting with a digit.
bool is_identifier(std::string_view s);
/// The extension, lower case: ".npy".
std::string extension_of(const std::filesystem::path& p);
/// "[3, 4]"
std::string shape_text(const std::vector<std::size_t>& shape);

class TomlReader {
 public:
  /// `file` as messages name it; relative paths are resolved against `folder` (of `kind`);
  /// integer expressions are evaluated over `params` (which may be filled in later, but before
  /// any expression is read).
  TomlReader(std::string file, std::filesystem::path folder, JobFolder kind, const ParamValues* params)
      : file_(std::move(file)), folder_(std::move(folder)), kind_(kind), params_(params) {}

  [[noreturn]] void fail(SourcePos pos, std::string key, std::string reason,
                         Errc code = Errc::invalid_argument) const;

  /// Every key of `table` is one of `allowed`, else an error at the first that is not.
  void check_keys(const toml::table& table, std::string_view path,
                  std::initializer_list<std::string_view> allowed) const;
  const toml::node& required(const toml::table& table, std::string_view key, std::string_view path) const;
  /// The one of `keys` that `table` holds, with its key ({null, ""} for none); two of them are an
  /// error "LEAD one of a, b and c, not both 'a' and 'b'".
  std::pair<const toml::node*, std::string_view> exclusive(const toml::table& table, std::string_view path,
                                                           std::initializer_list<std::string_view> keys,
                                                           std::string_view lead) const;

  const toml::table& table_at(const toml::node& node, std::string_view path) const;
  const toml::array& array_at(const toml::node& node, std::string_view path) const;
  /// A non-empty array of tables ([[key]]).
  const toml::array& array_of_tables(const toml::node& node, std::string_view key) const;
  const std::string& string_at(const toml::node& node, std::string_view path) const;
  std::string nonempty_string_at(const toml::node& node, std::string_view path) const;
  bool bool_at(const toml::node& node, std::string_view path) const;

  /// An integer field: an integer, or an expression string over [params].
  std::int64_t integer_at(const toml::node& node, std::string_view path) const;
  /// An integer field of at least `least` and at most `most`.
  std::size_t size_at(const toml::node& node, std::string_view path, std::int64_t least,
                      std::int64_t most = std::numeric_limits<std::int64_t>::max()) const;
  /// A number: an integer, a finite float, or an (integer) expression string.
  Number number_at(const toml::node& node, std::string_view path) const;
  /// A finite float or an integer, as a double.
  double real_at(const toml::node& node, std::string_view path) const;
  /// `n` is a value of `type` exactly (for integer types: an integer within the type's range).
  void check_fits(const Number& n, ElementType type, const toml::node& node, std::string_view path) const;

  /// A file that exists, named relative to the job's folder.
  std::filesystem::path existing_file(const toml::node& node, std::string_view path) const;

  /// The place of the character at `offset` inside the string `node`.
  static SourcePos inside(const toml::node& node, std::size_t offset);

  const std::string& file() const noexcept { return file_; }
  const std::filesystem::path& folder() const noexcept { return folder_; }
  JobFolder folder_kind() const noexcept { return kind_; }

 private:
  std::string file_;
  std::filesystem::path folder_;
  JobFolder kind_;
  const ParamValues* params_;
};

}  // namespace tessera::detail
