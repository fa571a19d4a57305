// Holding the process's stderr while OpenCL drivers may write on it.

#include "cli/held_stderr.hpp"

#include <unistd.h>

#include <exception>
#include <regex>
#include <sstream>
#include <string>

namespace tessera::cli {
namespace {

bool holding = false;
std::string deferred;  // held text of holds ended by an exception

// A copy of the process's stderr, made before the first hold and never closed.
int real_stderr() {
  static const int fd = ::dup(STDERR_FILENO);
  return fd >= 0 ? fd : STDERR_FILENO;
}

// Clang's closing count: "1 error generated.", "2 warnings and 1 error generated."
bool is_compiler_count(const std::string& line) {
  static const std::regex count(R"([0-9]+ (warnings?( and [0-9]+ errors?)?|errors?) generated\.)");
  return std::regex_match(line, count);
}

std::string without_compiler_counts(std::FILE* file) {
  std::string text;
  std::rewind(file);
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) text.append(buffer, n);
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!is_compiler_count(line)) out += line + '\n';
  }
  return out;
}

}  // namespace

HeldStderr::HeldStderr() : exceptions_(std::uncaught_exceptions()) {
  const int real = real_stderr();
  if (holding || real == STDERR_FILENO) return;
  std::FILE* file = std::tmpfile();
  if (file == nullptr) return;
  std::fflush(stderr);
  if (::dup2(::fileno(file), STDERR_FILENO) < 0) {
    std::fclose(file);
    return;
  }
  file_ = file;
  holding = true;
}

HeldStderr::~HeldStderr() { release(); }

void HeldStderr::release() {
  if (file_ == nullptr) return;
  std::fflush(stderr);
  ::dup2(real_stderr(), STDERR_FILENO);
  holding = false;
  const std::string text = without_compiler_counts(file_);
  std::fclose(file_);
  file_ = nullptr;
  if (std::uncaught_exceptions() > exceptions_) {
    deferred += text;
  } else {
    std::fputs(text.c_str(), stderr);
  }
}

void print_held_stderr() {
  std::fputs(deferred.c_str(), stderr);
  deferred.clear();
}

void write_stderr_now(std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ::ssize_t n = ::write(real_stderr(), text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace tessera::cli
