// Benchmark: the engine measures of DESIGN.md ("Performance: the measures"), side by side in one
// run, for STREAM triad and Mandelbrot:
//
//   overhead   = T(tessera, Schedule::single()) / T(plain OpenCL C++ program, one enqueue), on
//                the runtime's device 0
//   efficiency = T_ideal / T_coexec, T_ideal = 1 / sum(1 / T_i), T_i = the job alone on device i,
//                for hguided, dynamic(extent / 64) and static
//   dispatch   = chunks per second through tessera (empty kernel, dynamic(1), one-item chunks) /
//                chunks per second of a plain enqueue-and-finish loop on device 0
//   slow       = efficiency with a very slow device added (--slow, default Oclgrind): T(hguided,
//                the devices) / T(hguided, the devices + the slow one); 1 means the slow device
//                cost nothing
//   roofline   = tessera throughput (hguided, every device) / native C++ OpenMP throughput
//
// Each measure is a ratio of medians over --runs repetitions; within a repetition every compared
// variant runs once, in turn, so that machine noise hits them alike. Every output is checked:
// triad against the host formula, Mandelbrot bitwise against the plain OpenCL program's image;
// a wrong result is an error (exit 1).
//
//   bench_engine [--runs N] [--n N] [--size WxH] [--chunks K] [--devices SEL] [--cpu-split N]
//                [--slow SEL] [--only overhead,efficiency,slow,dispatch,roofline] [--json FILE]
//
// Meant for two 1-CU devices:
//   POCL_DEVICES="pthread pthread" POCL_MAX_PTHREAD_COUNT=1 bench_engine
//   bench_engine --cpu-split 1
// Prints a table, then the same as JSON.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CL/opencl.hpp>
#include <nlohmann/json.hpp>
#include <tessera/tessera.hpp>

#include "bench_util.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using tessera::bench::median;

const std::set<std::string> all_measures{"overhead", "efficiency", "slow", "dispatch", "roofline"};

struct Args {
  int runs = 5;
  std::size_t n = std::size_t{1} << 24;  // triad elements
  std::size_t width = 2048;              // Mandelbrot image
  std::size_t height = 2048;
  std::size_t chunks = 20000;  // dispatch: one-item chunks
  std::string devices = "all,-name=oclgrind";
  std::string slow = "name=oclgrind";  // the very slow device the "slow" measure adds
  unsigned cpu_split = 0;
  std::string json_path;
  std::set<std::string> only = all_measures;
};

std::set<std::string> parse_measures(const std::string& list) {
  std::set<std::string> out;
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    if (all_measures.count(name) == 0) {
      throw std::invalid_argument("--only: unknown measure '" + name +
                                  "' (overhead, efficiency, dispatch, roofline)");
    }
    out.insert(name);
    start = comma + 1;
  }
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  tessera::bench::Args args(argc, argv);
  auto value = [&] { return args.value(); };
  while (args.next()) {
    const std::string& arg = args.arg();
    // clang-format off
    if (arg == "--runs") a.runs = std::stoi(value());
    else if (arg == "--n") a.n = std::stoull(value());
    else if (arg == "--size") {
      const std::string v = value();
      const std::size_t x = v.find('x');
      if (x == std::string::npos) throw std::invalid_argument("--size takes WxH, for example 2048x2048");
      a.width = std::stoull(v.substr(0, x));
      a.height = std::stoull(v.substr(x + 1));
    } else if (arg == "--chunks") a.chunks = std::stoull(value());
    else if (arg == "--devices") a.devices = value();
    else if (arg == "--slow") a.slow = value();
    else if (arg == "--cpu-split") a.cpu_split = static_cast<unsigned>(std::stoul(value()));
    else if (arg == "--json") a.json_path = value();
    else if (arg == "--only") a.only = parse_measures(value());
    else args.unknown();
    // clang-format on
  }
  if (a.runs < 1) throw std::invalid_argument("--runs must be at least 1");
  if (a.n == 0 || a.width == 0 || a.height == 0 || a.chunks == 0) {
    throw std::invalid_argument("--n, --size and --chunks must be positive");
  }
  return a;
}

// ---------------------------------------------------------------------------------------------
// Timing

using Clock = std::chrono::steady_clock;

