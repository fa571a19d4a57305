// A launch over arrays as a launch over host copies of them.

#include "tasks/host_copies.hpp"

namespace tessera::detail {

HostCopies::HostCopies(const Launch& launch)
    : launch_(launch.program(), launch.kernel(), launch.global(), launch.local()) {
  if (launch.offset()) launch_.offset(*launch.offset());
  std::size_t buffers = 0;
  for (const auto& a : launch.args()) buffers += std::holds_alternative<BufferArg>(a) ? 1 : 0;
  copies_.reserve(buffers);  // stable addresses for the host arrays below
  for (const auto& a : launch.args()) {
    const auto* b = std::get_if<BufferArg>(&a);
    if (b == nullptr) {
      std::visit([this](const auto& v) { launch_.arg(v); }, a);
      continue;
    }
    std::vector<unsigned char>& copy = copies_.emplace_back(b->array().bytes());
    b->array().read_bytes(copy.data(), copy.size());
    launch_.arg(b->on_host(copy.data()));
    if (b->access() != Access::read) {
      written_.push_back(b->array());
      written_copy_.push_back(copies_.size() - 1);
    }
  }
}

void HostCopies::write_back() {
  for (std::size_t i = 0; i < written_.size(); ++i) {
    written_[i].write_bytes(copies_[written_copy_[i]].data(), copies_[written_copy_[i]].size());
  }
}

}  // namespace tessera::detail
