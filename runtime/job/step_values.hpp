#pragma once
// Internal: the values of a kernel step's integer fields for one launch. [params] and the loop
// counters in scope (a Scope) are put into the step's expressions and the results checked. The
// loader evaluates every launch of a job this way to validate it; the runner evaluates each
// launch again to build it, so both see the same values and the same rules.
//
//   Scope scope(job.params);
//   scope.set("k", 3);
//   const StepValues v = step_values(job, job.steps[0], scope);   // v.global, v.offset, ...

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "job/job_spec.hpp"
#include "job/number.hpp"
#include "tessera/buffer.hpp"
#include "tessera/range.hpp"

namespace tessera::detail {

/// The names an expression may use at one point of a run: the params and the loop counters in
/// scope, with their current values.
class Scope {
 public:
  explicit Scope(const ParamValues& params) : values_(params) {}
  const ParamValues& values() const noexcept { return values_; }
  /// Counter `name` takes `value`; it enters the scope (innermost) if it is not in it yet.
  void set(const std::string& name, std::int64_t value);
  /// The innermost counter leaves the scope.
  void leave();
  /// " when k = 7, j = 3" (outermost first), or "" outside loops: the end of a message.
  std::string when() const;

 private:
  ParamValues values_;
  std::vector<std::string> counters_;
};

/// One launch of a kernel step.
struct StepValues {
  std::vector<std::size_t> global;  ///< each at least 1, at most 2^62 work-items in all
  std::vector<std::size_t> local;   ///< empty, or each dividing its global extent
  std::vector<std::size_t> offset;  ///< empty (no offset), or as many as global
  std::vector<Number> scalars;      ///< per argument: a scalar's value (0 for buffers)
  std::vector<std::int64_t> shifts;  ///< per argument: a buffer's shift (0 for none, and scalars)

  /// The split dimension's indices from 0 up to the end of the range: offset + global.
  std::size_t split_end() const noexcept { return (offset.empty() ? 0 : offset.back()) + global.back(); }
  friend bool operator==(const StepValues&, const StepValues&) = default;
  friend auto operator<=>(const StepValues&, const StepValues&) = default;
};

/// The ND-range of 1 to 3 extents.
NDRange range_of(const std::vector<std::size_t>& extents);

/// Buffer argument `ref` of a launch: `arg` (its array or host data, with its access) given the
/// role, and the split dimension (along its buffer's shape) and `shift` of its slices.
BufferArg& place_buffer(const JobSpec& job, const BufferRef& ref, std::int64_t shift, BufferArg& arg);

/// The JobError of `field`, whose evaluation in `scope` failed with `e`, at key `path`.
[[noreturn]] void fail_field(const JobSpec& job, const IntField& field, const Scope& scope, std::string path,
                             const ExpressionError& e);

/// The value of `field` in `scope`: a JobError at the field (key `path()`, made only then) when
/// it cannot be evaluated (an overflow, a division by zero), naming the counters' values.
template <typename Path>
std::int64_t value_of(const JobSpec& job, const IntField& field, const Scope& scope, Path&& path) {
  try {
    return field.expr.evaluate(scope.values());
  } catch (const ExpressionError& e) {
    fail_field(job, field, scope, path(), e);
  }
}

/// The values of `step` in `scope`. Throws JobError at the field at fault, naming the counters'
/// values: an expression that cannot be evaluated, a global extent below 1, a local extent that
/// does not divide its global one, a negative offset, more than 2^62 work-items or an index past
/// 2^62, a scalar that does not fit its declared type, a split or halo buffer whose elements do
/// not divide by the split extent (offset + global), a split or halo buffer whose slices (its
/// split dimension, shift) leave it for some chunk, a dynamic chunk that cuts the step into
/// more chunks than a run records.
StepValues step_values(const JobSpec& job, const StepSpec& step, const Scope& scope);

}  // namespace tessera::detail
