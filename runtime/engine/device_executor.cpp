// The per-device executor: queues, buffers, events, pipelining.

#include "engine/device_executor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <utility>

#include "common/cl.hpp"
#include "device/device_handle.hpp"
#include "engine/chunk_kernel.hpp"
#include "engine/slab_transfer.hpp"
#include "engine/write_check.hpp"
#include "observe/notify.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {
namespace {

cl_mem_flags access_flags(Access a) {
  switch (a) {
    case Access::read: return CL_MEM_READ_ONLY;
    case Access::write: return CL_MEM_WRITE_ONLY;
    case Access::read_write: return CL_MEM_READ_WRITE;
  }
  return CL_MEM_READ_WRITE;
}

class Executor {
 public:
  Executor(RunState& run, std::size_t device)
      : run_(run),
        device_(device),
        program_(run.plan.program->per_device[device]),
        info_(program_.device.info()),
        zero_copy_(run.in_place[device]),
        observed_(!run.observers.empty()),
        observed_name_(observed_ ? info_.label() + " " + info_.name : std::string()) {}

  void run(const Chunk& first) {
    const std::size_t pipeline = std::max<std::size_t>(run_.schedule.pipeline, 1);
    setup(pipeline);
    issue(first);
    while (true) {
      while (in_flight_.size() < pipeline) {
        const auto chunk = run_.ledger.take(device_);
        if (!chunk) break;
        issue(*chunk);
      }
      if (in_flight_.empty()) break;
      complete();
    }
    publish_host_outputs();
    // Clean finish: the queues and the kernel object serve the program's next run.
    program_.pool->give_back(lanes_);
    program_.pool->give_back(run_.plan.kernel, std::move(kernel_));
    const DeviceRunStats& s = run_.device_stats[device_];
    if (calibrated_static(run_.schedule) && s.busy_s > 0 && !run_.ledger.cancelled()) {
      run_.plan.program->history.record(run_.plan.kernel, run_.plan.global.to_string(), device_,
                                        static_cast<double>(s.items) / s.busy_s);
    }
  }

  // After an error: wait for everything enqueued, so no command touches host memory later.
  void drain() noexcept {
    for (cl::CommandQueue* q : {&lanes_.write, &lanes_.kernel, &lanes_.read}) {
      if ((*q)() != nullptr) q->finish();
    }
  }

 private:
  // Where a split or halo buffer's bytes are on the device for one chunk: a device buffer that
  // holds the host array's bytes from `origin` on.
  struct ChunkBuffer {
    cl::Buffer buffer;
    std::size_t origin = 0;
    bool host_window = false;  // a buffer made for this chunk over host memory (windowed zero-copy)
  };

  struct InFlight {
    Chunk chunk;
    cl::Event kernel;
    std::vector<cl::Event> done;  // the chunk is finished when these are
    std::size_t slot = 0;         // its pipeline slot: which private copies and windows it uses
    // Reduce and scatter buffers: (plan buffer, the chunk's private copy read back).
    std::vector<std::pair<std::size_t, std::vector<unsigned char>>> private_copies;
    std::vector<ChunkBuffer> buffers;  // per plan buffer (split and halo roles)
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    // Observed runs only: the transfers of the chunk, with their bytes.
    std::vector<std::pair<cl::Event, std::uint64_t>> writes;
    std::vector<std::pair<cl::Event, std::uint64_t>> reads;
  };

  const std::string& name() const { return info_.name; }

  // A buffer's access as the device sees it: a checked run lets the kernel write anything, so
  // that what it writes to an input is seen rather than dropped by the device.
  cl_mem_flags buffer_flags(Access a) const { return run_.checking ? CL_MEM_READ_WRITE : access_flags(a); }

  void set_arg(std::size_t index, const cl::Buffer& buffer) {
    check(kernel_.setArg(static_cast<cl_uint>(index), buffer), "clSetKernelArg", name());
  }

