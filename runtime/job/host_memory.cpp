#include "job/host_memory.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <mutex>
#include <optional>

namespace tessera::detail {
namespace {

// A cgroup limit file's value; nothing when it is absent or says "max".
std::optional<std::uint64_t> cgroup_limit(const char* path) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[32] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  std::uint64_t value = 0;
  const char* end = text + std::max<ssize_t>(n, 0);
  const auto [at, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || at == text) return std::nullopt;
  return value;
}

void lower(HostMemory& m, std::optional<std::uint64_t> bytes, const char* limit) {
  if (bytes && *bytes < m.bytes) m = {*bytes, limit};
}

std::optional<std::uint64_t> resource_limit(int resource) {
  ::rlimit r{};
  if (::getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<std::uint64_t>(r.rlim_cur);
}

HostMemory read_host_memory() {
  HostMemory m{UINT64_MAX, "no limit"};
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) {
    lower(m, static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page), "physical memory");
  }
  lower(m, cgroup_limit("/sys/fs/cgroup/memory.max"), "the cgroup's memory.max");
  lower(m, cgroup_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"), "the cgroup's memory limit");
  lower(m, resource_limit(RLIMIT_AS), "the address-space limit (ulimit -v)");
  lower(m, resource_limit(RLIMIT_DATA), "the data-segment limit (ulimit -d)");
  return m;
}

}  // namespace

HostMemory host_memory() {
  using clock = std::chrono::steady_clock;
  static std::mutex mutex;
  static std::optional<std::pair<clock::time_point, HostMemory>> last;
  const auto now = clock::now();
  const std::lock_guard lock(mutex);
  if (!last || now - last->first >= std::chrono::seconds(1)) last.emplace(now, read_host_memory());
  return last->second;
}

}  // namespace tessera::detail