template <typename F>
double seconds_of(F&& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One way of running a job: runs it once and returns the seconds it timed.
using Variant = std::function<double()>;

// Every variant's times over `runs` repetitions, the variants called in turn within each. One
// untimed round first: PoCL compiles a work-group function at the first launch of each local
// size, and first touches fault the pages in.
std::vector<std::vector<double>> interleave(const std::vector<Variant>& variants, int runs) {
  for (const Variant& v : variants) v();
  std::vector<std::vector<double>> times(variants.size());
  for (int r = 0; r < runs; ++r) {
    for (std::size_t i = 0; i < variants.size(); ++i) times[i].push_back(variants[i]());
  }
  return times;
}

// ---------------------------------------------------------------------------------------------
// Host arrays

// Host arrays start on a page boundary, so that CL_MEM_USE_HOST_PTR can use them in place on
// either side. PoCL uses any pointer in place; other drivers (Intel's, for one) copy host memory
// that is not 4 KiB aligned, which tessera would pay inside its timed run and the plain program
// outside.
template <typename T>
struct PageAllocator {
  using value_type = T;
  static constexpr std::align_val_t page{4096};
  PageAllocator() = default;
  template <typename U>
  PageAllocator(const PageAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), page)); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, page); }
  friend bool operator==(const PageAllocator&, const PageAllocator&) noexcept { return true; }
};

template <typename T>
using HostArray = std::vector<T, PageAllocator<T>>;

// ---------------------------------------------------------------------------------------------
// The plain OpenCL C++ program: the baseline of overhead and dispatch

void cl_check(cl_int status, const char* call) {
  if (status != CL_SUCCESS) {
    throw std::runtime_error(
        fmt::format("plain OpenCL: {} failed: {}", call, tessera::cl_status_name(status)));
  }
}

template <typename T>
void set_arg(cl::Kernel& kernel, cl_uint index, const T& value) {
  cl_check(kernel.setArg(index, value), "clSetKernelArg");
}

// The OpenCL device that tessera describes by `info`. Tessera's public API does not hand out its
// cl_device_id, so root devices are found again by discovery index (platforms in order, then
// their devices, as tessera enumerates them) and sub-devices by splitting the root device the
// way RuntimeOptions::cpu_split does.
cl::Device find_cl_device(const tessera::DeviceInfo& info, unsigned cpu_split) {
  std::vector<cl::Platform> platforms;
  cl_check(cl::Platform::get(&platforms), "clGetPlatformIDs");
  std::vector<cl::Device> roots;
  for (const cl::Platform& platform : platforms) {
    std::vector<cl::Device> devices;
    if (platform.getDevices(CL_DEVICE_TYPE_ALL, &devices) == CL_SUCCESS) {
      roots.insert(roots.end(), devices.begin(), devices.end());
    }
  }
  if (info.index >= roots.size() ||
      roots[info.index].getInfo<CL_DEVICE_NAME>().c_str() != info.name) {
    throw std::runtime_error(
        fmt::format("plain OpenCL: cannot find tessera's device {} '{}'", info.label(), info.name));
  }
  if (info.sub_device < 0) return roots[info.index];
  const cl_device_partition_property equally[] = {
      CL_DEVICE_PARTITION_EQUALLY, static_cast<cl_device_partition_property>(cpu_split), 0};
  std::vector<cl::Device> parts;
  cl_check(roots[info.index].createSubDevices(equally, &parts), "clCreateSubDevices");
  if (static_cast<std::size_t>(info.sub_device) >= parts.size()) {
    throw std::runtime_error(
        fmt::format("plain OpenCL: device {} has no sub-device {}", info.index, info.sub_device));
  }
  return parts[static_cast<std::size_t>(info.sub_device)];
}

struct PlainDevice {
  cl::Device device;
  cl::Context context;
  cl::CommandQueue queue;
};

PlainDevice plain_device(const tessera::DeviceInfo& info, unsigned cpu_split) {
  PlainDevice d{find_cl_device(info, cpu_split), {}, {}};
  cl_int status = CL_SUCCESS;
  d.context = cl::Context(d.device, nullptr, nullptr, nullptr, &status);
  cl_check(status, "clCreateContext");
  d.queue = cl::CommandQueue(d.context, d.device, 0, &status);
  cl_check(status, "clCreateCommandQueue");
  return d;
}

cl::Kernel plain_kernel(const PlainDevice& d, const std::string& source, const char* name) {
  cl_int status = CL_SUCCESS;
  cl::Program program(d.context, source, false, &status);
  cl_check(status, "clCreateProgramWithSource");
  if (program.build(std::vector<cl::Device>{d.device}) != CL_SUCCESS) {
    throw std::runtime_error(fmt::format("plain OpenCL: '{}' does not build:\n{}", name,
                                         program.getBuildInfo<CL_PROGRAM_BUILD_LOG>(d.device)));
  }
  cl::Kernel kernel(program, name, &status);
  cl_check(status, "clCreateKernel");
  return kernel;
}

