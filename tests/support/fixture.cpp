#include "support/fixture.hpp"

#include <vector>

namespace tessera::test {
namespace {
std::vector<std::function<void()>>& cleanups() {
  static std::vector<std::function<void()>> list;
  return list;
}
}  // namespace

void at_end(std::function<void()> cleanup) { cleanups().push_back(std::move(cleanup)); }

void run_cleanups() {
  auto& list = cleanups();
  while (!list.empty()) {
    auto last = std::move(list.back());
    list.pop_back();
    last();
  }
}

}  // namespace tessera::test
