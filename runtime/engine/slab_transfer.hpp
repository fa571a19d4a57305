#pragma once
// Internal: a Slab's bytes between a host array and a device buffer, as one command: a plain
// copy for one run, a rectangular (strided) copy for several.

#include <cstddef>
#include <string>
#include <vector>

#include "common/cl.hpp"
#include "engine/launch_plan.hpp"

namespace tessera::detail {

/// Enqueues, without blocking, the copy of `slab` of the host array `host` into `buffer`, whose
/// byte 0 holds the host array's byte `origin` (origin is 0 when slab has several runs). `event`
/// receives the command. `device` names the device in errors.
void enqueue_write_slab(const cl::CommandQueue& queue, const cl::Buffer& buffer, std::size_t origin, const Slab& slab,
                        const void* host, const std::vector<cl::Event>* after, cl::Event& event,
                        const std::string& device);

/// The same from `buffer` back into the host array.
void enqueue_read_slab(const cl::CommandQueue& queue, const cl::Buffer& buffer, std::size_t origin, const Slab& slab,
                       void* host, const std::vector<cl::Event>* after, cl::Event& event, const std::string& device);

}  // namespace tessera::detail
