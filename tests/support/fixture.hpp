#pragma once
// A fixture shared by the test cases of one program, built on first use and destroyed before
// main returns (see main.cpp).

#include <functional>
#include <memory>

namespace tessera::test {

/// Registers `cleanup` to run after the tests, in reverse order of registration.
void at_end(std::function<void()> cleanup);
void run_cleanups();

template <typename T>
T& shared_fixture() {
  static std::unique_ptr<T> instance;
  if (!instance) {
    instance = std::make_unique<T>();
    at_end([] { instance.reset(); });
  }
  return *instance;
}

}  // namespace tessera::test
