// libFuzzer target: the job-file parser and validator on arbitrary text. Every input must either
// give a JobSpec or be refused with one JobError whose place lies inside the text (or is absent);
// any other exception, or a crash, is a bug.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>

#include "job/job_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<std::uint32_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  try {
    const auto spec = tessera::detail::parse_job_spec(text, "fuzz/job.toml", {{"n", 64}});
    if (spec.steps.empty()) std::abort();  // a valid job has at least one step
  } catch (const tessera::JobError& e) {
    if (e.line() > lines) std::abort();
  } catch (const std::bad_alloc&) {
  }
  return 0;
}