  void setup(std::size_t pipeline) {
    lanes_ = program_.pool->take_lanes();
    kernel_ = program_.pool->take_kernel(run_.plan.kernel);
    const LaunchPlan& plan = run_.plan;
    for (std::size_t i = 0; i < plan.args.size(); ++i) {
      if (const auto* s = std::get_if<Scalar>(&plan.args[i])) {
        check(kernel_.setArg(static_cast<cl_uint>(i), s->size(), s->data()), "clSetKernelArg", name());
      } else if (const auto* l = std::get_if<LocalArg>(&plan.args[i])) {
        check(kernel_.setArg(static_cast<cl_uint>(i), cl::Local(l->bytes)), "clSetKernelArg", name());
      }
    }
    whole_buffers_.resize(plan.buffers.size());
    slot_buffers_.resize(plan.buffers.size());
    reduce_identities_.resize(plan.buffers.size());
    for (std::size_t b = 0; b < plan.buffers.size(); ++b) setup_buffer(b, pipeline);
    for (std::size_t s = 0; s < pipeline; ++s) free_slots_.push_back(s);
    if (observed_) calibrate_clock();
  }

  // Observed runs: the offset from this device's profiling clock to the host clock, from a
  // marker's completion against the host clock read around it (error: half the round trip).
  void calibrate_clock() {
    const std::uint64_t before = host_clock_ns();
    cl::Event marker;
    check(clEnqueueMarkerWithWaitList(kernel_lane_(), 0, nullptr, &marker()), "clEnqueueMarkerWithWaitList", name());
    check(marker.wait(), "clWaitForEvents", name());
    const std::uint64_t after = host_clock_ns();
    const std::uint64_t end = profiling_ns(marker, CL_PROFILING_COMMAND_END);
    clock_offset_ns_ = static_cast<std::int64_t>(before / 2 + after / 2) - static_cast<std::int64_t>(end);
  }

  std::uint64_t host_time(const cl::Event& e, cl_profiling_info what) const {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(profiling_ns(e, what)) + clock_offset_ns_);
  }

  // Observed runs: finished chunk f, with its commands on the host clock, to every observer.
  void report_chunk(const InFlight& f) {
    ChunkEvent e;
    e.launch = run_.launch_number;
    e.kernel = run_.plan.kernel;
    e.device = device_;
    e.device_info = &program_.device;
    e.device_name = observed_name_;
    e.chunk = f.chunk;
    const auto command = [&](Lane lane, const cl::Event& ev, std::uint64_t bytes) {
      e.commands.push_back({lane, host_time(ev, CL_PROFILING_COMMAND_START), host_time(ev, CL_PROFILING_COMMAND_END), bytes});
    };
    for (const auto& [ev, bytes] : f.writes) command(Lane::write, ev, bytes);
    command(Lane::kernel, f.kernel, 0);
    for (const auto& [ev, bytes] : f.reads) command(Lane::read, ev, bytes);
    for (const auto& o : run_.observers) notify(*o, [&](Observer& x) { x.on_chunk(e); });
  }

  // Buffer b's device memory for the run: one buffer per pipeline slot (reduce and scatter
  // copies, also on zero-copy devices; windows on devices that copy), none (windows over host
  // memory, made per chunk), or one buffer over the whole array (in place on zero-copy devices;
  // whole buffers are written once, here).
  void setup_buffer(std::size_t b, std::size_t pipeline) {
    const LaunchPlan& plan = run_.plan;
    const BufferPlan& bp = plan.buffers[b];
    const BufferArg& arg = bp.buffer;
    const bool sliced = arg.role() == BufferArg::Role::split || arg.role() == BufferArg::Role::halo;
    cl_int status = CL_SUCCESS;
    if ((plan.windowed && sliced) || bp.private_copies()) {
      if (plan.windowed && sliced && zero_copy_) return;  // a buffer over the host window per chunk
      if (arg.role() == BufferArg::Role::reduce) reduce_identities_[b] = reduce_identity(arg.type(), arg.reduce_op());
      const bool whole = bp.private_copies();
      const std::size_t bytes =
          whole ? arg.bytes() : (run_.max_chunk[device_] + 2 * plan.halo_max) * bp.unit_bytes();
      const cl_mem_flags flags = whole ? CL_MEM_READ_WRITE : buffer_flags(arg.access());
      for (std::size_t s = 0; s < pipeline; ++s) {
        slot_buffers_[b].emplace_back(program_.context, flags, bytes, nullptr, &status);
        check(status, "clCreateBuffer", name());
      }
      return;
    }
    const cl_mem_flags flags = buffer_flags(arg.access()) | (zero_copy_ ? CL_MEM_USE_HOST_PTR : 0);
    whole_buffers_[b] = cl::Buffer(program_.context, flags, arg.bytes(), zero_copy_ ? arg.data() : nullptr, &status);
    check(status, "clCreateBuffer", name());
    set_arg(bp.arg, whole_buffers_[b]);
    if (!zero_copy_ && arg.role() == BufferArg::Role::whole) {
      cl::Event e;
      check(write_lane_.enqueueWriteBuffer(whole_buffers_[b], CL_FALSE, 0, arg.bytes(), arg.data(), nullptr, &e),
            "clEnqueueWriteBuffer", name());
      whole_writes_.push_back(e);
      whole_write_bytes_.push_back(arg.bytes());
      whole_bytes_ += arg.bytes();
    }
  }

