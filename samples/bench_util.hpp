#pragma once
// What the benchmark programs share: reading "--name value" arguments and taking medians.

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessera::bench {

/// Walks argv: `while (args.next()) { if (args.is("--runs")) runs = std::stoi(args.value()); }`.
class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}
  bool next() { return ++i_ < argc_ && (arg_ = argv_[i_], true); }
  bool is(const char* name) const { return arg_ == name; }
  const std::string& arg() const { return arg_; }
  /// The value after the current option; throws std::invalid_argument when there is none.
  std::string value() {
    if (i_ + 1 >= argc_) throw std::invalid_argument(arg_ + " needs a value");
    return argv_[++i_];
  }
  [[noreturn]] void unknown() const { throw std::invalid_argument("unknown argument " + arg_); }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string arg_;
};

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace tessera::bench
