// A job's steps in the order they run, loops unrolled, with the counts that bound a job.

#include "job/step_walk.hpp"

#include <fmt/format.h>

#include "tessera/jobs.hpp"

namespace tessera::detail {
namespace {

class Walker {
 public:
  Walker(const JobSpec& job, const std::function<bool(std::size_t, const Scope&)>& visit)
      : job_(job), visit_(visit), scope_(job.params) {}

  bool nodes(const std::vector<StepNode>& list) {
    for (const StepNode& n : list) {
      if (const auto* k = std::get_if<std::size_t>(&n.node)) {
        if (!step(*k)) return false;
      } else if (!loop(std::get<LoopSpec>(n.node))) {
        return false;
      }
    }
    return true;
  }

 private:
  bool step(std::size_t k) {
    const StepSpec& s = job_.steps[k];
    launches_ += s.repeat;
    if (launches_ > static_cast<std::uint64_t>(StepSpec::max_repeat)) {
      fail(s.pos, s.path,
           fmt::format("the job launches kernels more than {} times (loops and repeat included){}",
                       StepSpec::max_repeat, scope_.when()));
    }
    return visit_(k, scope_);
  }

  bool loop(const LoopSpec& l) {
    // Keys are made only for messages: a loop may start once per iteration of the loop around it.
    const auto key = [&l](int bound) {
      const std::string k = fmt::format("{}.for.{}", l.path, l.counter);
      return bound < 0 ? k : fmt::format("{}[{}]", k, bound);
    };
    const std::int64_t begin = value_of(job_, l.begin, scope_, [&] { return key(0); });
    const std::int64_t end = value_of(job_, l.end, scope_, [&] { return key(1); });
    const std::int64_t stride = value_of(job_, l.stride, scope_, [&] { return key(2); });
    if (stride < 1) {
      fail(l.stride.pos, key(2),
           fmt::format("the stride must be at least 1, found {}{}{}", stride,
                       l.stride.quoted ? fmt::format(" (\"{}\")", l.stride.expr.text()) : std::string(),
                       scope_.when()));
    }
    if (begin >= end && !l.dependent) {
      fail(l.for_pos, key(-1),
           fmt::format("the range [{}, {}) is empty: the loop never runs{}", begin, end, scope_.when()));
    }
    if (begin < end) {
      const std::uint64_t span = static_cast<std::uint64_t>(end) - static_cast<std::uint64_t>(begin);
      const auto step = static_cast<std::uint64_t>(stride);
      const std::uint64_t trips = span / step + (span % step != 0 ? 1 : 0);
      constexpr auto most = static_cast<std::uint64_t>(StepSpec::max_repeat);
      if (trips > most || (iterations_ += trips) > most) {  // both at most 2^24: no overflow
        fail(l.for_pos, key(-1),
             fmt::format("runs {} iterations{}: more than {} loop iterations in all", trips, scope_.when(),
                         StepSpec::max_repeat));
      }
    }
    bool go = true;
    for (std::int64_t c = begin; go && c < end;) {
      scope_.set(l.counter, c);
      go = nodes(l.body);
      if (__builtin_add_overflow(c, stride, &c)) break;  // past end, which is at most INT64_MAX
    }
    if (begin < end) scope_.leave();
    return go;
  }

  [[noreturn]] void fail(SourcePos pos, std::string key, std::string reason) const {
    throw JobError(Errc::invalid_argument, job_.file, pos.line, pos.column, std::move(key), std::move(reason));
  }

  const JobSpec& job_;
  const std::function<bool(std::size_t, const Scope&)>& visit_;
  Scope scope_;
  std::uint64_t launches_ = 0;
  std::uint64_t iterations_ = 0;
};

}  // namespace

bool walk_steps(const JobSpec& job, const std::function<bool(std::size_t, const Scope&)>& visit) {
  return Walker(job, visit).nodes(job.flow);
}

std::vector<StepCount> count_steps(const JobSpec& job) {
  std::vector<StepCount> counts(job.steps.size());
  walk_steps(job, [&](std::size_t k, const Scope& scope) {
    const StepSpec& s = job.steps[k];
    const auto extent = static_cast<std::size_t>(
        value_of(job, s.global.back(), scope, [&] { return fmt::format("{}.global", s.path); }));
    counts[k].launches += s.repeat;
    counts[k].split_indices += static_cast<std::uint64_t>(extent) * s.repeat;
    return true;
  });
  return counts;
}

}  // namespace tessera::detail