template <typename T>
cl::Buffer plain_buffer(const PlainDevice& d, cl_mem_flags access, HostArray<T>& host) {
  cl_int status = CL_SUCCESS;
  cl::Buffer buffer(d.context, access | CL_MEM_USE_HOST_PTR, host.size() * sizeof(T), host.data(),
                    &status);
  cl_check(status, "clCreateBuffer");
  return buffer;
}

// A kernel with its arguments set, over host arrays wrapped with CL_MEM_USE_HOST_PTR.
struct PlainLaunch {
  cl::Kernel kernel;
  std::vector<cl::Buffer> buffers;
  cl::NDRange global;
  std::size_t output = 0;  // the buffer the kernel writes
  std::size_t output_bytes = 0;
};

// One plain run. Context, queue, program, kernel and buffers exist before; timed are the
// clEnqueueNDRangeKernel (local size left to the driver, as a plain program does), a blocking
// map and unmap of the output (what makes a CL_MEM_USE_HOST_PTR result valid in host memory;
// tessera maps its outputs too) and clFinish.
double plain_run(const PlainDevice& d, const PlainLaunch& p) {
  return seconds_of([&] {
    cl_check(d.queue.enqueueNDRangeKernel(p.kernel, cl::NullRange, p.global, cl::NullRange),
             "clEnqueueNDRangeKernel");
    cl_int status = CL_SUCCESS;
    void* mapped = d.queue.enqueueMapBuffer(p.buffers[p.output], CL_TRUE, CL_MAP_READ, 0,
                                            p.output_bytes, nullptr, nullptr, &status);
    cl_check(status, "clEnqueueMapBuffer");
    cl_check(d.queue.enqueueUnmapMemObject(p.buffers[p.output], mapped), "clEnqueueUnmapMemObject");
    cl_check(d.queue.finish(), "clFinish");
  });
}

// ---------------------------------------------------------------------------------------------
// The jobs: each launched through tessera, through plain OpenCL and natively, over one set of
// host arrays, and checked after every run.

class Job {
 public:
  virtual ~Job() = default;
  /// The builtin kernel's name, also its kernel function's name.
  virtual const char* name() const = 0;
  /// Indices of the split dimension.
  virtual std::size_t extent() const = 0;
  virtual double roofline_goal() const = 0;
  virtual tessera::Launch tessera_launch(const tessera::Program& program) = 0;
  virtual PlainLaunch plain_launch(const PlainDevice& device) = 0;
  /// The native C++ version with `threads` OpenMP threads.
  virtual void native(int threads) = 0;
  /// Overwrites the output with values no run produces.
  virtual void clear_output() = 0;
  /// Output elements that differ from what is expected.
  virtual std::size_t mismatches() const = 0;
  /// What mismatches() compares with.
  virtual const char* expected() const = 0;
  /// For jobs checked against a reference run: take the current output as the reference.
  virtual void adopt_reference() {}
};

// STREAM triad a = b + scalar * c. Inputs are small multiples of 1/4, so every result is exact
// (fused multiply-add or not) and compares bitwise with the host formula.
class Triad final : public Job {
 public:
  explicit Triad(std::size_t n) : a_(n), b_(n), c_(n) {
    for (std::size_t i = 0; i < n; ++i) {
      b_[i] = static_cast<float>(i % 1024);
      c_[i] = static_cast<float>(i % 8) * 0.25f;
    }
  }

  const char* name() const override { return "triad"; }
  std::size_t extent() const override { return a_.size(); }
  double roofline_goal() const override { return 0.95; }

  tessera::Launch tessera_launch(const tessera::Program& program) override {
    return tessera::Launch{program, "triad", tessera::NDRange{a_.size()}}
        .arg(tessera::write(std::span<float>(a_)))
        .arg(tessera::read(std::span<const float>(b_)))
        .arg(tessera::read(std::span<const float>(c_)))
        .arg(scalar);
  }

  PlainLaunch plain_launch(const PlainDevice& d) override {
    PlainLaunch p{plain_kernel(d, tessera::Source::builtin("triad").resolve().text, "triad"),
                  {plain_buffer(d, CL_MEM_WRITE_ONLY, a_), plain_buffer(d, CL_MEM_READ_ONLY, b_),
                   plain_buffer(d, CL_MEM_READ_ONLY, c_)},
                  cl::NDRange(a_.size()),
                  0,
                  a_.size() * sizeof(float)};
    for (cl_uint i = 0; i < 3; ++i) set_arg(p.kernel, i, p.buffers[i]);
    set_arg(p.kernel, 3, scalar);
    return p;
  }

