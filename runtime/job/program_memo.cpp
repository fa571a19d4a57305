// Programs built once for many jobs of one runtime.

#include "job/program_memo.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tessera::detail {

Program ProgramMemo::compile(const Runtime& rt, const Source& source, const std::string& options,
                             const Defines& defines) {
  const ResolvedSource resolved = source.resolve();
  if (!resolved.self_contained) return rt.compile(source, options, defines);
  std::string key = fmt::format("{}\n{}\n", options.size(), options);
  for (const auto& [name, value] : defines) key += fmt::format("{}={}\n", name, value);
  // The text without the #line markers resolve() inserted (they name the files' folders).
  std::size_t line = 0, from = 0;
  while (from < resolved.text.size()) {
    const std::size_t end = std::min(resolved.text.find('\n', from), resolved.text.size());
    const bool marker = line < resolved.origins.size() && resolved.origins[line].first < 0;
    if (!marker) key.append(resolved.text, from, end + 1 - from);
    from = end + 1;
    ++line;
  }
  if (auto hit = programs_.find(key)) return *std::move(hit);
  Program built = rt.compile(source, options, defines);  // outside the lock: builds in parallel
  programs_.keep(std::move(key), built);
  return built;
}

}  // namespace tessera::detail
