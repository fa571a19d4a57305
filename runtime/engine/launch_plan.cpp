// Checking a launch before anything runs: ranges, argument kinds and sizes, buffer geometry.

#include "common/element_types.hpp"
#include "common/internals.hpp"
#include "engine/launch_plan.hpp"

#include <fmt/format.h>

#include <charconv>
#include <string_view>

#include "tessera/error.hpp"

namespace tessera::detail {
namespace {

[[noreturn]] void invalid(std::string message) {
  throw Error(Errc::invalid_argument, std::move(message));
}

// Bytes of an OpenCL C scalar type that is not an element type; 0 when unknown.
std::size_t other_scalar_size(std::string_view type) {
  static constexpr std::pair<std::string_view, std::size_t> others[] = {
      {"bool", 1}, {"half", 2}, {"size_t", 8}, {"ptrdiff_t", 8}, {"intptr_t", 8}, {"uintptr_t", 8}};
  for (const auto& [name, size] : others) {
    if (name == type) return size;
  }
  return 0;
}

// Bytes of an OpenCL C scalar or vector type by name ("float", "uint4", "unsigned int"); 0 when
// unknown.
std::size_t opencl_type_size(std::string_view type) {
  constexpr std::string_view unsigned_prefix = "unsigned ";
  if (type.substr(0, unsigned_prefix.size()) == unsigned_prefix) type.remove_prefix(unsigned_prefix.size());
  std::size_t digits = type.size();
  while (digits > 0 && std::isdigit(static_cast<unsigned char>(type[digits - 1]))) --digits;
  const std::string_view base = type.substr(0, digits);
  const auto element = element_type_named(base);
  const std::size_t size = element ? size_of(*element) : other_scalar_size(base);
  if (size == 0 || digits == type.size()) return size;
  std::size_t n = 0;
  std::from_chars(type.data() + digits, type.data() + type.size(), n);
  return size * (n == 3 ? 4 : n);  // a 3-vector is stored as 4
}

std::string describe(const KernelSignature& sig, std::size_t i) {
  const KernelArg& a = sig.args[i];
  return fmt::format("kernel '{}' argument {}{}", sig.name, i, a.name.empty() ? "" : " '" + a.name + "'");
}

// The work-group size Tessera launches with when the caller gives none. 1-D: a power of two
// that grows with the range (large groups cost drivers like PoCL least per item; small ranges
// keep chunks fine enough to balance), at most `max_group`; 2-D and 3-D: the largest divisor of
// the first dimension up to 64, one along the rest.
NDRange automatic_local(const NDRange& g, std::size_t max_group) {
  if (g.dims() == 1) {
    const std::size_t n = g[0];
    std::size_t l = n >= (1u << 22) ? 4096 : n >= (1u << 18) ? 1024 : n >= 65536 ? 256
                  : n >= 2048 ? 64 : n >= 256 ? 16 : 1;
    while (l > 1 && l > max_group) l /= 2;
    return NDRange{l};
  }
  std::size_t first = std::min<std::size_t>({g[0], 64, std::max<std::size_t>(max_group, 1)});
  while (g[0] % first != 0) --first;
  return g.dims() == 2 ? NDRange{first, 1} : NDRange{first, 1, 1};
}

}  // namespace

NDRange offset_of(const Launch& launch) {
  if (launch.offset()) return *launch.offset();
  const std::size_t dims = launch.global().dims();
  return dims == 1 ? NDRange{0} : dims == 2 ? NDRange{0, 0} : NDRange{0, 0, 0};
}

Slab BufferPlan::read_slab(std::size_t a, std::size_t b) const {
  const std::size_t h = buffer.role() == BufferArg::Role::halo ? buffer.halo_width() : 0;
  const std::size_t lo = first + a > h ? first + a - h : 0;
  const std::size_t hi = std::min(extent, first + b + h);
  const std::size_t unit = unit_bytes();
  return {lo * unit, (hi - lo) * unit, outer, extent * unit};
}

Slab BufferPlan::own_slab(std::size_t a, std::size_t b) const {
  const std::size_t unit = unit_bytes();
  return {(first + a) * unit, (b - a) * unit, outer, extent * unit};
}

void plan_slices(const BufferArg& b, const NDRange& global, const NDRange& offset,
                 BufferPlan& bp) {
  const std::size_t g = global.split_extent(), o = offset[global.dims() - 1];
  const std::ptrdiff_t s = b.shift_by();
  const std::size_t up = s > 0 ? static_cast<std::size_t>(s) : 0;
  const std::size_t down = s < 0 ? static_cast<std::size_t>(-(s + 1)) + 1 : 0;
  if (b.along_dims() > 0) {
    if (b.along_dim() >= b.along_dims()) {
      invalid(fmt::format("along() names dimension {} of a {}-D shape", b.along_dim(),
                          b.along_dims()));
    }
    std::size_t count = 0;
    if (b.along_outer() == 0 || __builtin_mul_overflow(b.along_outer(), b.along_extent(), &count) ||
        __builtin_mul_overflow(count, b.along_inner(), &count) || count != b.count()) {
      invalid(fmt::format("the shape given to along() does not hold the buffer's {} elements",
                          b.count()));
    }
    bp.outer = b.along_outer();
    bp.extent = b.along_extent();
    bp.elements_per_index = b.along_inner();
  } else {
    // The smallest extent covering every index the launch touches.
    const std::size_t extent = o + g + up;
    if (b.count() % extent != 0) {
      invalid(fmt::format("{} elements do not divide by the split extent {} of the range {}{}",
                          b.count(), extent, global.to_string(),
                          o + up > 0 ? " (counted from 0, with the offset and the shift)" : ""));
    }
    bp.extent = extent;
    bp.elements_per_index = b.count() / extent;
  }
  if (o + up < down || o + up - down > bp.extent || g > bp.extent - (o + up - down)) {
    invalid(fmt::format("the launch's split indices [{}, {}) shifted by {} leave the buffer's {} indices along its "
                        "split dimension",
                        o, o + g, s, bp.extent));
  }
  bp.first = o + up - down;
}

namespace {

// The work-group size every chunk runs with, and the granule of chunk sizes it implies.
void plan_local_size(const KernelSignature& sig, const Launch& launch, LaunchPlan& plan) {
  const NDRange& g = launch.global();
  std::size_t items = 1;
  for (std::size_t d = 0; d < g.dims(); ++d) {
    if (g[d] == 0) invalid(fmt::format("kernel '{}': the global range {} is empty", sig.name, g.to_string()));
    if (__builtin_mul_overflow(items, g[d], &items) || items > (std::size_t{1} << 62)) {
      invalid(fmt::format("kernel '{}': the global range {} holds more than 2^62 work-items", sig.name,
                          g.to_string()));
    }
  }
  // The largest work-group the kernel runs with on every device (CL_KERNEL_WORK_GROUP_SIZE:
  // a heavy kernel may get less than the device's maximum).
  std::size_t max_group = 4096;
  for (const auto& on : plan.program->per_device) {
    max_group = std::min(max_group, std::max<std::size_t>(on.pool->work_group_size(plan.kernel), 1));
  }
  const auto& l = launch.local();
  if (!l) {
    plan.local = automatic_local(g, max_group);
    plan.granule = (*plan.local)[g.dims() - 1];
    return;
  }
  if (l->dims() != g.dims()) {
    invalid(fmt::format("kernel '{}': local size {} has {} dimension(s), the global range {} has {}", sig.name,
                        l->to_string(), l->dims(), g.to_string(), g.dims()));
  }
  for (std::size_t d = 0; d < g.dims(); ++d) {
    if ((*l)[d] == 0 || g[d] % (*l)[d] != 0) {
      invalid(fmt::format("kernel '{}': local size {} does not divide the global range {}", sig.name,
                          l->to_string(), g.to_string()));
    }
  }
  if (l->total() > max_group) {
    invalid(fmt::format("kernel '{}': local size {} has {} work-items; the kernel runs at most {} per "
                        "work-group on its devices",
                        sig.name, l->to_string(), l->total(), max_group));
  }
  plan.granule = (*l)[g.dims() - 1];
}

// A scalar is a value of the parameter's own type: the caller converts, never the launch.
void plan_scalar(const KernelSignature& sig, std::size_t i, const Scalar& s) {
  const KernelArg& param = sig.args[i];
  if (param.kind != ArgKind::scalar) {
    invalid(fmt::format("{} is a {} pointer ({}); a scalar ({}) was given", describe(sig, i), to_string(param.kind),
                        param.type_name, to_string(s.type())));
  }
  const auto type = scalar_parameter_type(param.type_name);
  if (!type) {
    invalid(fmt::format("{} is {}, which no scalar argument can give ({} was given)", describe(sig, i),
                        param.type_name, to_string(s.type())));
  }
  if (*type != s.type()) {
    invalid(fmt::format("{} takes {}; the scalar given is {} (a launch never converts: give {})", describe(sig, i),
                        to_string(*type), to_string(s.type()), cpp_name(*type)));
  }
}

void plan_window_base(const KernelSignature& sig, std::size_t i, LaunchPlan& plan) {
  const KernelArg& param = sig.args[i];
  const std::size_t bytes = opencl_type_size(param.type_name);
  if (param.kind != ArgKind::scalar || (bytes != 4 && bytes != 8)) {
    invalid(fmt::format("{} receives the window base: it must be a uint or ulong, not {}", describe(sig, i),
                        param.type_name));
  }
  if (plan.window_base_arg) invalid(fmt::format("kernel '{}': two window_base() arguments", sig.name));
  plan.windowed = true;
  plan.window_base_arg = i;
  plan.window_base_bytes = bytes;
}

// A buffer argument's role against its parameter and the range: the geometry of its slices.
BufferPlan plan_buffer(const KernelSignature& sig, std::size_t i, const BufferArg& b, const LaunchPlan& plan) {
  const KernelArg& param = sig.args[i];
  if (param.kind != ArgKind::global_buffer && param.kind != ArgKind::constant_buffer) {
    invalid(fmt::format("{} is {} ({}); a buffer was given", describe(sig, i),
                        param.kind == ArgKind::scalar ? "a scalar" : "a local pointer", param.type_name));
  }
  if (b.count() == 0) invalid(fmt::format("{}: the buffer is empty", describe(sig, i)));
  BufferPlan bp{i, b};
  const bool sliced = b.role() == BufferArg::Role::split || b.role() == BufferArg::Role::halo;
  if (!sliced && (b.along_dims() > 0 || b.shift_by() != 0)) {
    invalid(fmt::format("{}: along() and shift() apply to split and halo buffers only", describe(sig, i)));
  }
  switch (b.role()) {
    case BufferArg::Role::split:
    case BufferArg::Role::halo:
      try {
        plan_slices(b, plan.global, plan.offset, bp);
      } catch (const Error& e) {
        invalid(fmt::format("{}: {}", describe(sig, i), e.what()));
      }
      break;
    case BufferArg::Role::whole:
      if (b.access() != Access::read) {
        invalid(fmt::format("{}: a whole buffer is read-only; access '{}' was given", describe(sig, i),
                            to_string(b.access())));
      }
      break;
    case BufferArg::Role::reduce:
    case BufferArg::Role::scatter:
      if (b.access() == Access::read) {
        invalid(fmt::format("{}: a {} buffer must be written; access 'read' was given", describe(sig, i),
                            b.role() == BufferArg::Role::reduce ? "reduce" : "scatter"));
      }
      break;
  }
  if (b.access() != Access::read && param.is_const) {
    invalid(fmt::format("{} points to const data; access '{}' was given", describe(sig, i), to_string(b.access())));
  }
  return bp;
}

void plan_argument(const KernelSignature& sig, std::size_t i, const KernelArgValue& value, LaunchPlan& plan) {
  if (const auto* s = std::get_if<Scalar>(&value)) {
    plan_scalar(sig, i, *s);
  } else if (std::holds_alternative<WindowBase>(value)) {
    plan_window_base(sig, i, plan);
  } else if (std::holds_alternative<LocalArg>(value)) {
    if (sig.args[i].kind != ArgKind::local_buffer) {
      invalid(fmt::format("{} is not a local pointer; a local size was given", describe(sig, i)));
    }
  } else {
    const BufferArg& b = std::get<BufferArg>(value);
    plan.buffers.push_back(plan_buffer(sig, i, b, plan));
    if (b.role() == BufferArg::Role::halo) plan.halo_max = std::max(plan.halo_max, b.halo_width());
  }
  plan.args.push_back(value);
}

// The schedule against the program's devices and the range.
void check_schedule(const Schedule& schedule, std::size_t devices, const LaunchPlan& plan) {
  if (const auto* single = std::get_if<policy::Single>(&schedule.policy())) {
    if (single->device != policy::Single::fastest && single->device >= devices) {
      invalid(fmt::format("schedule single: device {} does not exist (the program has {} device(s))", single->device,
                          devices));
    }
  }
  if (const auto* st = std::get_if<policy::Static>(&schedule.policy())) {
    if (!st->weights.empty() && st->weights.size() != devices) {
      invalid(fmt::format("schedule static: {} weights given for {} devices", st->weights.size(), devices));
    }
    double sum = 0;
    for (double w : st->weights) {
      if (!(w >= 0)) invalid(fmt::format("schedule static: weight {} is negative", w));
      sum += w;
    }
    if (!st->weights.empty() && sum <= 0) invalid("schedule static: the weights sum to 0");
  }
  if (schedule.pipeline == 0 || schedule.pipeline > Schedule::max_pipeline) {
    invalid(fmt::format("schedule: pipeline must be 1 to {}, not {}", Schedule::max_pipeline, schedule.pipeline));
  }
  if (const auto* dynamic = std::get_if<policy::Dynamic>(&schedule.policy())) {
    const std::size_t chunk = std::max<std::size_t>((dynamic->chunk + plan.granule - 1) / plan.granule, 1) * plan.granule;
    const std::size_t extent = plan.global.split_extent();
    const std::size_t chunks = extent / chunk + (extent % chunk != 0 ? 1 : 0);
    if (chunks > Schedule::max_chunks) {
      invalid(fmt::format("schedule dynamic({}) cuts the {} indices of the split dimension into {} chunks; at most {} "
                          "(give a larger chunk)",
                          dynamic->chunk, extent, chunks, Schedule::max_chunks));
    }
  }
}

// The global work offset: as many dimensions as the range, and no index past 2^62.
void plan_offset(const KernelSignature& sig, const Launch& launch, LaunchPlan& plan) {
  const NDRange& g = launch.global();
  plan.offset = offset_of(launch);
  const auto& o = launch.offset();
  if (!o) return;  // zeros
  if (o->dims() != g.dims()) {
    invalid(fmt::format("kernel '{}': offset {} has {} dimension(s), the global range {} has {}", sig.name,
                        o->to_string(), o->dims(), g.to_string(), g.dims()));
  }
  for (std::size_t d = 0; d < g.dims(); ++d) {
    if ((*o)[d] > (std::size_t{1} << 62) - g[d]) {
      invalid(fmt::format("kernel '{}': offset {} puts the range {} past index 2^62", sig.name, o->to_string(),
                          g.to_string()));
    }
  }
}

// Windows are cut from contiguous buffers counted from the range's first index.
void check_windows(const KernelSignature& sig, const LaunchPlan& plan) {
  if (plan.offset[plan.global.dims() - 1] != 0) {
    invalid(fmt::format("kernel '{}': a launch streamed in windows (window_base()) takes no offset along its split "
                        "dimension",
                        sig.name));
  }
  for (const BufferPlan& bp : plan.buffers) {
    if (bp.outer > 1 || bp.first != 0 || (bp.extent != 0 && bp.extent != plan.global.split_extent())) {
      invalid(fmt::format("{}: a launch streamed in windows (window_base()) splits its buffers along their first "
                          "dimension, unshifted",
                          describe(sig, bp.arg)));
    }
  }
}

}  // namespace

LaunchPlan plan_launch(const Launch& launch, const Schedule& schedule) {
  LaunchPlan plan{Internals::handle(launch.program()), launch.kernel(), launch.global()};
  plan.local = launch.local();
  const KernelSignature& sig = launch.program().kernel(launch.kernel());
  sig.check_arity(launch.args().size());
  plan_local_size(sig, launch, plan);
  plan_offset(sig, launch, plan);
  for (std::size_t i = 0; i < launch.args().size(); ++i) plan_argument(sig, i, launch.args()[i], plan);
  if (plan.windowed) check_windows(sig, plan);
  check_schedule(schedule, plan.program->devices.size(), plan);
  return plan;
}

void require_host_data(const LaunchPlan& plan) {
  for (const BufferPlan& bp : plan.buffers) {
    if (bp.buffer.data() == nullptr) {
      invalid(fmt::format("kernel '{}' argument {}: the buffer has no host array (a null pointer)", plan.kernel, bp.arg));
    }
  }
}

std::size_t max_chunk_for(const LaunchPlan& plan, const DeviceInfo& device,
                          std::uint64_t memory_limit, std::uint64_t alloc_limit, std::size_t pipeline,
                          bool in_place) {
  // Fixed needs: whole buffers once, reduce and scatter copies once per chunk in flight.
  std::uint64_t fixed = 0, per_index = 0, widest = 0;
  for (const BufferPlan& bp : plan.buffers) {
    const auto role = bp.buffer.role();
    if (role == BufferArg::Role::whole) fixed += bp.buffer.bytes();
    if (bp.private_copies()) fixed += bp.buffer.bytes() * pipeline;
    const bool sliced = role == BufferArg::Role::split || role == BufferArg::Role::halo;
    if (sliced) per_index += bp.unit_bytes(), widest = std::max<std::uint64_t>(widest, bp.unit_bytes());
    const std::uint64_t whole_size = sliced && plan.windowed ? 0 : bp.buffer.bytes();
    if (whole_size > alloc_limit) {
      invalid(fmt::format("kernel argument {}: {} bytes exceed the largest allocation of device {} "
                          "'{}' ({} bytes){}",
                          bp.arg, whole_size, device.label(), device.name, alloc_limit,
                          sliced ? "; pass tessera::window_base() to stream it in windows" : ""));
    }
  }
  if (!plan.windowed) {
    std::uint64_t total = fixed;
    for (const BufferPlan& bp : plan.buffers) {
      if (bp.buffer.role() == BufferArg::Role::split || bp.buffer.role() == BufferArg::Role::halo) total += bp.buffer.bytes();
    }
    if (total > memory_limit && !in_place) {
      invalid(fmt::format("the launch needs {} bytes on device {} '{}', which has {}; pass "
                          "tessera::window_base() to stream its buffers in windows",
                          total, device.label(), device.name, memory_limit));
    }
    return 0;
  }
  if (per_index == 0) return 0;
  const std::uint64_t spare = memory_limit > fixed ? memory_limit - fixed : 0;
  const std::uint64_t by_memory = spare / (pipeline * per_index);
  const std::uint64_t by_alloc = alloc_limit / widest;
  const std::uint64_t window = std::min(by_memory, by_alloc);
  const std::uint64_t chunk = window > 2 * plan.halo_max ? window - 2 * plan.halo_max : 0;
  const std::size_t granules = static_cast<std::size_t>(chunk / plan.granule);
  if (granules == 0) {
    invalid(fmt::format("device {} '{}' cannot hold one work-group's window ({} bytes per index, "
                        "{} chunks in flight) within {} bytes",
                        device.label(), device.name, per_index, pipeline, memory_limit));
  }
  return granules * plan.granule;
}

}  // namespace tessera::detail