  // Chunk c: its inputs on the write lane, its kernel on the kernel lane once they are in, its
  // outputs on the read lane once it ran.
  void issue(const Chunk& c) {
    InFlight f{c};
    f.slot = free_slots_.back();
    free_slots_.pop_back();
    if (run_.checking) {
      run_checked(f);
    } else {
      enqueue_kernel(f, enqueue_inputs(f));
    }
    enqueue_outputs(f);
    for (cl::CommandQueue* q : {&write_lane_, &kernel_lane_, &read_lane_}) check(q->flush(), "clFlush", name());
    in_flight_.push_back(std::move(f));
  }

  // What chunk f reads, written to the device (or, for reduce copies, filled with the op's
  // identity; scatter copies get the whole host array, its contents before the launch, which
  // nothing changes while the run lasts); the events the kernel waits for. The first chunk also
  // waits for the whole-buffer writes of setup.
  std::vector<cl::Event> enqueue_inputs(InFlight& f) {
    const LaunchPlan& plan = run_.plan;
    const std::size_t a = f.chunk.offset, b = f.chunk.offset + f.chunk.size;
    if (observed_) {
      for (std::size_t w = 0; w < whole_writes_.size(); ++w) f.writes.emplace_back(whole_writes_[w], whole_write_bytes_[w]);
    }
    whole_write_bytes_.clear();
    std::vector<cl::Event> inputs = std::move(whole_writes_);
    whole_writes_.clear();
    f.bytes_in += std::exchange(whole_bytes_, 0);
    const auto [base, top] = window_of(f.chunk);
    f.buffers.resize(plan.buffers.size());
    for (std::size_t k = 0; k < plan.buffers.size(); ++k) {
      const BufferPlan& bp = plan.buffers[k];
      const BufferArg& arg = bp.buffer;
      cl::Event e;
      if (arg.role() == BufferArg::Role::reduce) {
        const std::vector<unsigned char>& identity = reduce_identities_[k];
        const cl::Buffer& copy = slot_buffers_[k][f.slot];
        check(clEnqueueFillBuffer(write_lane_(), copy(), identity.data(), identity.size(), 0, arg.bytes(), 0, nullptr,
                                  &e()),
              "clEnqueueFillBuffer", name());
        inputs.push_back(e);
        set_arg(bp.arg, copy);
        continue;
      }
      if (arg.role() == BufferArg::Role::scatter) {
        const cl::Buffer& copy = slot_buffers_[k][f.slot];
        check(write_lane_.enqueueWriteBuffer(copy, CL_FALSE, 0, arg.bytes(), arg.data(), nullptr, &e),
              "clEnqueueWriteBuffer", name());
        inputs.push_back(e);
        set_arg(bp.arg, copy);
        if (observed_) f.writes.emplace_back(e, arg.bytes());
        f.bytes_in += arg.bytes();
        continue;
      }
      if (arg.role() == BufferArg::Role::whole) continue;
      const ChunkBuffer& cb = f.buffers[k] = chunk_buffer(k, f.slot, base, top);
      if (plan.windowed) set_arg(bp.arg, cb.buffer);
      if (zero_copy_ || !bp.reads()) continue;
      const Slab slab = bp.read_slab(a, b);
      enqueue_write_slab(write_lane_, cb.buffer, cb.origin, slab, arg.data(), nullptr, e, name());
      inputs.push_back(e);
      if (observed_) f.writes.emplace_back(e, slab.bytes());
      f.bytes_in += slab.bytes();
    }
    if (plan.window_base_arg) set_window_base(*plan.window_base_arg, base);
    return inputs;
  }

