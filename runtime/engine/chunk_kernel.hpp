#pragma once
// Internal: one chunk's kernel enqueued, as every executor cuts it into commands.

#include <cstddef>
#include <string>
#include <vector>

#include "common/cl.hpp"
#include "engine/launch_plan.hpp"

namespace tessera::detail {

/// Enqueues `kernel` (its arguments set) over indices [offset, offset + size) of `plan`'s split
/// dimension, counted from the plan's offset, on `queue`, after `inputs`: whole work-groups of
/// the plan's local size, then (the last chunk, when Tessera picked the local size) the
/// remainder as one work-group of its own.
/// `event` receives the last command's event. `device` names the device in errors.
void enqueue_chunk_kernel(const cl::CommandQueue& queue, const cl::Kernel& kernel, const LaunchPlan& plan,
                          std::size_t offset, std::size_t size, std::vector<cl::Event> inputs, cl::Event& event,
                          const std::string& device);

}  // namespace tessera::detail
