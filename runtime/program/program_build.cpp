// Runtime::compile: building a program for every device, once per group of identical devices,
// groups in parallel, through the binary cache.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "common/internals.hpp"
#include "device/device_handle.hpp"
#include "program/program_build.hpp"
#include "program/program_cache.hpp"
#include "program/program_handle.hpp"
#include "runtime_state.hpp"
#include "tessera/error.hpp"

namespace tessera::detail {
namespace {


bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The option string handed to the compiler: the caller's options, argument info (for kernel
// signatures), then the defines in order.
std::string compose_options(std::string_view options, const Defines& defines) {
  std::string out(options);
  out += out.empty() ? "" : " ";
  out += "-cl-kernel-arg-info";
  for (const auto& [name, value] : defines) {
    if (!is_identifier(name)) {
      throw Error(Errc::invalid_argument, fmt::format("define '{}': not a valid macro name", name));
    }
    if (value.find_first_of(" \t\r\n\"'\\") != std::string::npos) {
      throw Error(Errc::invalid_argument,
                  fmt::format("define '{}': value '{}' holds whitespace, a quote or a backslash",
                              name, value));
    }
    out += value.empty() ? fmt::format(" -D {}", name) : fmt::format(" -D {}={}", name, value);
  }
  return out;
}

// Devices are identical when a binary built for one runs on the other.
auto identity(const DeviceInfo& i) {
  return std::tie(i.platform_name, i.platform_version, i.name, i.version, i.driver_version);
}

std::vector<std::vector<std::size_t>> group_identical(const std::vector<Device>& devices) {
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t d = 0; d < devices.size(); ++d) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
      return identity(devices[g.front()].info()) == identity(devices[d].info());
    });
    if (it == groups.end()) {
      groups.push_back({d});
    } else {
      it->push_back(d);
    }
  }
  return groups;
}

std::string tidy_log(std::string log) {
  while (!log.empty() && (log.back() == '\0' || log.back() == '\n' || log.back() == ' ')) {
    log.pop_back();
  }
  return log;
}

std::string build_log(const cl::Program& program, const cl::Device& device) {
  cl_int status = CL_SUCCESS;
  std::string log = program.getBuildInfo<CL_PROGRAM_BUILD_LOG>(device, &status);
  return status == CL_SUCCESS ? tidy_log(std::move(log)) : std::string{};
}

ArgKind arg_kind(cl_kernel_arg_address_qualifier q) {
  switch (q) {
    case CL_KERNEL_ARG_ADDRESS_GLOBAL: return ArgKind::global_buffer;
    case CL_KERNEL_ARG_ADDRESS_CONSTANT: return ArgKind::constant_buffer;
    case CL_KERNEL_ARG_ADDRESS_LOCAL: return ArgKind::local_buffer;
    default: return ArgKind::scalar;
  }
}

std::vector<std::string> split_names(const std::string& joined) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= joined.size()) {
    const auto end = std::min(joined.find(';', pos), joined.size());
    std::string name = joined.substr(pos, end - pos);
    while (!name.empty() && (name.back() == '\0' || name.back() == ' ')) name.pop_back();
    if (!name.empty()) out.push_back(std::move(name));
    pos = end + 1;
  }
  return out;
}

