// Output files written to a temporary file and renamed into place.

#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <system_error>
#include <utility>

namespace tessera::detail {
namespace {

std::atomic<unsigned> temp_counter{0};
// Tells apart hosts that share a folder (and a pid).
const unsigned long long host_salt = std::random_device{}() * 0x9e3779b97f4a7c15ull;

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  // ".NAME.PID.SALT.N.tmp" beside the destination; a name left by a crashed process of the same
  // pid exists already (O_EXCL), so the next number is tried.
  const std::string name = path_.filename().string();
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = path_.parent_path() / fmt::format(".{}.{}.{:x}.{}{}", name, ::getpid(), host_salt,
                                                       temp_counter++, temp_file_suffix);
    fd_ = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) {
      temp_path_ = std::move(candidate);
      return;
    }
    if (errno != EEXIST) break;
  }
  fail(errno);
}

AtomicFile::~AtomicFile() {
  discard();
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), temp_path_(std::exchange(other.temp_path_, {})), fd_(std::exchange(other.fd_, -1)) {}

void AtomicFile::write(std::span<const unsigned char> bytes) {
  if (fd_ < 0) fail(EBADF);
  const unsigned char* p = bytes.data();
  std::size_t left = bytes.size();
  while (left > 0) {
    const ::ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::write(std::string_view text) {
  write(std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

void AtomicFile::close() {
  if (fd_ < 0) fail(EBADF);
  if (::fsync(fd_) != 0) fail(errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail(errno);
}

void AtomicFile::commit() {
  if (temp_path_.empty()) fail(EBADF);
  if (fd_ >= 0) close();
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) fail(errno);
  temp_path_.clear();
}

void AtomicFile::fail(int error) {
  discard();
  throw std::system_error(error, std::generic_category(),
                          fmt::format("cannot write '{}'", path_.string()));
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

std::filesystem::path replaced_file(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  fs::path p = fs::absolute(path);
  for (int hops = 0;; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) break;
    if (hops == 40) throw std::system_error(ELOOP, std::generic_category(), fmt::format("cannot write '{}'", path.string()));
    const fs::path link = fs::read_symlink(p);
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  return fs::weakly_canonical(p);
}

std::optional<std::string> cannot_make_folder(const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = folder;
  while (!fs::exists(dir, ec) && dir.has_relative_path()) dir = dir.parent_path();
  if (!fs::is_directory(dir, ec)) return fmt::format("{} is not a folder", dir.string());
  if (::access(dir.c_str(), W_OK) != 0) {
    return fmt::format("folder {} is not writable: {}", dir.string(), std::strerror(errno));
  }
  return std::nullopt;
}

std::optional<std::string> cannot_write(const std::filesystem::path& target) {
  std::error_code ec;
  if (std::filesystem::is_directory(target, ec)) return fmt::format("{} is a folder", target.string());
  return cannot_make_folder(target.parent_path());
}

void write_file_atomically(const std::filesystem::path& path,
                           std::span<const unsigned char> bytes) {
  AtomicFile out(path);
  out.write(bytes);
  out.commit();
}

}  // namespace tessera::detail
