#include "engine/device_pool.hpp"

#include "tessera/error.hpp"

namespace tessera::detail {

DevicePool::DevicePool(cl::Context context, cl::Device device, cl::Program program, std::string label)
    : context_(std::move(context)),
      device_(std::move(device)),
      program_(std::move(program)),
      label_(std::move(label)) {}

Lanes DevicePool::take_lanes() {
  {
    std::lock_guard lock(mutex_);
    if (!lanes_.empty()) {
      Lanes l = std::move(lanes_.back());
      lanes_.pop_back();
      return l;
    }
  }
  Lanes l;
  cl_int status = CL_SUCCESS;
  for (cl::CommandQueue* q : {&l.write, &l.kernel, &l.read}) {
    *q = cl::CommandQueue(context_, device_, CL_QUEUE_PROFILING_ENABLE, &status);
    check(status, "clCreateCommandQueue", label_);
  }
  return l;
}

void DevicePool::give_back(Lanes lanes) {
  std::lock_guard lock(mutex_);
  lanes_.push_back(std::move(lanes));
}

cl::Kernel DevicePool::take_kernel(const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = kernels_.find(name); it != kernels_.end() && !it->second.empty()) {
      cl::Kernel k = std::move(it->second.back());
      it->second.pop_back();
      return k;
    }
  }
  cl_int status = CL_SUCCESS;
  cl::Kernel k(program_, name.c_str(), &status);
  check(status, "clCreateKernel", label_);
  return k;
}

void DevicePool::give_back(const std::string& name, cl::Kernel kernel) {
  std::lock_guard lock(mutex_);
  kernels_[name].push_back(std::move(kernel));
}

std::size_t DevicePool::work_group_size(const std::string& name) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = work_group_size_.find(name); it != work_group_size_.end()) return it->second;
  }
  cl::Kernel k = take_kernel(name);
  std::size_t size = 0;
  check(k.getWorkGroupInfo(device_, CL_KERNEL_WORK_GROUP_SIZE, &size), "clGetKernelWorkGroupInfo", label_);
  give_back(name, std::move(k));
  std::lock_guard lock(mutex_);
  work_group_size_[name] = size;
  return size;
}

}  // namespace tessera::detail