  void native(int threads) override {
    float* a = a_.data();
    const float* b = b_.data();
    const float* c = c_.data();
    const auto n = static_cast<std::int64_t>(a_.size());
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i) a[i] = b[i] + scalar * c[i];
  }

  void clear_output() override {
    std::fill(a_.begin(), a_.end(), std::numeric_limits<float>::quiet_NaN());
  }

  std::size_t mismatches() const override {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < a_.size(); ++i) bad += a_[i] != b_[i] + scalar * c_[i] ? 1 : 0;
    return bad;
  }

  const char* expected() const override {
    return "the host formula";
  }

 private:
  static constexpr float scalar = 3.0f;
  HostArray<float> a_, b_, c_;
};

// The escape-time Mandelbrot image of kernels/mandelbrot.cl, checked bitwise against the image
// of the plain OpenCL program.
class Mandelbrot final : public Job {
 public:
  static constexpr std::uint32_t max_iter = 256;

  Mandelbrot(std::size_t width, std::size_t height)
      : width_(static_cast<std::uint32_t>(width)),
        height_(static_cast<std::uint32_t>(height)),
        out_(width * height) {}

  const char* name() const override { return "mandelbrot"; }
  std::size_t extent() const override { return height_; }
  double roofline_goal() const override { return 0.9; }

  tessera::Launch tessera_launch(const tessera::Program& program) override {
    return tessera::Launch{program, "mandelbrot", tessera::NDRange{width_, height_}}
        .arg(tessera::write(std::span<std::uint32_t>(out_)))
        .arg(width_)
        .arg(height_)
        .arg(x0)
        .arg(y0)
        .arg(x1)
        .arg(y1)
        .arg(max_iter);
  }

  PlainLaunch plain_launch(const PlainDevice& d) override {
    PlainLaunch p{
        plain_kernel(d, tessera::Source::builtin("mandelbrot").resolve().text, "mandelbrot"),
        {plain_buffer(d, CL_MEM_WRITE_ONLY, out_)},
        cl::NDRange(width_, height_),
        0,
        out_.size() * sizeof(std::uint32_t)};
    set_arg(p.kernel, 0, p.buffers[0]);
    set_arg(p.kernel, 1, width_);
    set_arg(p.kernel, 2, height_);
    set_arg(p.kernel, 3, x0);
    set_arg(p.kernel, 4, y0);
    set_arg(p.kernel, 5, x1);
    set_arg(p.kernel, 6, y1);
    set_arg(p.kernel, 7, max_iter);
    return p;
  }

  void native(int threads) override {
    std::uint32_t* out = out_.data();
    const auto rows = static_cast<std::int64_t>(height_);
#pragma omp parallel for num_threads(threads) schedule(dynamic)
    for (std::int64_t y = 0; y < rows; ++y) {
      for (std::uint32_t x = 0; x < width_; ++x) {
        out[static_cast<std::size_t>(y) * width_ + x] =
            escape_time(x, static_cast<std::uint32_t>(y));
      }
    }
  }

  void clear_output() override {
    std::fill(out_.begin(), out_.end(), std::numeric_limits<std::uint32_t>::max());
  }

  std::size_t mismatches() const override {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < out_.size(); ++i) bad += out_[i] != reference_[i] ? 1 : 0;
    return bad;
  }

  const char* expected() const override {
    return "the plain OpenCL program's image";
  }

  void adopt_reference() override {
    if (std::any_of(out_.begin(), out_.end(), [](std::uint32_t n) { return n > max_iter; })) {
      throw std::runtime_error("plain OpenCL: the Mandelbrot image has values above max_iter");
    }
    reference_.assign(out_.begin(), out_.end());
  }

 private:
  static constexpr float x0 = -2.0f, y0 = -1.25f, x1 = 0.75f, y1 = 1.25f;

  // The kernel's arithmetic for pixel (px, py), operation for operation. OpenCL C contracts
  // a * b + c into a fused multiply-add by default (FP_CONTRACT ON) and PoCL does so in the loop;
  // the same fused operations are spelled out here, so the images compare bitwise.
  std::uint32_t escape_time(std::uint32_t px, std::uint32_t py) const {
    const float cr = x0 + (x1 - x0) * (static_cast<float>(px) + 0.5f) / static_cast<float>(width_);
    const float ci = y0 + (y1 - y0) * (static_cast<float>(py) + 0.5f) / static_cast<float>(height_);
    float zr = 0.0f;
    float zi = 0.0f;
    std::uint32_t n = 0;
    while (n < max_iter && std::fma(zr, zr, zi * zi) <= 4.0f) {
      const float t = std::fma(zr, zr, -(zi * zi)) + cr;
      zi = std::fma(2.0f * zr, zi, ci);
      zr = t;
      ++n;
    }
    return n;
  }

  std::uint32_t width_, height_;
  HostArray<std::uint32_t> out_;
  std::vector<std::uint32_t> reference_;
};

