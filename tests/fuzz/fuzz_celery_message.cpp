// libFuzzer target: what a worker takes from a queue. Every input is read as a task message
// (and its tail for a task id, its text as base64 and as an ISO time): nothing may crash or
// throw, and a message read as a task must read back, one retry further on, from what a retry
// sends.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "fuzz/celery_message_contract.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!tessera::fuzz::celery_message_contract_broken(input).empty()) std::abort();
  return 0;
}
