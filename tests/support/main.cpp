// The test programs' main: doctest, then the cleanups tests registered, before exit. OpenCL
// objects must be released before the drivers' own static destructors run (Oclgrind's LLVM
// crashes otherwise), so shared fixtures are destroyed here rather than as statics.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "support/fixture.hpp"

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  tessera::test::run_cleanups();
  return result;
}
