#include "cli/oclgrind_log.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace tessera::cli {

OclgrindLog::OclgrindLog(bool enabled) {
  if (!enabled) return;
  if (const char* user = std::getenv("OCLGRIND_LOG"); user != nullptr && *user != '\0') {
    path_ = user;
    std::ifstream in(path_, std::ios::binary | std::ios::ate);
    if (in) read_ = static_cast<std::size_t>(in.tellg());
  } else {
    std::string name = "/tmp/tessera-oclgrind-XXXXXX";
    const int fd = ::mkstemp(name.data());
    if (fd < 0) return;
    ::close(fd);
    path_ = name;
    own_ = true;
    ::setenv("OCLGRIND_LOG", path_.c_str(), 1);
  }
  ::setenv("OCLGRIND_CHECK_API", "1", 0);
}

OclgrindLog::~OclgrindLog() {
  if (own_) ::unlink(path_.c_str());
}

std::optional<std::string> OclgrindLog::take() {
  if (path_.empty()) return std::nullopt;
  std::ifstream in(path_, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() <= read_) return std::nullopt;
  const std::string fresh = text.substr(read_);
  read_ = text.size();
  const auto start = fresh.find_first_not_of("\r\n");
  if (start == std::string::npos) return std::nullopt;
  return fresh.substr(start, fresh.find_first_of("\r\n", start) - start);
}

}  // namespace tessera::cli