// ---------------------------------------------------------------------------------------------
// The bench: the runtime, the plain program's device, and every job ready to run each way

struct Bench {
  explicit Bench(const Args& a)
      : args(a),
        rt({.devices = a.devices, .cpu_split = a.cpu_split}),
        plain(plain_device(rt.devices().front().info(), a.cpu_split)),
        threads(cpu_threads(rt)) {}

  // OpenMP threads of the native versions: the compute units of the runtime's CPU devices,
  // which are the cores tessera runs on.
  static int cpu_threads(const tessera::Runtime& rt) {
    unsigned units = 0;
    for (const tessera::Device& d : rt.devices()) {
      if (tessera::has_type(d.info().type, tessera::DeviceType::cpu))
        units += d.info().compute_units;
    }
    return static_cast<int>(units > 0 ? units : std::max(1u, std::thread::hardware_concurrency()));
  }

  const Args& args;
  tessera::Runtime rt;
  PlainDevice plain;  // the runtime's device 0
  int threads;        // OpenMP threads of the native versions
};

struct Prepared {
  std::unique_ptr<Job> job;
  tessera::Program program;
  tessera::Launch launch;
  PlainLaunch plain;
};

// The job compiled and launched on `rt`'s devices; its reference output comes from the plain
// program on the bench's device 0.
Prepared prepare(const Bench& b, const tessera::Runtime& rt, std::unique_ptr<Job> job) {
  tessera::Program program = rt.compile(tessera::Source::builtin(job->name()));
  if (program.devices().size() != rt.devices().size()) {
    throw std::runtime_error(fmt::format("{} did not build on every device", job->name()));
  }
  tessera::Launch launch = job->tessera_launch(program);
  PlainLaunch plain = job->plain_launch(b.plain);
  job->clear_output();
  plain_run(b.plain, plain);
  job->adopt_reference();
  return {std::move(job), std::move(program), std::move(launch), std::move(plain)};
}

Prepared prepare(const Bench& b, std::unique_ptr<Job> job) { return prepare(b, b.rt, std::move(job)); }

std::string schedule_label(const tessera::Schedule& s) {
  if (const auto* d = std::get_if<tessera::policy::Dynamic>(&s.policy())) {
    return fmt::format("dynamic({})", d->chunk);
  }
  if (const auto* single = std::get_if<tessera::policy::Single>(&s.policy())) {
    return fmt::format("single({})", single->device);
  }
  return std::string(s.name());
}

struct Timed {
  double seconds = 0;
  tessera::RunStats stats;
};

// Timed: rt.run(...), from the call to its return (validation, per-run queues, kernel objects
// and buffers, every chunk, and mapping the outputs back).
Timed timed_run(const tessera::Runtime& rt, const tessera::Launch& launch,
                const tessera::Schedule& s) {
  Timed t;
  t.seconds = seconds_of([&] { t.stats = rt.run(launch, s); });
  if (t.stats.cancelled) throw std::runtime_error("tessera: the run was cancelled");
  return t;
}

// A variant that clears the job's output, runs `timed` (which returns the seconds it timed) and
// then checks the output: a mismatch is an error.
Variant checked(Job& job, std::string who, std::function<double()> timed) {
  return [&job, who = std::move(who), timed = std::move(timed)] {
    job.clear_output();
    const double seconds = timed();
    if (const std::size_t bad = job.mismatches(); bad > 0) {
      throw std::runtime_error(fmt::format("wrong result: {} {}: {} output elements differ from {}",
                                           who, job.name(), bad, job.expected()));
    }
    return seconds;
  };
}

Variant tessera_variant(const tessera::Runtime& rt, Prepared& p, const tessera::Schedule& s) {
  return checked(*p.job, "tessera " + schedule_label(s),
                 [&rt, &p, s] { return timed_run(rt, p.launch, s).seconds; });
}

Variant plain_variant(const PlainDevice& d, Prepared& p) {
  return checked(*p.job, "plain OpenCL", [&d, &p] { return plain_run(d, p.plain); });
}

