#pragma once
// How much memory a job's host arrays may take on this machine.

#include <cstdint>
#include <string>

namespace tessera::detail {

struct HostMemory {
  std::uint64_t bytes = 0;  ///< the smallest of the limits below that applies
  std::string limit;        ///< which limit that is, in words ("physical memory", ...)
};

/// The memory this process can hold: the least of physical memory, the cgroup's memory limit
/// (v2 memory.max or v1 memory.limit_in_bytes) and the address-space and data-segment rlimits.
/// Read at most once a second (a worker loads a job per task; limits rarely change, and one
/// changed is seen a second later at most); thread-safe; never throws.
HostMemory host_memory();

}  // namespace tessera::detail
