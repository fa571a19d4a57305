#pragma once
// A fresh folder for one test, removed with everything in it when the test ends.

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace tessera::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }
  /// Writes `text` to path()/name (creating folders), returning the file's path.
  std::filesystem::path write(std::string_view name, std::string_view text) const;

 private:
  std::filesystem::path path_;
};

/// The whole contents of a file ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

}  // namespace tessera::test