// Every kernel's signature, from a program built with -cl-kernel-arg-info.
std::vector<KernelSignature> read_signatures(const cl::Program& program, const DeviceInfo& device) {
  cl_int status = CL_SUCCESS;
  const std::string names = program.getInfo<CL_PROGRAM_KERNEL_NAMES>(&status);
  check(status, "clGetProgramInfo(CL_PROGRAM_KERNEL_NAMES)", device.name);
  std::vector<KernelSignature> out;
  for (const std::string& name : split_names(names)) {
    cl::Kernel kernel(program, name.c_str(), &status);
    check(status, "clCreateKernel", device.name);
    KernelSignature sig;
    sig.name = name;
    const cl_uint count = kernel.getInfo<CL_KERNEL_NUM_ARGS>(&status);
    check(status, "clGetKernelInfo(CL_KERNEL_NUM_ARGS)", device.name);
    for (cl_uint a = 0; a < count; ++a) {
      KernelArg arg;
      arg.name = tidy_log(kernel.getArgInfo<CL_KERNEL_ARG_NAME>(a, &status));
      check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_NAME)", device.name);
      arg.type_name = tidy_log(kernel.getArgInfo<CL_KERNEL_ARG_TYPE_NAME>(a, &status));
      check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_TYPE_NAME)", device.name);
      arg.kind = arg_kind(kernel.getArgInfo<CL_KERNEL_ARG_ADDRESS_QUALIFIER>(a, &status));
      check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_ADDRESS_QUALIFIER)", device.name);
      const auto qualifier = kernel.getArgInfo<CL_KERNEL_ARG_TYPE_QUALIFIER>(a, &status);
      check(status, "clGetKernelArgInfo(CL_KERNEL_ARG_TYPE_QUALIFIER)", device.name);
      arg.is_const = (qualifier & CL_KERNEL_ARG_TYPE_CONST) != 0 && arg.kind != ArgKind::scalar;
      sig.args.push_back(std::move(arg));
    }
    out.push_back(std::move(sig));
  }
  std::sort(out.begin(), out.end(),
            [](const KernelSignature& a, const KernelSignature& b) { return a.name < b.name; });
  return out;
}

struct Built {
  cl::Program program;  // null when the build failed
  std::string log;
};

Built build_from_source(const cl::Context& context, const cl::Device& device,
                        const std::string& text, const std::string& options) {
  cl_int status = CL_SUCCESS;
  cl::Program program(context, text, false, &status);
  check(status, "clCreateProgramWithSource");
  status = program.build(std::vector<cl::Device>{device}, options.c_str());
  std::string log = build_log(program, device);
  if (status != CL_SUCCESS) {
    if (log.empty()) log = fmt::format("clBuildProgram failed: {}", cl_status_name(status));
    return {cl::Program(), std::move(log)};
  }
  return {std::move(program), std::move(log)};
}

// Loads a binary; a null program when the driver refuses it (the caller then compiles).
Built build_from_binary(const cl::Context& context, const cl::Device& device,
                        const std::vector<unsigned char>& binary, const std::string& options) {
  cl_int status = CL_SUCCESS;
  std::vector<cl_int> binary_status;
  cl::Program program(context, std::vector<cl::Device>{device}, cl::Program::Binaries{binary},
                      &binary_status, &status);
  if (status != CL_SUCCESS) return {};
  status = program.build(std::vector<cl::Device>{device}, options.c_str());
  if (status != CL_SUCCESS) return {};
  std::string log = build_log(program, device);
  return {std::move(program), std::move(log)};
}

std::vector<unsigned char> program_binary(const cl::Program& program, const DeviceInfo& device) {
  cl_int status = CL_SUCCESS;
  auto binaries = program.getInfo<CL_PROGRAM_BINARIES>(&status);
  check(status, "clGetProgramInfo(CL_PROGRAM_BINARIES)", device.name);
  return binaries.empty() ? std::vector<unsigned char>{} : std::move(binaries.front());
}

// The outcome of one group of identical devices.
struct GroupResult {
  std::vector<std::pair<std::size_t, Built>> devices;  // runtime device index -> program
  std::vector<BuildOrigin> origins;                    // aligned with `devices`
  std::vector<KernelSignature> kernels;
  std::vector<std::string> warnings;
  BuildStats stats;
};

// Builds on one platform run one at a time: some drivers (Oclgrind's LLVM) are not safe to
// build from several threads, and others serialise their compiler anyway.
std::mutex& platform_build_mutex(const std::string& platform) {
  static std::mutex guard;
  static std::map<std::string, std::mutex> mutexes;
  std::lock_guard lock(guard);
  return mutexes[platform];
}

