// Kernel sources and their #include resolution.

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cctype>
#include <charconv>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "common/read_file.hpp"
#include "program/builtin_kernels.hpp"
#include "tessera/error.hpp"
#include "tessera/source.hpp"

namespace tessera {
namespace fs = std::filesystem;
namespace {

using detail::FileText;

// The file's text, or why it cannot be read.
FileText read_file(const fs::path& path) {
  constexpr std::uint64_t limit = 16u << 20;  // kernel sources; larger ones are not source code
  return detail::read_regular_file(path, limit);
}

std::string line_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// The name inside `#include "name"` on this line, if the line is such a directive.
std::optional<std::string> quote_include(std::string_view line) {
  auto skip = [&](std::size_t i) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    return i;
  };
  std::size_t i = skip(0);
  if (i >= line.size() || line[i] != '#') return std::nullopt;
  i = skip(i + 1);
  if (line.substr(i, 7) != "include") return std::nullopt;
  i = skip(i + 7);
  if (i >= line.size() || line[i] != '"') return std::nullopt;
  const auto end = line.find('"', i + 1);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(line.substr(i + 1, end - i - 1));
}

// True for any #include directive (quoted, angled or macro).
bool is_include(std::string_view line) {
  const auto hash = line.find_first_not_of(" \t");
  if (hash == std::string_view::npos || line[hash] != '#') return false;
  const auto word = line.find_first_not_of(" \t", hash + 1);
  return word != std::string_view::npos && line.substr(word, 7) == "include";
}

bool is_pragma_once(std::string_view line) {
  std::string compact;
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') compact += c;
  }
  return compact == "#pragmaonce";
}

// Inlines quote includes. Files are identified by a key (a canonical path, or "builtin:NAME");
// a file already being included (a cycle) or already included under #pragma once is skipped,
// as include guards would make it empty.
class Resolver {
 public:
  struct Unit {
    std::string key;
    std::string display;  // the name #line gives it
    std::string text;
    fs::path dir;         // where its own includes are looked up (file and string sources)
    bool builtin = false;
  };

  ResolvedSource run(const Unit& root) {
    include(root);
    return std::move(result_);
  }

 private:
  void emit(std::string_view text, int file, std::size_t line) {
    result_.text += text;
    result_.text += '\n';
    result_.origins.emplace_back(file, line);
  }

  void include(const Unit& unit) {
    if (once_.count(unit.key) != 0) return;
    if (std::find(stack_.begin(), stack_.end(), unit.key) != stack_.end()) return;
    stack_.push_back(unit.key);
    const int file = static_cast<int>(result_.files.size());
    result_.files.push_back(unit.display);
    emit(fmt::format("#line 1 {}", line_name(unit.display)), -1, 0);
    std::istringstream lines(unit.text);
    std::size_t number = 0;
    for (std::string line; std::getline(lines, line);) {
      ++number;
      if (is_pragma_once(line)) {
        once_.insert(unit.key);
        emit("", file, number);
        continue;
      }
      if (is_include(line)) {
        const auto name = quote_include(line);
        auto included = name ? open(unit, *name) : std::nullopt;
        if (included) {
          include(*included);
          emit(fmt::format("#line {} {}", number + 1, line_name(unit.display)), -1, 0);
          continue;
        }
        // <...>, macro, or not found beside the includer: the compiler resolves it (or
        // reports it, with this file and line), and the text is no longer all we hash.
        result_.self_contained = false;
      }
      emit(line, file, number);
    }
    stack_.pop_back();
  }

  // The unit `#include "name"` names, if it exists beside the includer (or among the builtins).
  static std::optional<Unit> open(const Unit& from, const std::string& name) {
    if (from.builtin) {
      const auto* k = detail::find_builtin_kernel(name);
      if (k == nullptr) return std::nullopt;
      return Unit{"builtin:" + std::string(k->file), std::string(k->file), std::string(k->text), {},
                  true};
    }
    const fs::path path = (from.dir / name).lexically_normal();
    auto file = read_file(path);
    if (!file.bytes) return std::nullopt;
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(path, ec);
    return Unit{ec ? path.string() : canonical.string(), path.string(), std::move(*file.bytes),
                path.parent_path(), false};
  }

