#pragma once
// Internal: "did you mean" for misspelt names.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::detail {

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo
/// (distance at most a third of the word's length, and at least 1 allowed).
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace tessera::detail
