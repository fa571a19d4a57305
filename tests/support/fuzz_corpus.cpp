#include "support/fuzz_corpus.hpp"

#include <filesystem>

#include "support/temp_dir.hpp"

namespace tessera::test {

std::map<std::string, std::string> fuzz_corpus(const std::string& name) {
  std::map<std::string, std::string> inputs;
  const auto corpus = std::filesystem::path(TESSERA_TEST_SOURCE_DIR) / "fuzz" / "corpus" / name;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    inputs.emplace(entry.path().filename().string(), read_text(entry.path()));
  }
  return inputs;
}

}  // namespace tessera::test
