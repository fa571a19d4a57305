#pragma once
// A job buffer's values after a run, for tests of the job layer (internal headers: the test
// reaches runtime/).

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "job/job_runner.hpp"

namespace tessera::test {

/// Buffer `name` of `job` as `data` holds it, as values of T (fails the test when there is none).
template <typename T>
std::vector<T> job_values(const detail::JobSpec& job, const detail::JobData& data, const std::string& name) {
  for (std::size_t i = 0; i < job.buffers.size(); ++i) {
    if (job.buffers[i].name != name) continue;
    std::vector<T> out(job.buffers[i].count());
    std::memcpy(out.data(), data.buffers[i].data(), job.buffers[i].bytes());
    return out;
  }
  FAIL("no buffer " << name);
  return {};
}

}  // namespace tessera::test