  // The indices [base, top) whose bytes chunk c's split and halo buffers hold on the device:
  // windowed launches hold the chunk and its halo only, the others the whole range.
  std::pair<std::size_t, std::size_t> window_of(const Chunk& c) const {
    const LaunchPlan& plan = run_.plan;
    const std::size_t a = c.offset, b = c.offset + c.size;
    const std::size_t base = plan.windowed ? a - std::min(a, plan.halo_max) : 0;
    return {base, std::min(plan.global.split_extent(), b + plan.halo_max)};
  }

  // A checked chunk (RunState::checking; devices copy, one chunk in flight): the kernel runs once
  // over each guard pattern, and after each run every buffer but the private copies (reduce,
  // scatter: written anywhere by contract) is read back; what the kernel did to each is judged
  // against its role. The second run is the chunk's result.
  void run_checked(InFlight& f) {
    const LaunchPlan& plan = run_.plan;
    std::vector<GuardedCopy> copies(plan.buffers.size());
    std::vector<cl::Buffer> device_copies(plan.buffers.size());
    for (std::size_t g = 0; g < 2; ++g) {
      for (std::size_t k = 0; k < plan.buffers.size(); ++k) {
        if (!plan.buffers[k].private_copies()) device_copies[k] = guard(k, f, g, copies[k]);
      }
      enqueue_kernel(f, enqueue_inputs(f));
      for (std::size_t k = 0; k < plan.buffers.size(); ++k) {
        if (device_copies[k]() == nullptr) continue;
        std::vector<unsigned char>& after = copies[k].after[g];
        after.resize(copies[k].before[g].size());
        const std::vector<cl::Event> ran{f.kernel};
        check(read_lane_.enqueueReadBuffer(device_copies[k], CL_TRUE, 0, after.size(), after.data(), &ran),
              "clEnqueueReadBuffer", name());
      }
    }
    const CheckedChunk where{f.chunk, device_, name(), plan.kernel};
    std::vector<WriteFinding> found;
    for (std::size_t k = 0; k < plan.buffers.size(); ++k) {
      if (device_copies[k]() == nullptr) continue;
      const BufferPlan& bp = plan.buffers[k];
      for (auto& w : judge_writes(bp, copies[k], bp.own_slab(f.chunk.offset, f.chunk.offset + f.chunk.size), where)) {
        found.push_back(std::move(w));
      }
    }
    std::lock_guard lock(run_.mutex);
    for (auto& w : found) run_.findings.push_back(std::move(w));
  }

  // Buffer k's device copy for checked chunk f, made to hold guard pattern g (split and halo
  // buffers; the inputs are written over it next) or the host array (whole buffers, which the
  // kernel may have changed in the previous run); what it holds is copy.before[g]. Returns the
  // device buffer, whose byte 0 is the host array's byte copy.origin.
  cl::Buffer guard(std::size_t k, const InFlight& f, std::size_t g, GuardedCopy& copy) {
    const BufferPlan& bp = run_.plan.buffers[k];
    const BufferArg& arg = bp.buffer;
    const auto* host = static_cast<const unsigned char*>(arg.data());
    std::vector<unsigned char>& before = copy.before[g];
    if (arg.role() == BufferArg::Role::whole) {
      before.assign(host, host + arg.bytes());
      check(write_lane_.enqueueWriteBuffer(whole_buffers_[k], CL_TRUE, 0, arg.bytes(), host), "clEnqueueWriteBuffer",
            name());
      return whole_buffers_[k];
    }
    const auto [base, top] = window_of(f.chunk);
    const ChunkBuffer cb = chunk_buffer(k, f.slot, base, top);
    copy.origin = cb.origin;
    const std::size_t bytes = run_.plan.windowed ? (top - base) * bp.unit_bytes() : arg.bytes();
    const unsigned char pattern = guard_byte(k, g);
    before.assign(bytes, pattern);
    cl::Event filled;
    check(clEnqueueFillBuffer(write_lane_(), cb.buffer(), &pattern, 1, 0, bytes, 0, nullptr, &filled()),
          "clEnqueueFillBuffer", name());
    check(filled.wait(), "clWaitForEvents", name());
    if (bp.reads()) {
      bp.read_slab(f.chunk.offset, f.chunk.offset + f.chunk.size).for_each_run([&](std::size_t lo, std::size_t hi) {
        std::copy(host + lo, host + hi, before.begin() + static_cast<std::ptrdiff_t>(lo - cb.origin));
      });
    }
    return cb.buffer;
  }

