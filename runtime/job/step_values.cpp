// A kernel step's integer fields evaluated for one launch, and checked.

#include "job/step_values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "engine/launch_plan.hpp"
#include "tessera/error.hpp"
#include "tessera/jobs.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {
namespace {

constexpr std::int64_t max_index = std::int64_t{1} << 62;

[[noreturn]] void fail(const JobSpec& job, SourcePos pos, std::string key, std::string reason) {
  throw JobError(Errc::invalid_argument, job.file, pos.line, pos.column, std::move(key), std::move(reason));
}

std::uint32_t clamp_u32(std::size_t v) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(v, std::numeric_limits<std::uint32_t>::max()));
}

// ` ("text")` after a value written as an expression, else "".
std::string quoted(const IntField& f) {
  return f.quoted ? fmt::format(" (\"{}\")", f.expr.text()) : std::string();
}

// Field `f` (key `path()`) evaluated, at least `least` and at most 2^62.
template <typename Path>
std::size_t at_least(const JobSpec& job, const IntField& f, std::int64_t least, const Scope& scope, Path&& path) {
  const std::int64_t v = value_of(job, f, scope, path);
  if (v < least || v > max_index) {
    fail(job, f.pos, path(),
         fmt::format("must be at {} {}, found {}{}{}", v < least ? "least" : "most", v < least ? least : max_index, v,
                     quoted(f), scope.when()));
  }
  return static_cast<std::size_t>(v);
}

// `key` of `step` ("global"): each extent evaluated and at least `least`.
std::vector<std::size_t> extents(const JobSpec& job, const StepSpec& step, const std::vector<IntField>& fields,
                                 std::string_view key, std::int64_t least, const Scope& scope) {
  std::vector<std::size_t> out;
  out.reserve(fields.size());
  for (std::size_t d = 0; d < fields.size(); ++d) {
    out.push_back(at_least(job, fields[d], least, scope, [&] { return fmt::format("{}.{}[{}]", step.path, key, d); }));
  }
  return out;
}

std::string shape_of(const std::vector<std::size_t>& v) { return fmt::format("[{}]", fmt::join(v, ", ")); }

void check_ranges(const JobSpec& job, const StepSpec& step, const StepValues& v, const Scope& scope) {
  std::size_t items = 1;
  for (const std::size_t g : v.global) {
    if (__builtin_mul_overflow(items, g, &items) || items > static_cast<std::size_t>(max_index)) {
      fail(job, step.global_pos, step.path + ".global",
           fmt::format("{} holds more than 2^62 work-items{}", shape_of(v.global), scope.when()));
    }
  }
  for (std::size_t d = 0; d < v.local.size(); ++d) {
    if (v.global[d] % v.local[d] != 0) {
      fail(job, step.local[d].pos, fmt::format("{}.local[{}]", step.path, d),
           fmt::format("{} does not divide global[{}] = {}{}", v.local[d], d, v.global[d], scope.when()));
    }
  }
  for (std::size_t d = 0; d < v.offset.size(); ++d) {
    if (v.offset[d] + v.global[d] > static_cast<std::size_t>(max_index)) {  // each at most 2^62: no overflow
      fail(job, step.offset_pos, step.path + ".offset",
           fmt::format("offset {} puts the range {} past index 2^62{}", shape_of(v.offset), shape_of(v.global),
                       scope.when()));
    }
  }
}

// Where the slices of buffer `ref` (argument i, given a split dimension or a shift) lie: inside
// the buffer, for every chunk the launch may be cut into.
void check_slices(const JobSpec& job, const StepSpec& step, std::size_t i, const BufferRef& ref, const StepValues& v,
                  const Scope& scope) {
  const BufferSpec& b = job.buffers[ref.index];
  BufferArg arg(nullptr, b.count(), b.type, ref.access);
  place_buffer(job, ref, v.shifts[i], arg);
  const std::vector<std::size_t> offset = v.offset.empty() ? std::vector<std::size_t>(v.global.size(), 0) : v.offset;
  BufferPlan plan{i, arg};
  try {
    plan_slices(arg, range_of(v.global), range_of(offset), plan);
  } catch (const Error& e) {
    const bool shifted = ref.shift.has_value();
    fail(job, shifted ? ref.shift->pos : ref.split_pos,
         fmt::format("{}.args[{}].{}", step.path, i, shifted ? "shift" : "split"),
         fmt::format("buffer '{}': {}{}", b.name, e.what(), scope.when()));
  }
}

void check_buffers(const JobSpec& job, const StepSpec& step, const StepValues& v, const Scope& scope) {
  const std::size_t extent = v.split_end();
  const std::size_t dim = v.global.size() - 1;
  for (const ArgSpec& a : step.args) {
    const auto* ref = std::get_if<BufferRef>(&a.arg);
    if (ref == nullptr || (ref->role != BufferRef::Role::split && ref->role != BufferRef::Role::halo)) continue;
    const std::size_t i = static_cast<std::size_t>(&a - step.args.data());
    if (ref->split || v.shifts[i] != 0) {
      check_slices(job, step, i, *ref, v, scope);
      continue;
    }
    const BufferSpec& b = job.buffers[ref->index];
    if (b.count() % extent == 0) continue;
    const std::string split = v.offset.empty() ? fmt::format("global[{}]", dim)
                                               : fmt::format("offset[{0}] + global[{0}]", dim);
    fail(job, ref->buffer_pos, fmt::format("{}.args[{}].buffer", step.path, &a - step.args.data()),
         fmt::format("buffer '{}' has {} elements, not a multiple of {} ({}, the split dimension){}; pass it whole "
                     "or fix its size",
                     b.name, b.count(), extent, split, scope.when()));
  }
}

