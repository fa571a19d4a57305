#pragma once
// Internal: files that appear whole or not at all (job outputs, reports, cache entries).
//
// The bytes go to a temporary file beside the destination (same folder, so the final rename
// never crosses file systems), which is flushed to disk and renamed over the destination. A
// reader sees the old file or the complete new one, never a mix; if anything fails, or the
// AtomicFile is destroyed without commit(), the temporary file is removed and the destination is
// left as it was.
//
//   AtomicFile out("out/y.npy");
//   out.write(header);
//   out.write(data);
//   out.commit();

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tessera::detail {

/// The name of every temporary file ends with it (a sweeper may remove stale ones).
inline constexpr const char* temp_file_suffix = ".tmp";

class AtomicFile {
 public:
  /// Creates the temporary file for `path`. Throws std::system_error ("cannot write 'PATH': ...")
  /// when it cannot be created, for example because the folder does not exist.
  explicit AtomicFile(std::filesystem::path path);
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. Throws std::system_error naming the destination (disk full, file too large).
  void write(std::span<const unsigned char> bytes);
  void write(std::string_view text);

  /// Flushes the data to disk and closes the temporary file; the destination is not touched
  /// yet. Files written together are all closed before any is committed, so that a failure
  /// (a full disk) changes none of them. Throws std::system_error naming the destination.
  void close();
  /// Closes the file if it is open, then renames it over the destination. Throws
  /// std::system_error naming the destination on failure, leaving the destination untouched.
  void commit();

  const std::filesystem::path& path() const noexcept { return path_; }
  /// The temporary file ("" once committed or abandoned).
  const std::filesystem::path& temp_path() const noexcept { return temp_path_; }

 private:
  [[noreturn]] void fail(int error);
  void discard() noexcept;

  std::filesystem::path path_;
  std::filesystem::path temp_path_;
  int fd_ = -1;
};

/// The file that writing `path` replaces: symbolic links followed (so that a link is kept and
/// its target replaced), the rest made absolute and normal ("sub/../y.npy" and "./y.npy" are the
/// same file). Throws std::system_error for a loop of links.
std::filesystem::path replaced_file(const std::filesystem::path& path);

/// Why `folder` is neither a folder that can be written nor can be made (the nearest existing
/// ancestor is not a folder, or cannot be written). Nothing when it is or can be.
std::optional<std::string> cannot_make_folder(const std::filesystem::path& folder);

/// Why an AtomicFile could not replace `target` (a replaced_file), checked before anything is
/// written: it is a folder, or its folder is neither there nor can be made (the nearest existing
/// ancestor is not a folder, or cannot be written). Nothing when it can.
std::optional<std::string> cannot_write(const std::filesystem::path& target);

/// Writes `bytes` to `path` through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes);

}  // namespace tessera::detail
