// Runtime::compile: building a program for every device, once per group of identical devices,
// groups in parallel, through the binary cache.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "common/internals.hpp"
#include "device/device_handle.hpp"
#include "program/device_build.hpp"
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

// Every device of `group` failed, with `log` as the reason.
GroupResult failed_group(const std::vector<std::size_t>& group, const std::string& log) {
  GroupResult out;
  for (std::size_t d : group) {
    out.devices.emplace_back(d, Built{cl::Program(), log});
    out.origins.push_back(BuildOrigin::failed);
  }
  return out;
}

// What one group's job is: the devices, the source, the options, and the cache (disabled when
// the program must not be cached).
struct GroupBuild {
  const RuntimeState& rt;
  const std::vector<std::size_t>& group;
  const std::string& text;
  const std::string& options;
  const ProgramCache& cache;

  const cl::Device& device(std::size_t d) const { return Internals::handle(rt.devices[d]).device; }
};

// The leader's program from the cache: a hit whose binary the driver accepts. A refused entry
// (foreign or stale) counts as rejected; the caller rebuilds and replaces it.
std::optional<Built> leader_from_cache(const GroupBuild& job, const CacheKey& key, GroupResult& out,
                                       std::vector<unsigned char>& binary) {
  if (!job.cache.enabled()) return std::nullopt;
  const std::size_t leader = job.group.front();
  const DeviceInfo& info = job.rt.devices[leader].info();
  CacheEntry entry;
  const ProgramCache::Lookup lookup = job.cache.load(key, info, entry);
  if (lookup == ProgramCache::Lookup::hit) {
    Built built = build_from_binary(job.rt.contexts[leader], job.device(leader), entry.binary, job.options);
    if (built.program() != nullptr) {
      ++out.stats.cache_hits;
      binary = std::move(entry.binary);
      out.kernels = std::move(entry.kernels);
      return built;
    }
  }
  ++out.stats.cache_misses;
  if (lookup != ProgramCache::Lookup::miss) ++out.stats.cache_rejected;
  return std::nullopt;
}

// The leader's program compiled from source, its binary and kernels stored in the cache.
Built leader_from_source(const GroupBuild& job, const CacheKey& key, GroupResult& out,
                         std::vector<unsigned char>& binary) {
  const std::size_t leader = job.group.front();
  const DeviceInfo& info = job.rt.devices[leader].info();
  Built built = build_from_source(job.rt.contexts[leader], job.device(leader), job.text, job.options);
  ++out.stats.compiled;
  if (built.program() == nullptr) return built;
  binary = program_binary(built.program, info);
  out.kernels = read_signatures(built.program, info);
  if (!binary.empty()) {
    const auto stored = job.cache.store(key, info, {binary, out.kernels});
    out.stats.cache_evicted += stored.evicted;
    if (stored.error) out.warnings.push_back("program cache: " + *stored.error);
  }
  return built;
}

// Device `d` of the group, from the leader's binary when it has one (an identical device takes
// it), else from source.
void build_follower(const GroupBuild& job, std::size_t d, const std::vector<unsigned char>& binary,
                    BuildOrigin leader_origin, GroupResult& out) {
  Built built = binary.empty() ? Built{} : build_from_binary(job.rt.contexts[d], job.device(d), binary, job.options);
  BuildOrigin origin = leader_origin == BuildOrigin::cache_hit ? BuildOrigin::cache_hit : BuildOrigin::shared;
  if (built.program() == nullptr) {
    built = build_from_source(job.rt.contexts[d], job.device(d), job.text, job.options);
    ++out.stats.compiled;
    origin = built.program() != nullptr ? BuildOrigin::compiled : BuildOrigin::failed;
  } else if (origin == BuildOrigin::shared) {
    ++out.stats.shared;
  }
  out.devices.emplace_back(d, std::move(built));
  out.origins.push_back(origin);
}