GroupResult build_group(const RuntimeState& rt, const std::vector<std::size_t>& group,
                        const std::string& text, const std::string& options, bool use_cache) {
  GroupResult out;
  const std::size_t leader = group.front();
  const DeviceInfo& info = rt.devices[leader].info();
  const cl::Device& leader_device = Internals::handle(rt.devices[leader]).device;
  static const ProgramCache no_cache({}, 0);
  const ProgramCache& cache = use_cache ? rt.program_cache : no_cache;
  std::lock_guard platform_lock(platform_build_mutex(info.platform_name));
  const CacheKey key = program_cache_key(text, options, info);

  CacheEntry entry;
  std::vector<unsigned char> binary;
  BuildOrigin origin = BuildOrigin::compiled;
  Built first;

  const ProgramCache::Lookup lookup = cache.load(key, info, entry);
  if (cache.enabled()) {
    if (lookup == ProgramCache::Lookup::hit) {
      ++out.stats.cache_hits;
    } else {
      ++out.stats.cache_misses;
      if (lookup == ProgramCache::Lookup::rejected) ++out.stats.cache_rejected;
    }
  }
  if (lookup == ProgramCache::Lookup::hit) {
    first = build_from_binary(rt.contexts[leader], leader_device, entry.binary, options);
    if (first.program() != nullptr) {
      origin = BuildOrigin::cache_hit;
      binary = std::move(entry.binary);
      out.kernels = std::move(entry.kernels);
    } else {
      // The driver refused the cached binary: a foreign or stale entry. Rebuild and replace.
      --out.stats.cache_hits;
      ++out.stats.cache_misses;
      ++out.stats.cache_rejected;
    }
  }

  if (origin != BuildOrigin::cache_hit) {
    first = build_from_source(rt.contexts[leader], leader_device, text, options);
    ++out.stats.compiled;
    if (first.program() == nullptr) {
      // Identical devices fail identically: the whole group is out, with the one log.
      for (std::size_t d : group) {
        out.devices.emplace_back(d, Built{cl::Program(), first.log});
        out.origins.push_back(BuildOrigin::failed);
      }
      return out;
    }
    binary = program_binary(first.program, info);
    out.kernels = read_signatures(first.program, info);
    if (!binary.empty()) {
      const auto stored = cache.store(key, info, {binary, out.kernels});
      out.stats.cache_evicted += stored.evicted;
      if (stored.error) out.warnings.push_back("program cache: " + *stored.error);
    }
  }
  out.devices.emplace_back(leader, std::move(first));
  out.origins.push_back(origin);

  for (std::size_t k = 1; k < group.size(); ++k) {
    const std::size_t d = group[k];
    const cl::Device& device = Internals::handle(rt.devices[d]).device;
    Built built = binary.empty() ? Built{}
                                 : build_from_binary(rt.contexts[d], device, binary, options);
    BuildOrigin o = origin == BuildOrigin::cache_hit ? BuildOrigin::cache_hit : BuildOrigin::shared;
    if (built.program() == nullptr) {
      built = build_from_source(rt.contexts[d], device, text, options);
      ++out.stats.compiled;
      o = built.program() != nullptr ? BuildOrigin::compiled : BuildOrigin::failed;
    } else if (o == BuildOrigin::shared) {
      ++out.stats.shared;
    }
    out.devices.emplace_back(d, std::move(built));
    out.origins.push_back(o);
  }
  return out;
}

// Every device of `group` failed, with `log` as the reason.
GroupResult failed_group(const std::vector<std::size_t>& group, const std::string& log) {
  GroupResult out;
  for (std::size_t d : group) {
    out.devices.emplace_back(d, Built{cl::Program(), log});
    out.origins.push_back(BuildOrigin::failed);
  }
  return out;
}

// The kernels every group that built offers. A kernel some devices lack (an #if on the OpenCL
// version, say) is left out, with a warning.
std::vector<KernelSignature> common_kernels(const std::vector<GroupResult>& results,
                                            std::vector<std::string>& warnings) {
  std::vector<const GroupResult*> built;
  for (const auto& r : results) {
    if (!r.origins.empty() && r.origins.front() != BuildOrigin::failed) built.push_back(&r);
  }
  if (built.empty()) return {};
  std::vector<KernelSignature> common;
  std::set<std::string> partial;
  for (const auto* r : built) {
    for (const auto& k : r->kernels) {
      const bool everywhere = std::all_of(built.begin(), built.end(), [&](const GroupResult* o) {
        return std::any_of(o->kernels.begin(), o->kernels.end(),
                           [&](const KernelSignature& x) { return x.name == k.name; });
      });
      if (!everywhere) {
        partial.insert(k.name);
      } else if (r == built.front()) {
        common.push_back(k);
      }
    }
  }
  for (const auto& name : partial) {
    warnings.push_back(fmt::format("kernel '{}' exists on some devices only: left out", name));
  }
  return common;
}

}  // namespace