Variant native_variant(Prepared& p, int threads) {
  return checked(*p.job, "native OpenMP",
                 [&p, threads] { return seconds_of([&] { p.job->native(threads); }); });
}

// ---------------------------------------------------------------------------------------------
// The measures

struct Goal {
  bool at_most = true;  // the value must be <= limit (else >= limit)
  double limit = 0;
  bool met(double value) const { return at_most ? value <= limit : value >= limit; }
  std::string text() const { return fmt::format("{} {}", at_most ? "<=" : ">=", limit); }
};

struct Row {
  std::string measure;
  std::string variant;
  double tessera_s = 0;
  double baseline_s = 0;
  double value = 0;
  Goal goal;
  std::string note;
  nlohmann::json detail;  // samples and the like, for the JSON only
};

Row overhead(const Bench& b, Prepared& p) {
  const auto t = interleave(
      {tessera_variant(b.rt, p, tessera::Schedule::single(0)), plain_variant(b.plain, p)},
      b.args.runs);
  const double ts = median(t[0]), bs = median(t[1]);
  return {.measure = "overhead",
          .variant = p.job->name(),
          .tessera_s = ts,
          .baseline_s = bs,
          .value = ts / bs,
          .goal = {.at_most = true, .limit = bs >= 1.0 ? 1.01 : 1.03},
          .note = "device 0 alone",
          .detail = {{"tessera_samples", t[0]}, {"baseline_samples", t[1]}}};
}

std::vector<Row> efficiency(const Bench& b, Prepared& p) {
  const std::size_t devices = p.program.devices().size();
  const std::vector<tessera::Schedule> coexec{
      tessera::Schedule::hguided(),
      tessera::Schedule::dynamic(std::max<std::size_t>(1, p.job->extent() / 64)),
      tessera::Schedule::static_split()};
  std::vector<Variant> variants;
  for (std::size_t d = 0; d < devices; ++d)
    variants.push_back(tessera_variant(b.rt, p, tessera::Schedule::single(d)));
  for (const tessera::Schedule& s : coexec) variants.push_back(tessera_variant(b.rt, p, s));
  const auto t = interleave(variants, b.args.runs);

  std::vector<double> alone;
  double inverse_sum = 0;
  for (std::size_t d = 0; d < devices; ++d) {
    alone.push_back(median(t[d]));
    inverse_sum += 1 / alone.back();
  }
  const double ideal = 1 / inverse_sum;
  std::vector<Row> rows;
  for (std::size_t k = 0; k < coexec.size(); ++k) {
    const double co = median(t[devices + k]);
    rows.push_back({.measure = "efficiency",
                    .variant = fmt::format("{} {}", p.job->name(), schedule_label(coexec[k])),
                    .tessera_s = co,
                    .baseline_s = ideal,
                    .value = ideal / co,
                    .goal = {.at_most = false, .limit = 0.95},
                    .note = fmt::format("alone: {:.4f} s", fmt::join(alone, " ")),
                    .detail = {{"tessera_samples", t[devices + k]}, {"alone_s", alone}}});
  }
  return rows;
}

// slow: hguided over the bench's devices, against hguided over them plus a very slow device.
// Both runtimes run their own copy of the job (Oclgrind holds 128 MiB: the triad is capped at
// 8 Mi elements (96 MiB) here).
std::vector<Row> slow_device(const Bench& b) {
  std::vector<Row> rows;
  // The bench's devices by discovery index (so that exclusions in --devices do not apply to
  // the slow device), plus the slow one.
  std::set<std::size_t> roots;
  for (const tessera::Device& d : b.rt.devices()) roots.insert(d.info().index);
  std::optional<tessera::Runtime> with_slow;
  try {
    with_slow.emplace(tessera::RuntimeOptions{
        .devices = fmt::format("{},{}", fmt::join(roots, ","), b.args.slow), .cpu_split = b.args.cpu_split});
  } catch (const tessera::Error& e) {
    fmt::print("slow: skipped, the slow device '{}' is not available: {}\n", b.args.slow, e.what());
    return rows;
  }
  if (with_slow->devices().size() <= b.rt.devices().size()) {
    fmt::print("slow: skipped, '{}' selects no further device\n", b.args.slow);
    return rows;
  }
  const std::size_t n = std::min<std::size_t>(b.args.n, std::size_t{1} << 23);
  const std::vector<std::function<std::unique_ptr<Job>()>> makers{
      [n] { return std::make_unique<Triad>(n); },
      [&b] { return std::make_unique<Mandelbrot>(b.args.width, b.args.height); }};
  for (const auto& make : makers) {
    Prepared without = prepare(b, b.rt, make());
    Prepared with = prepare(b, *with_slow, make());
    const auto t = interleave({tessera_variant(b.rt, without, tessera::Schedule::hguided()),
                               tessera_variant(*with_slow, with, tessera::Schedule::hguided())},
                              b.args.runs);
    const Timed last = timed_run(*with_slow, with.launch, tessera::Schedule::hguided());
    const auto added = [&b](const tessera::DeviceRunStats& d) {
      const auto& base = b.rt.devices();
      return std::none_of(base.begin(), base.end(), [&d](const tessera::Device& x) { return x == d.device; });
    };
    const tessera::DeviceRunStats& slowest =
        *std::find_if(last.stats.devices.begin(), last.stats.devices.end(), added);
    const double ts = median(t[1]), bs = median(t[0]);
    rows.push_back({.measure = "slow",
                    .variant = fmt::format("{} hguided", without.job->name()),
                    .tessera_s = ts,
                    .baseline_s = bs,
                    .value = bs / ts,
                    .goal = {.at_most = false, .limit = 0.95},
                    .note = fmt::format("+ {}: {} chunks, {} items in a last run", slowest.device.name(),
                                        slowest.chunks, slowest.items),
                    .detail = {{"tessera_samples", t[1]}, {"baseline_samples", t[0]}, {"n", n}}});
  }
  return rows;
}