// One group of identical devices: the leader from the cache or from source, the others from the
// leader's binary. Builds on one platform run one at a time.
GroupResult build_group(const GroupBuild& job) {
  GroupResult out;
  const std::size_t leader = job.group.front();
  const DeviceInfo& info = job.rt.devices[leader].info();
  std::lock_guard platform_lock(platform_build_mutex(info.platform_name));
  const CacheKey key = program_cache_key(job.text, job.options, info);
  std::vector<unsigned char> binary;
  std::optional<Built> first = leader_from_cache(job, key, out, binary);
  const BuildOrigin origin = first ? BuildOrigin::cache_hit : BuildOrigin::compiled;
  if (!first) first = leader_from_source(job, key, out, binary);
  if (first->program() == nullptr) {
    // Identical devices fail identically: the whole group is out, with the one log.
    GroupResult failed = failed_group(job.group, first->log);
    failed.stats = out.stats;
    return failed;
  }
  out.devices.emplace_back(leader, std::move(*first));
  out.origins.push_back(origin);
  for (std::size_t k = 1; k < job.group.size(); ++k) build_follower(job, job.group[k], binary, origin, out);
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

// Builds every group, one thread per group beyond the first. An OpenCL failure in a group fails
// that group's devices only; anything else is rethrown.
std::vector<GroupResult> build_groups(const RuntimeState& runtime, const std::vector<std::vector<std::size_t>>& groups,
                                      const std::string& text, const std::string& options, bool use_cache) {
  static const ProgramCache no_cache({}, 0);
  const ProgramCache& cache = use_cache ? runtime.program_cache : no_cache;
  std::vector<GroupResult> results(groups.size());
  std::vector<std::exception_ptr> errors(groups.size());
  auto work = [&](std::size_t g) {
    try {
      results[g] = build_group({runtime, groups[g], text, options, cache});
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
  return results;
}

// Files group `r`'s outcome into the program: each device's build (log mapped to the real
// files), its cl::Program into `programs`, and for a failed group one warning and one log.
void collect_group(const RuntimeState& runtime, const ResolvedSource& resolved, const std::string& name,
                   GroupResult& r, ProgramHandle& handle, std::vector<cl::Program>& programs,
                   std::vector<BuildError::DeviceLog>& failures) {
  handle.stats += r.stats;
  handle.warnings.insert(handle.warnings.end(), r.warnings.begin(), r.warnings.end());
  std::vector<std::string> failed;
  for (std::size_t k = 0; k < r.devices.size(); ++k) {
    auto& [d, built] = r.devices[k];
    handle.builds[d] = DeviceBuild{runtime.devices[d], r.origins[k], resolved.map_diagnostics(built.log)};
    programs[d] = std::move(built.program);
    if (r.origins[k] == BuildOrigin::failed) failed.push_back(runtime.devices[d].info().label());
  }
  if (failed.empty()) return;
  const DeviceBuild& first = handle.builds[r.devices.front().first];
  const std::string who =
      fmt::format("device{} {} '{}'", failed.size() > 1 ? "s" : "", fmt::join(failed, ", "), first.device.name());
  failures.push_back({who, first.log});
  handle.warnings.push_back(fmt::format("'{}' does not build on {}: left out of its launches", name, who));
}

}  // namespace

Program build_program(const RuntimeState& runtime, const Source& source, std::string_view options,
                      const Defines& defines) {
  const auto start = std::chrono::steady_clock::now();
  const ResolvedSource resolved = source.resolve();
  const std::string full_options = compose_options(options, defines);
  // Programs whose text is not all they depend on (includes left to the compiler, -I paths)
  // bypass the cache: a changed header would otherwise hit a stale binary.
  const bool use_cache = resolved.self_contained && full_options.find("-I") == std::string::npos;
  std::vector<GroupResult> results =
      build_groups(runtime, group_identical(runtime.devices), resolved.text, full_options, use_cache);

  auto handle = std::make_shared<ProgramHandle>();
  handle->name = source.name();
  handle->builds.resize(runtime.devices.size(), DeviceBuild{runtime.devices.front(), BuildOrigin::failed, {}});
  std::vector<cl::Program> programs(runtime.devices.size());
  std::vector<BuildError::DeviceLog> failures;
  for (GroupResult& r : results) collect_group(runtime, resolved, source.name(), r, *handle, programs, failures);
  handle->kernels = common_kernels(results, handle->warnings);
  for (std::size_t d = 0; d < runtime.devices.size(); ++d) {
    if (handle->builds[d].origin == BuildOrigin::failed) continue;
    const Device& device = runtime.devices[d];
    handle->devices.push_back(device);
    handle->per_device.push_back({device, runtime.contexts[d], programs[d],
                                 std::make_shared<DevicePool>(runtime.contexts[d], Internals::handle(device).device,
                                                              programs[d], device.info().name)});
  }
  handle->stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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
