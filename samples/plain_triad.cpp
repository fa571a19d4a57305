// The baseline of bench_job: what samples/jobs/triad100.toml does, written as a plain OpenCL C++
// program would write it. Three page-aligned host arrays of n floats (a zeros, b[i] = i,
// c = 0.5), wrapped with CL_MEM_USE_HOST_PTR; `reps` enqueues of triad a = b + 2 c with the
// local size left to the driver; a blocking map of a; then the job's check, the sum of a
// (Kahan summation in double, as `tessera run` checks it), against an expected sum.
//
//   plain_triad --kernel kernels/triad.cl [--n N] [--reps R] [--sum S --rtol R]
//
// Uses the first device of the first platform (POCL_DEVICES selects PoCL's). Exit status 0 when
// the check passes (or none was asked for), 1 otherwise.

#include <CL/opencl.hpp>

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Args {
  std::string kernel;
  std::size_t n = std::size_t{1} << 25;
  int reps = 100;
  std::optional<double> sum;
  double rtol = 1e-9;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(arg + ": unknown, or a value is missing");
    const std::string value = argv[++i];
    if (arg == "--kernel") a.kernel = value;
    else if (arg == "--n") a.n = std::stoull(value);
    else if (arg == "--reps") a.reps = std::stoi(value);
    else if (arg == "--sum") a.sum = std::stod(value);
    else if (arg == "--rtol") a.rtol = std::stod(value);
    else throw std::invalid_argument("unknown argument " + arg);
  }
  if (a.kernel.empty()) throw std::invalid_argument("--kernel FILE.cl is required");
  return a;
}

void check(cl_int status, const char* call) {
  if (status != CL_SUCCESS) throw std::runtime_error(std::string(call) + " failed: " + std::to_string(status));
}

struct Free {
  void operator()(float* p) const noexcept { std::free(p); }
};
using Floats = std::unique_ptr<float[], Free>;

Floats page_aligned(std::size_t n) {
  constexpr std::size_t page = 4096;
  const std::size_t bytes = (n * sizeof(float) + page - 1) / page * page;
  Floats p(static_cast<float*>(std::aligned_alloc(page, bytes)));
  if (!p) throw std::bad_alloc();
  return p;
}

// The kernel `triad` of the OpenCL C file at `path`, built for `device`.
cl::Kernel build_triad(const cl::Context& context, const cl::Device& device, const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  const std::string source{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  cl_int status = CL_SUCCESS;
  cl::Program program(context, source, false, &status);
  check(status, "clCreateProgramWithSource");
  if (program.build(std::vector<cl::Device>{device}) != CL_SUCCESS) {
    throw std::runtime_error("triad does not build:\n" + program.getBuildInfo<CL_PROGRAM_BUILD_LOG>(device));
  }
  cl::Kernel kernel(program, "triad", &status);
  check(status, "clCreateKernel");
  return kernel;
}

// As `tessera run` checks a sum (its own copy: this program uses nothing of Tessera's).
double kahan_sum(const float* a, std::size_t n) {
  double sum = 0, carry = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = static_cast<double>(a[i]) - carry;
    const double t = sum + y;
    carry = (t - sum) - y;
    sum = t;
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    const std::size_t n = args.n, bytes = n * sizeof(float);
    const Floats a = page_aligned(n), b = page_aligned(n), c = page_aligned(n);
    std::memset(a.get(), 0, bytes);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<float>(i);
    for (std::size_t i = 0; i < n; ++i) c[i] = 0.5f;

    std::vector<cl::Platform> platforms;
    check(cl::Platform::get(&platforms), "clGetPlatformIDs");
    if (platforms.empty()) throw std::runtime_error("no OpenCL platform");
    std::vector<cl::Device> devices;
    check(platforms.front().getDevices(CL_DEVICE_TYPE_ALL, &devices), "clGetDeviceIDs");
    const cl::Device device = devices.front();
    cl_int status = CL_SUCCESS;
    const cl::Context context(device, nullptr, nullptr, nullptr, &status);
    check(status, "clCreateContext");
    const cl::CommandQueue queue(context, device, 0, &status);
    check(status, "clCreateCommandQueue");

    cl::Kernel kernel = build_triad(context, device, args.kernel);
    const cl::Buffer da(context, CL_MEM_WRITE_ONLY | CL_MEM_USE_HOST_PTR, bytes, a.get(), &status);
    check(status, "clCreateBuffer");
    const cl::Buffer db(context, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR, bytes, b.get(), &status);
    check(status, "clCreateBuffer");
    const cl::Buffer dc(context, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR, bytes, c.get(), &status);
    check(status, "clCreateBuffer");
    check(kernel.setArg(0, da), "clSetKernelArg");
    check(kernel.setArg(1, db), "clSetKernelArg");
    check(kernel.setArg(2, dc), "clSetKernelArg");
    check(kernel.setArg(3, 2.0f), "clSetKernelArg");

    for (int r = 0; r < args.reps; ++r) {
      check(queue.enqueueNDRangeKernel(kernel, cl::NullRange, cl::NDRange(n), cl::NullRange),
            "clEnqueueNDRangeKernel");
    }
    void* mapped = queue.enqueueMapBuffer(da, CL_TRUE, CL_MAP_READ, 0, bytes, nullptr, nullptr, &status);
    check(status, "clEnqueueMapBuffer");
    const double sum = kahan_sum(static_cast<const float*>(mapped), n);
    check(queue.enqueueUnmapMemObject(da, mapped), "clEnqueueUnmapMemObject");
    check(queue.finish(), "clFinish");

    const bool passed = !args.sum || std::abs(sum - *args.sum) <= args.rtol * std::abs(*args.sum);
    std::printf("plain triad: %zu floats, %d enqueues; sum of a %.17g%s\n", n, args.reps, sum,
                !args.sum ? "" : passed ? " (check passed)" : " (check FAILED)");
    return passed ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