  std::vector<std::string> stack_;
  std::set<std::string> once_;
  ResolvedSource result_;
};

}  // namespace

Source Source::file(fs::path path) {
  Source s;
  s.kind_ = Kind::file;
  s.name_ = path.string();
  s.path_ = std::move(path);
  return s;
}

Source Source::string(std::string text, std::string name, fs::path include_dir) {
  Source s;
  s.kind_ = Kind::string;
  s.name_ = std::move(name);
  s.text_ = std::move(text);
  s.path_ = std::move(include_dir);
  return s;
}

Source Source::builtin(std::string_view name) {
  const auto* kernel = detail::find_builtin_kernel(name);
  if (kernel == nullptr) {
    std::string names;
    for (const auto& n : builtin_kernel_names()) names += (names.empty() ? "" : ", ") + n;
    throw Error(Errc::invalid_argument,
                fmt::format("no builtin kernel '{}' (builtins: {})", name, names));
  }
  Source s;
  s.kind_ = Kind::builtin;
  s.name_ = std::string(kernel->file);
  s.text_ = std::string(kernel->text);
  return s;
}

ResolvedSource Source::resolve() const {
  Resolver resolver;
  switch (kind_) {
    case Kind::file: {
      auto file = read_file(path_);
      if (!file.bytes) throw Error(Errc::io, fmt::format("{}: cannot read kernel source: {}", name_, file.missing ? "no such file" : file.why));
      std::error_code ec;
      const fs::path canonical = fs::weakly_canonical(path_, ec);
      return resolver.run({ec ? path_.string() : canonical.string(), name_, std::move(*file.bytes),
                           path_.parent_path(), false});
    }
    case Kind::string:
      return resolver.run({"string:" + name_, name_, text_, path_, false});
    case Kind::builtin:
      return resolver.run({"builtin:" + name_, name_, text_, {}, true});
  }
  return {};
}

std::string ResolvedSource::map_diagnostics(std::string_view log) const {
  static constexpr std::string_view placeholders[] = {"input.cl:", "<stdin>:", "<source>:",
                                                      "<kernel>:"};
  std::string out;
  std::size_t pos = 0;
  while (pos < log.size()) {
    // The earliest placeholder reference at or after pos.
    std::size_t best = std::string_view::npos;
    std::string_view which;
    for (auto p : placeholders) {
      const auto at = log.find(p, pos);
      if (at < best) best = at, which = p;
    }
    if (best == std::string_view::npos) break;
    // Only a whole token ("myinput.cl:" is a real file), and never a name Tessera gave a file.
    const bool token_start = best == 0 || std::string_view(" \t\n'\"(").find(log[best - 1]) != std::string_view::npos;
    const std::string_view placeholder = which.substr(0, which.size() - 1);
    const bool real_file = std::find(files.begin(), files.end(), placeholder) != files.end();
    if (!token_start || real_file) {
      out += log.substr(pos, best + which.size() - pos);
      pos = best + which.size();
      continue;
    }
    std::size_t digits = best + which.size();
    std::size_t end = digits;
    while (end < log.size() && std::isdigit(static_cast<unsigned char>(log[end]))) ++end;
    std::size_t line = 0;
    const bool numeric = end > digits && std::from_chars(log.data() + digits, log.data() + end, line).ec == std::errc{};
    out += log.substr(pos, best - pos);
    if (numeric && line >= 1 && line <= origins.size() && origins[line - 1].first >= 0) {
      const auto& [file, real] = origins[line - 1];
      out += fmt::format("{}:{}", files[static_cast<std::size_t>(file)], real);
    } else {
      out += log.substr(best, end - best);
    }
    pos = end;
  }
  out += log.substr(pos);
  return out;
}

std::vector<std::string> builtin_kernel_names() {
  std::vector<std::string> names;
  for (const auto& k : detail::builtin_kernels()) {
    if (k.file.size() > 3 && k.file.substr(k.file.size() - 3) == ".cl") {
      names.emplace_back(k.file.substr(0, k.file.size() - 3));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tessera
