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
#include <span>
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
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends bytes. Throws std::system_error naming the destination (disk full, file too large).
  void write(std::span<const unsigned char> bytes);
  void write(std::string_view text);

  /// Flushes the data to disk and renames the temporary file over the destination. Throws
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

/// Writes `bytes` to `path` through an AtomicFile.
void write_file_atomically(const std::filesystem::path& path, std::span<const unsigned char> bytes);

}  // namespace tessera::detail