Row roofline(const Bench& b, Prepared& p) {
  const auto t = interleave(
      {tessera_variant(b.rt, p, tessera::Schedule::hguided()), native_variant(p, b.threads)},
      b.args.runs);
  const double ts = median(t[0]), ns = median(t[1]);
  const auto items = static_cast<double>(p.launch.global().total());
  return {
      .measure = "roofline",
      .variant = p.job->name(),
      .tessera_s = ts,
      .baseline_s = ns,
      .value = ns / ts,
      .goal = {.at_most = false, .limit = p.job->roofline_goal()},
      .note = fmt::format("{:.4g} vs {:.4g} Mitems/s, {} OpenMP threads", items / ts / 1e6,
                          items / ns / 1e6, b.threads),
      .detail = {
          {"tessera_samples", t[0]}, {"baseline_samples", t[1]}, {"openmp_threads", b.threads}}};
}

// dispatch: K one-item chunks of an empty kernel through tessera's scheduler (dynamic(1), local
// size 1 so that chunks are not rounded up to a larger work-group), against a plain loop on
// device 0 enqueueing K one-item kernels (with offset), each followed by clFinish.
Row dispatch(const Bench& b) {
  const std::string source = "kernel void empty(global int* p) {}\n";
  const std::size_t k = b.args.chunks;
  HostArray<int> data(k);
  const tessera::Program program = b.rt.compile(tessera::Source::string(source, "empty.cl"));
  const tessera::Launch launch =
      tessera::Launch{program, "empty", tessera::NDRange{k}, tessera::NDRange{1}}.arg(
          tessera::write(std::span<int>(data)));
  cl::Kernel kernel = plain_kernel(b.plain, source, "empty");
  const cl::Buffer buffer = plain_buffer(b.plain, CL_MEM_WRITE_ONLY, data);
  set_arg(kernel, 0, buffer);

  const Variant through_tessera = [&] {
    const Timed t = timed_run(b.rt, launch, tessera::Schedule::dynamic(1));
    if (t.stats.ledger.size() != k) {
      throw std::runtime_error(
          fmt::format("dispatch: {} chunks ran, {} expected", t.stats.ledger.size(), k));
    }
    return t.seconds;
  };
  const Variant plain_loop = [&] {
    return seconds_of([&] {
      for (std::size_t i = 0; i < k; ++i) {
        cl_check(b.plain.queue.enqueueNDRangeKernel(kernel, cl::NDRange(i), cl::NDRange(1),
                                                    cl::NDRange(1)),
                 "clEnqueueNDRangeKernel");
        cl_check(b.plain.queue.finish(), "clFinish");
      }
    });
  };
  const auto t = interleave({through_tessera, plain_loop}, b.args.runs);
  const double ts = median(t[0]), bs = median(t[1]);
  const double tessera_rate = static_cast<double>(k) / ts, plain_rate = static_cast<double>(k) / bs;
  return {.measure = "dispatch",
          .variant = fmt::format("empty x{}", k),
          .tessera_s = ts,
          .baseline_s = bs,
          .value = tessera_rate / plain_rate,
          .goal = {.at_most = false, .limit = 0.8},
          .note = fmt::format("{:.0f} vs {:.0f} chunks/s", tessera_rate, plain_rate),
          .detail = {{"tessera_samples", t[0]},
                     {"baseline_samples", t[1]},
                     {"tessera_chunks_per_s", tessera_rate},
                     {"plain_chunks_per_s", plain_rate},
                     {"chunks", k}}};
}