// dynamic's chunk may not cut a launch into more chunks than a run records. The chunk is
// rounded up to the work-group size: known here when the step gives `local` (else the engine
// checks).
void check_chunks(const JobSpec& job, const StepSpec& step, const StepValues& v, const Scope& scope) {
  const auto& chunk = job.scheduler.chunk;
  if (!chunk || v.local.empty()) return;
  const std::size_t group = v.local.back();
  const std::size_t rounded = (*chunk + group - 1) / group * group;
  const std::size_t extent = v.global.back();
  const std::size_t chunks = extent / rounded + (extent % rounded != 0 ? 1 : 0);
  if (chunks > Schedule::max_chunks) {
    fail(job, job.scheduler.chunk_pos, "job.chunk",
         fmt::format("cuts the {} indices of {} into {} chunks{}; at most {}", extent, step.path, chunks,
                     scope.when(), Schedule::max_chunks));
  }
}

}  // namespace

void Scope::set(const std::string& name, std::int64_t value) {
  const auto [it, added] = values_.insert_or_assign(name, value);
  if (added) counters_.push_back(name);
}

void Scope::leave() {
  values_.erase(counters_.back());
  counters_.pop_back();
}

std::string Scope::when() const {
  std::string out;
  for (const std::string& c : counters_) {
    out += fmt::format("{} {} = {}", out.empty() ? " when" : ",", c, values_.find(c)->second);
  }
  return out;
}

NDRange range_of(const std::vector<std::size_t>& extents) {
  if (extents.size() == 1) return NDRange{extents[0]};
  if (extents.size() == 2) return NDRange{extents[0], extents[1]};
  return NDRange{extents[0], extents[1], extents[2]};
}

BufferArg& place_buffer(const JobSpec& job, const BufferRef& ref, std::int64_t shift, BufferArg& arg) {
  switch (ref.role) {
    case BufferRef::Role::split: break;
    case BufferRef::Role::halo: arg.halo(ref.halo); break;
    case BufferRef::Role::whole: arg.whole(); break;
    case BufferRef::Role::reduce: arg.reduce(ref.reduce); break;
    case BufferRef::Role::scatter: arg.scatter(); break;
  }
  if (ref.split) arg.along(job.buffers[ref.index].shape, *ref.split);
  if (shift != 0) arg.shift(static_cast<std::ptrdiff_t>(shift));
  return arg;
}

void fail_field(const JobSpec& job, const IntField& field, const Scope& scope, std::string path,
                const ExpressionError& e) {
  const SourcePos at = field.quoted ? SourcePos{field.pos.line, clamp_u32(field.pos.column + 1 + e.offset())}
                                    : field.pos;
  fail(job, at, std::move(path), e.what() + scope.when());
}

StepValues step_values(const JobSpec& job, const StepSpec& step, const Scope& scope) {
  StepValues v;
  v.global = extents(job, step, step.global, "global", 1, scope);
  v.local = extents(job, step, step.local, "local", 1, scope);
  v.offset = extents(job, step, step.offset, "offset", 0, scope);
  check_ranges(job, step, v, scope);
  for (std::size_t i = 0; i < step.args.size(); ++i) {
    const auto* s = std::get_if<ScalarArg>(&step.args[i].arg);
    if (s == nullptr) {
      v.scalars.emplace_back(std::int64_t{0});
      const auto& shift = std::get<BufferRef>(step.args[i].arg).shift;
      const auto path = [&] { return fmt::format("{}.args[{}].shift", step.path, i); };
      v.shifts.push_back(shift ? value_of(job, *shift, scope, path) : 0);
      if (shift && (v.shifts.back() > max_index || v.shifts.back() < -max_index)) {
        fail(job, shift->pos, path(),
             fmt::format("{} is past index 2^62{}{}", v.shifts.back(), quoted(*shift), scope.when()));
      }
      continue;
    }
    v.shifts.push_back(0);
    if (const auto* real = std::get_if<double>(&s->value)) {
      v.scalars.emplace_back(*real);
      continue;
    }
    const IntField& f = std::get<IntField>(s->value);
    const auto path = [&] { return fmt::format("{}.args[{}].value", step.path, i); };
    const Number n = value_of(job, f, scope, path);
    if (s->type) {
      if (const auto why = misfit(n, *s->type)) fail(job, f.pos, path(), *why + scope.when());
    }
    v.scalars.push_back(n);
  }
  check_buffers(job, step, v, scope);
  check_chunks(job, step, v, scope);
  return v;
}

}  // namespace tessera::detail
