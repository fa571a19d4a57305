// Bounded reads of regular files.

#include "common/read_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tessera::detail {

FileText read_regular_file(const std::filesystem::path& path, std::uint64_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block the open
  if (fd < 0) return {std::nullopt, std::strerror(errno), errno == ENOENT};
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {std::nullopt, std::strerror(errno)};
  if (S_ISDIR(st.st_mode)) return {std::nullopt, "not a regular file (a folder)"};
  if (!S_ISREG(st.st_mode)) return {std::nullopt, "not a regular file (a device, a pipe or a socket)"};
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > limit) return {std::nullopt, fmt::format("{} bytes; at most {} are read", size, limit)};
  std::string bytes(size, '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ::ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return {std::nullopt, std::strerror(errno)};
    if (n == 0) break;  // shrank while read: what is there
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return {std::move(bytes), {}};
}

}  // namespace tessera::detail
