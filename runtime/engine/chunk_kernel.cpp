// One chunk's kernel as commands: whole work-groups, then the remainder.

#include "engine/chunk_kernel.hpp"

namespace tessera::detail {
namespace {

cl::NDRange make_range(std::size_t dims, const std::size_t (&v)[3]) {
  if (dims == 1) return cl::NDRange(v[0]);
  if (dims == 2) return cl::NDRange(v[0], v[1]);
  return cl::NDRange(v[0], v[1], v[2]);
}

// One kernel enqueue over indices [offset, offset + size) of the split dimension (counted from
// the launch's offset), with
// `split_local` as the local size along it.
void enqueue_range(const cl::CommandQueue& queue, const cl::Kernel& kernel, const LaunchPlan& plan, std::size_t offset,
                   std::size_t size, std::size_t split_local, const std::vector<cl::Event>& inputs, cl::Event& event,
                   const std::string& device) {
  const NDRange& g = plan.global;
  const std::size_t dims = g.dims();
  const NDRange& o = plan.offset;
  std::size_t off[3] = {o[0], o[1], o[2]};
  std::size_t global[3] = {g[0], g[1], g[2]};
  std::size_t local[3] = {(*plan.local)[0], (*plan.local)[1], (*plan.local)[2]};
  off[dims - 1] += offset;
  global[dims - 1] = size;
  local[dims - 1] = split_local;
  check(queue.enqueueNDRangeKernel(kernel, make_range(dims, off), make_range(dims, global), make_range(dims, local),
                                   inputs.empty() ? nullptr : &inputs, &event),
        "clEnqueueNDRangeKernel", device);
}

}  // namespace

void enqueue_chunk_kernel(const cl::CommandQueue& queue, const cl::Kernel& kernel, const LaunchPlan& plan,
                          std::size_t offset, std::size_t size, std::vector<cl::Event> inputs, cl::Event& event,
                          const std::string& device) {
  const std::size_t granule = plan.granule;
  const std::size_t aligned = size / granule * granule;
  if (aligned > 0) enqueue_range(queue, kernel, plan, offset, aligned, granule, inputs, event, device);
  if (aligned < size) {
    if (aligned > 0) inputs = {event};
    enqueue_range(queue, kernel, plan, offset + aligned, size - aligned, size - aligned, inputs, event, device);
  }
}

}  // namespace tessera::detail