  void enqueue_kernel(InFlight& f, std::vector<cl::Event> inputs) {
    enqueue_chunk_kernel(kernel_lane_, kernel_, run_.plan, f.chunk.offset, f.chunk.size, std::move(inputs), f.kernel,
                         name());
    f.done.push_back(f.kernel);
  }

  // What chunk f wrote, read back once its kernel ran: reduce and scatter copies whole, split
  // and halo buffers their own slice (devices that copy only).
  void enqueue_outputs(InFlight& f) {
    const LaunchPlan& plan = run_.plan;
    const std::vector<cl::Event> after_kernel{f.kernel};
    for (std::size_t k = 0; k < plan.buffers.size(); ++k) {
      const BufferPlan& bp = plan.buffers[k];
      const BufferArg& arg = bp.buffer;
      cl::Event e;
      if (bp.private_copies()) {
        auto& [index, data] = f.private_copies.emplace_back(k, std::vector<unsigned char>(arg.bytes()));
        check(read_lane_.enqueueReadBuffer(slot_buffers_[k][f.slot], CL_FALSE, 0, arg.bytes(), data.data(),
                                           &after_kernel, &e),
              "clEnqueueReadBuffer", name());
      } else if (!zero_copy_ && bp.writes() && arg.role() != BufferArg::Role::whole) {
        const ChunkBuffer& cb = f.buffers[k];
        enqueue_read_slab(read_lane_, cb.buffer, cb.origin, bp.own_slab(f.chunk.offset, f.chunk.offset + f.chunk.size),
                          arg.data(), &after_kernel, e, name());
      } else {
        continue;
      }
      f.done.push_back(e);
      const std::uint64_t bytes =
          bp.private_copies() ? arg.bytes() : bp.unit_bytes() * bp.outer * f.chunk.size;
      if (observed_) f.reads.emplace_back(e, bytes);
      f.bytes_out += bytes;
    }
  }

  // Where buffer k's bytes for indices [base, top) are on the device for this chunk: the
  // whole-array buffer, a window slot, or (zero-copy) a buffer over the host window itself.
  ChunkBuffer chunk_buffer(std::size_t k, std::size_t slot, std::size_t base, std::size_t top) {
    if (!run_.plan.windowed) return {whole_buffers_[k], 0, false};
    const BufferPlan& bp = run_.plan.buffers[k];
    const std::size_t origin = base * bp.unit_bytes();
    if (!zero_copy_) return {slot_buffers_[k][slot], origin, false};
    cl_int status = CL_SUCCESS;
    cl::Buffer window(program_.context, access_flags(bp.buffer.access()) | CL_MEM_USE_HOST_PTR,
                      (top - base) * bp.unit_bytes(), static_cast<unsigned char*>(bp.buffer.data()) + origin, &status);
    check(status, "clCreateBuffer", name());
    return {window, origin, true};
  }

  void set_window_base(std::size_t arg, std::size_t base) {
    const std::uint64_t wide = base;
    const auto narrow = static_cast<std::uint32_t>(base);
    const bool is_wide = run_.plan.window_base_bytes == 8;
    check(kernel_.setArg(static_cast<cl_uint>(arg), is_wide ? 8 : 4,
                         is_wide ? static_cast<const void*>(&wide) : static_cast<const void*>(&narrow)),
          "clSetKernelArg", name());
  }

  void complete() {
    InFlight f = std::move(in_flight_.front());
    in_flight_.pop_front();
    check(cl::Event::waitForEvents(f.done), "clWaitForEvents", name());
    for (std::size_t k = 0; k < f.buffers.size(); ++k) {
      if (f.buffers[k].host_window && run_.plan.buffers[k].writes()) publish(f.buffers[k].buffer);
    }
    free_slots_.push_back(f.slot);
    record(f);
    if (observed_) report_chunk(f);
  }

