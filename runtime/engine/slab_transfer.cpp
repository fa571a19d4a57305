// A Slab's bytes moved in one command.

#include "engine/slab_transfer.hpp"


namespace tessera::detail {
namespace {

// The rectangle of a slab with several runs: origins in (byte in row, row, 0) and its region.
struct Rect {
  cl::array<cl::size_type, 3> origin;
  cl::array<cl::size_type, 3> region;
};

Rect rect_of(const Slab& slab) {
  return {{slab.offset % slab.pitch, slab.offset / slab.pitch, 0}, {slab.row_bytes, slab.rows, 1}};
}

}  // namespace

void enqueue_write_slab(const cl::CommandQueue& queue, const cl::Buffer& buffer, std::size_t origin, const Slab& slab,
                        const void* host, const std::vector<cl::Event>* after, cl::Event& event,
                        const std::string& device) {
  if (slab.rows == 1) {
    check(queue.enqueueWriteBuffer(buffer, CL_FALSE, slab.offset - origin, slab.row_bytes,
                                   static_cast<const unsigned char*>(host) + slab.offset, after, &event),
          "clEnqueueWriteBuffer", device);
    return;
  }
  const Rect r = rect_of(slab);
  check(queue.enqueueWriteBufferRect(buffer, CL_FALSE, r.origin, r.origin, r.region, slab.pitch, 0, slab.pitch, 0,
                                     host, after, &event),
        "clEnqueueWriteBufferRect", device);
}

void enqueue_read_slab(const cl::CommandQueue& queue, const cl::Buffer& buffer, std::size_t origin, const Slab& slab,
                       void* host, const std::vector<cl::Event>* after, cl::Event& event, const std::string& device) {
  if (slab.rows == 1) {
    check(queue.enqueueReadBuffer(buffer, CL_FALSE, slab.offset - origin, slab.row_bytes,
                                  static_cast<unsigned char*>(host) + slab.offset, after, &event),
          "clEnqueueReadBuffer", device);
    return;
  }
  const Rect r = rect_of(slab);
  check(queue.enqueueReadBufferRect(buffer, CL_FALSE, r.origin, r.origin, r.region, slab.pitch, 0, slab.pitch, 0, host,
                                    after, &event),
        "clEnqueueReadBufferRect", device);
}

}  // namespace tessera::detail