Program build_program(const RuntimeState& runtime, const Source& source, std::string_view options,
                      const Defines& defines) {
  const auto start = std::chrono::steady_clock::now();
  const ResolvedSource resolved = source.resolve();
  const std::string& text = resolved.text;
  const std::string full_options = compose_options(options, defines);
  const auto groups = group_identical(runtime.devices);

  // Programs whose text is not all they depend on (includes left to the compiler, -I paths)
  // bypass the cache: a changed header would otherwise hit a stale binary.
  const bool use_cache = resolved.self_contained && full_options.find("-I") == std::string::npos;

  // One thread per group beyond the first. An OpenCL failure in a group fails that group's
  // devices only; anything else is kept and rethrown.
  std::vector<GroupResult> results(groups.size());
  std::vector<std::exception_ptr> errors(groups.size());
  auto work = [&](std::size_t g) {
    try {
      results[g] = build_group(runtime, groups[g], text, full_options, use_cache);
    } catch (const Error& e) {
      results[g] = failed_group(groups[g], e.what());
    } catch (...) {
      errors[g] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t g = 1; g < groups.size(); ++g) {
    try {
      threads.emplace_back(work, g);
    } catch (const std::system_error&) {
      work(g);  // no thread to be had: build it here
    }
  }
  if (!groups.empty()) work(0);
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }

  auto handle = std::make_shared<ProgramHandle>();
  handle->name = source.name();
  handle->builds.resize(runtime.devices.size(), DeviceBuild{runtime.devices.front(), BuildOrigin::failed, {}});
  std::vector<cl::Program> programs(runtime.devices.size());
  std::vector<BuildError::DeviceLog> failures;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    GroupResult& r = results[g];
    handle->stats += r.stats;
    handle->warnings.insert(handle->warnings.end(), r.warnings.begin(), r.warnings.end());
    for (std::size_t k = 0; k < r.devices.size(); ++k) {
      auto& [d, built] = r.devices[k];
      handle->builds[d] =
          DeviceBuild{runtime.devices[d], r.origins[k], resolved.map_diagnostics(built.log)};
      programs[d] = std::move(built.program);
    }
    // One log and one warning per group of identical devices that failed.
    std::vector<std::string> labels;
    for (std::size_t k = 0; k < r.devices.size(); ++k) {
      if (r.origins[k] == BuildOrigin::failed) labels.push_back(runtime.devices[r.devices[k].first].info().label());
    }
    if (labels.empty()) continue;
    const DeviceBuild& first = handle->builds[r.devices.front().first];
    const std::string who = fmt::format("device{} {} '{}'", labels.size() > 1 ? "s" : "",
                                        fmt::join(labels, ", "), first.device.name());
    failures.push_back({who, first.log});
    handle->warnings.push_back(
        fmt::format("'{}' does not build on {}: left out of its launches", source.name(), who));
  }
  handle->kernels = common_kernels(results, handle->warnings);
  for (std::size_t d = 0; d < runtime.devices.size(); ++d) {
    if (handle->builds[d].origin == BuildOrigin::failed) continue;
    handle->devices.push_back(runtime.devices[d]);
    handle->on_device.push_back(
        {runtime.devices[d], runtime.contexts[d], programs[d],
         std::make_shared<DevicePool>(runtime.contexts[d], Internals::handle(runtime.devices[d]).device,
                                              programs[d], runtime.devices[d].info().name)});
  }
  handle->stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::lock_guard lock(runtime.stats_mutex);
    runtime.stats += handle->stats;
  }
  if (handle->devices.empty()) {
    std::string message = fmt::format("'{}' failed to build on {}", source.name(),
                                      runtime.devices.size() == 1 ? "its device" : "every device");
    throw BuildError(std::move(message), std::move(failures), CL_BUILD_PROGRAM_FAILURE);
  }
  return Internals::make_program(std::move(handle));
}

}  // namespace tessera::detail