  // The finished chunk in the ledger, the device's statistics and the run's records.
  void record(InFlight& f) {
    ChunkRecord r;
    r.chunk = f.chunk;
    r.queued_ns = profiling_ns(f.kernel, CL_PROFILING_COMMAND_QUEUED);
    r.submit_ns = profiling_ns(f.kernel, CL_PROFILING_COMMAND_SUBMIT);
    r.start_ns = profiling_ns(f.kernel, CL_PROFILING_COMMAND_START);
    r.end_ns = profiling_ns(f.kernel, CL_PROFILING_COMMAND_END);
    r.bytes_in = f.bytes_in;
    r.bytes_out = f.bytes_out;
    r.host_done_s = run_.seconds_since_start();
    run_.ledger.report(device_, f.chunk.size);

    DeviceRunStats& s = run_.device_stats[device_];
    ++s.chunks;
    s.items += f.chunk.size * run_.plan.global.items_per_index();
    s.busy_s += r.end_ns > r.start_ns ? static_cast<double>(r.end_ns - r.start_ns) * 1e-9 : 0.0;
    s.bytes_in += f.bytes_in;
    s.bytes_out += f.bytes_out;
    s.finished_s = r.host_done_s;
    run_.finished_indices += f.chunk.size;

    std::lock_guard lock(run_.mutex);
    run_.records.push_back(r);
    for (auto& [buffer, data] : f.private_copies) run_.private_copies.push_back({buffer, f.chunk, std::move(data)});
  }

  // Zero-copy outputs: a blocking map makes the device's writes visible in host memory.
  void publish(const cl::Buffer& buffer) {
    cl_int status = CL_SUCCESS;
    const std::size_t bytes = buffer.getInfo<CL_MEM_SIZE>(&status);
    check(status, "clGetMemObjectInfo", name());
    void* p = kernel_lane_.enqueueMapBuffer(buffer, CL_TRUE, CL_MAP_READ, 0, bytes, nullptr, nullptr, &status);
    check(status, "clEnqueueMapBuffer", name());
    check(kernel_lane_.enqueueUnmapMemObject(buffer, p), "clEnqueueUnmapMemObject", name());
  }

  void publish_host_outputs() {
    if (!zero_copy_ || run_.plan.windowed) return;  // windows are published per chunk
    for (std::size_t k = 0; k < run_.plan.buffers.size(); ++k) {
      const BufferPlan& bp = run_.plan.buffers[k];
      if (bp.writes() && !bp.private_copies()) publish(whole_buffers_[k]);
    }
    check(kernel_lane_.finish(), "clFinish", name());
  }

  RunState& run_;
  std::size_t device_;  // index into the program's devices
  const ProgramHandle::DeviceProgram& program_;
  const DeviceInfo& info_;
  bool zero_copy_;
  bool observed_;                    // observers watch the run: commands are timed and reported
  std::string observed_name_;         // observed runs: "LABEL NAME"
  std::int64_t clock_offset_ns_ = 0;  // host clock minus this device's profiling clock

  Lanes lanes_;
  cl::CommandQueue& write_lane_ = lanes_.write;
  cl::CommandQueue& kernel_lane_ = lanes_.kernel;
  cl::CommandQueue& read_lane_ = lanes_.read;
  cl::Kernel kernel_;
  std::vector<cl::Buffer> whole_buffers_;             // per plan buffer: over the entire array (not reduce, scatter)
  std::vector<std::vector<cl::Buffer>> slot_buffers_;  // per plan buffer, per slot: private copies, windows
  std::vector<std::vector<unsigned char>> reduce_identities_;  // reduce buffers: the fill pattern
  std::vector<std::size_t> free_slots_;
  std::vector<cl::Event> whole_writes_;  // setup's writes of whole buffers; the first chunk waits
  std::vector<std::uint64_t> whole_write_bytes_;  // their sizes
  std::uint64_t whole_bytes_ = 0;
  std::deque<InFlight> in_flight_;
};

}  // namespace

void run_device(RunState& run, std::size_t device, const Chunk& first) noexcept {
  std::optional<Executor> executor;
  try {
    executor.emplace(run, device);
    executor->run(first);
  } catch (...) {
    run.fail(std::current_exception());
    if (executor) {
      try {
        executor->drain();
      } catch (...) {
      }
    }
  }
}

}  // namespace tessera::detail
