// libFuzzer target: the tessera command's command line. The input is split into arguments at
// every NUL and newline and parsed, never run; the parse must keep the contract of
// command_line_contract.hpp. Any other exception, a crash or a hang is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "command_line_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const std::string broken =
        tessera::fuzz::command_line_contract_broken(tessera::fuzz::arguments_of(input));
    if (!broken.empty()) {
      std::fprintf(stderr, "contract broken: %s\n", broken.c_str());
      std::abort();
    }
  } catch (const std::bad_alloc&) {
  }
  return 0;
}