// ---------------------------------------------------------------------------------------------
// Reporting

std::string table_header() {
  return fmt::format("{:<10}  {:<26}  {:>10}  {:>10}  {:>7}  {:<8}  {:<3}  {}\n", "measure",
                     "variant", "tessera s", "baseline s", "ratio", "goal", "ok", "note");
}

std::string table_line(const Row& r) {
  return fmt::format("{:<10}  {:<26}  {:>10.4f}  {:>10.4f}  {:>7.4f}  {:<8}  {:<3}  {}\n",
                     r.measure, r.variant, r.tessera_s, r.baseline_s, r.value, r.goal.text(),
                     r.goal.met(r.value) ? "yes" : "no", r.note);
}

nlohmann::json to_json(const Row& r) {
  nlohmann::json j{{"measure", r.measure},
                   {"variant", r.variant},
                   {"tessera_s", r.tessera_s},
                   {"baseline_s", r.baseline_s},
                   {"value", r.value},
                   {"goal", r.goal.limit},
                   {"goal_op", r.goal.at_most ? "<=" : ">="},
                   {"met", r.goal.met(r.value)},
                   {"note", r.note}};
  j.update(r.detail);
  return j;
}

nlohmann::json devices_json(const tessera::Runtime& rt) {
  nlohmann::json out = nlohmann::json::array();
  for (const tessera::Device& d : rt.devices()) {
    out.push_back({{"label", d.info().label()},
                   {"name", d.name()},
                   {"compute_units", d.info().compute_units}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parse(argc, argv);
    const Bench bench(a);
    fmt::print("engine measures: {}; {} runs, medians, compared variants interleaved\n",
               fmt::join(a.only, ", "), a.runs);
    fmt::print("devices (selector '{}', cpu split {}):\n", a.devices, a.cpu_split);
    for (const tessera::Device& d : bench.rt.devices()) {
      fmt::print("  {:<5} {} ({} CU)\n", d.info().label(), d.name(), d.info().compute_units);
    }
    for (const std::string& w : bench.rt.warnings()) fmt::print("  warning: {}\n", w);
    fmt::print(
        "triad n = {}; mandelbrot {}x{}, max_iter {}; dispatch {} chunks; native: {} OpenMP "
        "threads\n\n",
        a.n, a.width, a.height, Mandelbrot::max_iter, a.chunks, bench.threads);

    std::vector<Prepared> jobs;
    if (a.only.count("overhead") + a.only.count("efficiency") + a.only.count("roofline") > 0) {
      jobs.push_back(prepare(bench, std::make_unique<Triad>(a.n)));
      jobs.push_back(prepare(bench, std::make_unique<Mandelbrot>(a.width, a.height)));
    }
    for (const Prepared& p : jobs) {
      for (const std::string& w : p.program.warnings()) fmt::print("warning: {}\n", w);
    }

    std::vector<Row> rows;
    if (a.only.count("overhead") > 0) {
      for (Prepared& p : jobs) rows.push_back(overhead(bench, p));
    }
    if (a.only.count("efficiency") > 0) {
      for (Prepared& p : jobs) {
        for (Row& r : efficiency(bench, p)) rows.push_back(std::move(r));
      }
    }
    if (a.only.count("slow") > 0) {
      for (Row& r : slow_device(bench)) rows.push_back(std::move(r));
    }
    if (a.only.count("dispatch") > 0) rows.push_back(dispatch(bench));
    if (a.only.count("roofline") > 0) {
      for (Prepared& p : jobs) rows.push_back(roofline(bench, p));
    }

    fmt::print("{}", table_header());
    for (const Row& r : rows) fmt::print("{}", table_line(r));
    nlohmann::json results = nlohmann::json::array();
    for (const Row& r : rows) results.push_back(to_json(r));
    const nlohmann::json report{
        {"benchmark", "engine"},
        {"runs", a.runs},
        {"selector", a.devices},
        {"cpu_split", a.cpu_split},
        {"devices", devices_json(bench.rt)},
        {"triad_n", a.n},
        {"mandelbrot",
         {{"width", a.width}, {"height", a.height}, {"max_iter", Mandelbrot::max_iter}}},
        {"dispatch_chunks", a.chunks},
        {"openmp_threads", bench.threads},
        {"results", results}};
    tessera::bench::print_json(report, a.json_path);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}
