#include "job/job_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <numeric>
#include <set>
#include <tuple>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <new>

#include "common/atomic_file.hpp"
#include "common/element_types.hpp"
#include "job/buffer_init.hpp"
#include "job/colormap.hpp"
#include "job/elements.hpp"
#include "job/image.hpp"
#include "job/job_transfers.hpp"
#include "job/npy.hpp"
#include "job/number.hpp"
#include "job/repetitions.hpp"
#include "job/schedule_from_job.hpp"
#include "job/step_values.hpp"
#include "job/step_walk.hpp"
#include "tessera/launch.hpp"
#include "tessera/source.hpp"

namespace tessera::detail {

HostArray::HostArray(std::size_t bytes) : bytes_(bytes) {
  constexpr std::size_t page = 4096;
  const std::size_t rounded = std::max<std::size_t>(page, (bytes + page - 1) / page * page);
  own_.reset(static_cast<unsigned char*>(std::aligned_alloc(page, rounded)));
  if (!own_) throw std::bad_alloc();
  data_ = own_.get();
}

HostArray::HostArray(ArrayBase array)
    : array_(std::move(array)),
      data_(static_cast<unsigned char*>(const_cast<void*>(array_.host_view()))),
      bytes_(array_.bytes()) {}

void HostArray::Free::operator()(unsigned char* p) const noexcept { std::free(p); }

namespace {

JobError job_error(const JobSpec& job, SourcePos pos, std::string key, std::string reason) {
  return JobError(Errc::invalid_argument, job.file, pos.line, pos.column, std::move(key), std::move(reason));
}

Program build_program(const Runtime& rt, const JobSpec& job, ProgramMemo* programs) {
  const ProgramSpec& p = job.program;
  const Source source = p.builtin.empty() ? Source::file(p.source) : Source::builtin(p.builtin);
  return programs != nullptr ? programs->compile(rt, source, p.options, p.defines) : rt.compile(source, p.options, p.defines);
}

// A job scalar as a value of `type` (converted as set_element converts).
Scalar scalar_of(ElementType type, const Number& value) {
  return visit_element_type(type, [&](auto zero) {
    using T = decltype(zero);
    T v{};
    if (const auto* i = std::get_if<std::int64_t>(&value)) {
      set_element(type, &v, 0, *i);
    } else {
      set_element(type, &v, 0, std::get<double>(value));
    }
    return Scalar(v);
  });
}

// Argument i's scalar for the kernel `sig`: `value` as a value of the parameter's own type,
// exactly (a declared type must be the parameter's; the value must fit it). Messages name the
// loop counters' values in `scope`.
Scalar scalar_for(const JobSpec& job, const KernelSignature& sig, std::size_t i, const ScalarArg& s,
                  const Number& value, SourcePos pos, const std::string& key, const Scope& scope) {
  const KernelArg& param = sig.args[i];
  const auto which = [&] { return fmt::format("parameter {} '{}' of '{}'", i, param.name, sig.name); };
  if (param.kind != ArgKind::scalar) {
    throw job_error(job, pos, key,
                    fmt::format("{} is a {} pointer ({}); a scalar was given", which(), to_string(param.kind),
                                param.type_name));
  }
  const auto type = scalar_parameter_type(param.type_name);
  if (!type) throw job_error(job, pos, key, fmt::format("{} is {}, which a job cannot give", which(), param.type_name));
  if (s.type && *s.type != *type) {
    throw job_error(job, pos, key,
                    fmt::format("{} is {}; type = \"{}\" was given", which(), to_string(*type), to_string(*s.type)));
  }
  if (const auto why = misfit(value, *type)) {
    throw job_error(job, pos, key, fmt::format("{} is {}: {}{}", which(), to_string(*type), *why, scope.when()));
  }
  return scalar_of(*type, value);
}

// The launch of step `k` with the values `v` over `arrays` (the job's buffers as resident arrays)
// or, without them, over host data of null pointers (to check the launch only); mismatches with
// the kernel's signature are JobErrors at the step's arguments (naming the loop counters' values
// in `scope`).
Launch make_launch(const JobSpec& job, std::size_t k, const StepValues& v, const Scope& scope, const Program& program,
                   const std::vector<ArrayBase>* arrays) {
  const StepSpec& step = job.steps[k];
  const std::string& where = step.path;
  const KernelSignature* sig = nullptr;
  try {
    sig = &program.kernel(step.kernel);
  } catch (const Error& e) {
    throw job_error(job, step.kernel_pos, where + ".kernel", e.what());
  }
  if (sig->args.size() != step.args.size()) {
    throw job_error(job, step.args_pos, where + ".args",
                    fmt::format("kernel '{}' takes {} arguments, {} given: {}", sig->name, sig->args.size(),
                                step.args.size(), sig->to_string()));
  }
  Launch launch{program, step.kernel, range_of(v.global),
                v.local.empty() ? std::nullopt : std::optional<NDRange>(range_of(v.local))};
  if (!v.offset.empty()) launch.offset(range_of(v.offset));
  for (std::size_t i = 0; i < step.args.size(); ++i) {
    const KernelArg& param = sig->args[i];
    const ArgSpec& a = step.args[i];
    const std::string key = fmt::format("{}.args[{}]", where, i);
    if (const auto* s = std::get_if<ScalarArg>(&a.arg)) {
      launch.arg(scalar_for(job, *sig, i, *s, v.scalars[i], a.pos, key, scope));
      continue;
    }
    const auto& ref = std::get<BufferRef>(a.arg);
    if (param.kind != ArgKind::global_buffer && param.kind != ArgKind::constant_buffer) {
      throw job_error(job, a.pos, key,
                      fmt::format("parameter {} '{}' of '{}' is {} ({}); buffer '{}' was given", i, param.name,
                                  sig->name, param.kind == ArgKind::scalar ? "a scalar" : "a local pointer",
                                  param.type_name, ref.buffer));
    }
    const BufferSpec& b = job.buffers[ref.index];
    BufferArg arg = arrays != nullptr ? BufferArg((*arrays)[ref.index], ref.access)
                                      : BufferArg(nullptr, b.count(), b.type, ref.access);
    launch.arg(place_buffer(job, ref, v.shifts[i], arg));
  }
  return launch;
}

// The scalars of step k's launch with values `v` against its kernel's parameters, for a step
// that make_launch checked before (kinds and types do not change between launches; values may).
void check_scalars(const JobSpec& job, std::size_t k, const StepValues& v, const Scope& scope, const Program& program) {
  const StepSpec& step = job.steps[k];
  const KernelSignature& sig = program.kernel(step.kernel);
  for (std::size_t i = 0; i < step.args.size(); ++i) {
    const auto* s = std::get_if<ScalarArg>(&step.args[i].arg);
    if (s == nullptr) continue;
    const auto type = scalar_parameter_type(sig.args[i].type_name);
    if (type && !misfit(v.scalars[i], *type)) continue;  // the message is made only for a misfit
    scalar_for(job, sig, i, *s, v.scalars[i], step.args[i].pos, fmt::format("{}.args[{}]", step.path, i), scope);
  }
}

// The job's static weights, when its scheduler runs with them: one per device the program runs on.
void check_weights(const JobSpec& job, const std::string& scheduler, const Program& program) {
  const SchedulerSpec& s = job.scheduler;
  const std::vector<Device>& devices = program.devices();
  if (scheduler != "static" || s.name != "static" || s.weights.empty() || s.weights.size() == devices.size()) return;
  std::vector<std::string> labels;
  for (const Device& d : devices) labels.push_back(d.info().label());
  throw job_error(job, s.weights_pos, "job.weights",
                  fmt::format("{} weight(s) for {} device(s) ({}): give one weight per device, in that order",
                              s.weights.size(), devices.size(), fmt::join(labels, ", ")));
}

// One repetition of a step: submitted (recorded when it is waited for), or run through
// Runtime::check when checking (recorded at once). False when an interrupt came first (nothing
// submitted).
bool submit_once(const Runtime& rt, const Launch& launch, const Schedule& schedule, const JobRunOptions& options,
                 const Repetition& rep, RunRecorder& recorder, TaskWindow& tasks) {
  Interrupter* interrupt = options.interrupt;
  if (interrupt != nullptr && interrupt->requested()) return false;
  if (options.check) {
    tasks.wait_all();
    RunStats run = rt.check(launch, interrupt != nullptr ? interrupt->token() : std::stop_token{});
    const bool cancelled = run.cancelled;
    recorder.record(rep, std::move(run));
    return !cancelled;
  }
  tasks.add(rt.submit(launch, schedule), rep);
  return true;
}

// `action` for step k, with the engine's refusals of the step's launch (Errc::invalid_argument)
// and its scatter buffers' conflicts (Errc::write_conflict, which keep their code) made JobErrors
// at the step, naming the loop counters' values in `scope`.
template <typename Action>
auto at_step(const JobSpec& job, std::size_t k, const Scope& scope, Action&& action) {
  try {
    return action();
  } catch (const JobError&) {
    throw;
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_argument && e.code() != Errc::write_conflict) throw;
    const SourcePos& pos = job.steps[k].pos;
    throw JobError(e.code(), job.file, pos.line, pos.column, job.steps[k].path, e.what() + scope.when());
  }
}

// The schedule of a launch over `extent` indices; warnings the job already has are not repeated.
Schedule schedule_for(const JobSpec& job, const std::string& policy, std::size_t extent,
                      std::vector<std::string>& warnings) {
  std::vector<std::string> said;
  Schedule schedule = schedule_from_job(job, policy, extent, said);
  for (std::string& w : said) {
    if (std::find(warnings.begin(), warnings.end(), w) == warnings.end()) warnings.push_back(std::move(w));
  }
  return schedule;
}

// The launches a run has built, per step: a step's launch is rebuilt only when its values or the
// arrays its buffers name (swaps) change. Two are kept per step: a swap alternates between two.
class LaunchCache {
 public:
  LaunchCache(const JobSpec& job, const Program& program, std::size_t arrays)
      : job_(job), program_(program), held_(arrays), built_(job.steps.size()) {
    std::iota(held_.begin(), held_.end(), std::size_t{0});
  }

  struct Built {
    StepValues values;
    std::vector<std::size_t> arrays;  ///< per argument: the array its buffer names (0 for scalars)
    Launch launch;
    Schedule schedule;
    std::shared_ptr<const LaunchSlices> slices;  ///< where the launch's buffers' slices lie
  };

  /// Step k's launch with values `v` (in `scope`) over `arrays` as they are now. A reference
  /// valid until the next get() for step k.
  const Built& get(std::size_t k, const StepValues& v, const Scope& scope, const std::vector<ArrayBase>& arrays,
                   const std::string& policy, std::vector<std::string>& warnings) {
    std::vector<std::size_t> named;
    for (const ArgSpec& a : job_.steps[k].args) {
      const auto* ref = std::get_if<BufferRef>(&a.arg);
      named.push_back(ref != nullptr ? held_[ref->index] : 0);
    }
    std::deque<Built>& list = built_[k];
    for (const Built& b : list) {
      if (b.arrays == named && b.values == v) return b;
    }
    if (list.size() == 2) list.pop_front();
    Launch launch = make_launch(job_, k, v, scope, program_, &arrays);
    Schedule schedule = schedule_for(job_, policy, v.global.back(), warnings);
    auto slices = std::make_shared<const LaunchSlices>(slices_of(launch));
    return list.emplace_back(Built{v, std::move(named), std::move(launch), std::move(schedule), std::move(slices)});
  }

  /// Buffers a and b exchanged their arrays.
  void swapped(std::size_t a, std::size_t b) { std::swap(held_[a], held_[b]); }

 private:
  const JobSpec& job_;
  const Program& program_;
  std::vector<std::size_t> held_;  ///< per buffer: the array it names now
  std::vector<std::deque<Built>> built_;
};

}  // namespace

Program check_kernels(const Runtime& rt, const JobSpec& job, const std::optional<std::string>& scheduler,
                      ProgramMemo* programs) {
  Program program = build_program(rt, job, programs);
  const std::string policy = scheduler.value_or(job.scheduler.name);
  check_weights(job, policy, program);
  // Each step's launches as the engine will see them: they must fit every device (sizes
  // included); launches of one geometry are checked against the devices once, and every launch's
  // scalars against the kernel's parameters.
  using Geometry = std::array<std::vector<std::size_t>, 3>;
  std::vector<std::set<Geometry>> seen(job.steps.size());
  walk_steps(job, [&](std::size_t k, const Scope& scope) {
    StepValues v = step_values(job, job.steps[k], scope);
    Geometry geometry{std::move(v.global), std::move(v.local), std::move(v.offset)};
    if (seen[k].contains(geometry)) {
      check_scalars(job, k, v, scope, program);
      return true;
    }
    std::tie(v.global, v.local, v.offset) = std::tie(geometry[0], geometry[1], geometry[2]);  // copies
    const Launch launch = make_launch(job, k, v, scope, program, nullptr);
    std::vector<std::string> warnings;  // given again when the step runs
    const Schedule schedule = schedule_from_job(job, policy, v.global.back(), warnings);
    at_step(job, k, scope, [&] { rt.validate(launch, schedule); });
    seen[k].insert(std::move(geometry));
    return true;
  });
  return program;
}

JobData run_job(const Runtime& rt, const JobSpec& job, const JobRunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  JobData data;
  JobReport& report = data.report;
  report.name = job.name;
  report.scheduler = options.scheduler.value_or(job.scheduler.name);
  const Program program = check_kernels(rt, job, report.scheduler, options.programs);  // before any host memory
  report.warnings = program.warnings();
  // The buffers live on the devices for the whole job: initialised on the host, loaded where a
  // step first needs them, read back once at the end.
  const std::vector<TransferBytes> before = rt.transfers();
  std::vector<ArrayBase> arrays;
  for (const BufferSpec& b : job.buffers) {
    try {
      arrays.push_back(rt.make_array_filled(b.count(), b.type, [&](void* host) { initialise(b, host); }));
    } catch (const Error& e) {
      if (e.code() != Errc::out_of_memory) throw;
      throw JobError(Errc::out_of_memory, job.file, b.pos.line, b.pos.column, fmt::format("buffers.{}", b.name),
                     fmt::format("cannot allocate the {} bytes of buffer '{}': out of host memory", b.bytes(), b.name));
    }
  }
  // A checked run's findings are read from its runs: it keeps them.
  RunRecorder recorder(rt, job, report, {options.keep_runs || options.check, options.spans, options.on_repetition});
  TaskWindow tasks(256, recorder);
  for (const StepSpec& step : job.steps) report.steps.push_back({step.path, step.kernel, {}, {}});
  LaunchCache launches(job, program, arrays.size());
  walk_steps(job, [&](std::size_t k, const Scope& scope) {
    const StepSpec& step = job.steps[k];
    const StepValues values = step_values(job, step, scope);
    const LaunchCache::Built* built = nullptr;
    for (std::size_t r = 0; r < step.repeat; ++r) {
      // The arrays a swapping step names change with every repetition.
      if (built == nullptr || step.swap) {
        built = &launches.get(k, values, scope, arrays, report.scheduler, report.warnings);
      }
      const auto submit = [&] {
        return submit_once(rt, built->launch, built->schedule, options, {k, built->slices}, recorder, tasks);
      };
      if (!at_step(job, k, scope, submit)) {
        report.interrupted = true;
        return false;
      }
      if (step.swap) {
        std::swap(arrays[step.swap->first], arrays[step.swap->second]);
        launches.swapped(step.swap->first, step.swap->second);
      }
    }
    return true;
  });
  tasks.wait_all();
  recorder.annotate_steps();  // the repetitions' spans went with their statistics
  for (ArrayBase& a : arrays) data.buffers.emplace_back(std::move(a));  // each read back once, in place
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A checked run works on host copies of the arrays: nothing of it is the job's own transfers.
  if (!options.check) report.transfers = recorder.transfers(moved_since(before, rt.transfers()));
  return data;
}

namespace {

// Buffer b's output written into `out` (not committed).
void write_output(const JobSpec& job, const BufferSpec& b, const HostArray& a, AtomicFile& out) {
  const std::span<const unsigned char> bytes(a.data(), b.bytes());
  switch (b.output->format) {
    case OutputFormat::npy: return write_npy(out, b.type, b.shape, bytes);
    case OutputFormat::bin: return out.write(bytes);
    case OutputFormat::png:
    case OutputFormat::ppm: break;
  }
  const bool rgb = b.type == ElementType::u8 && b.shape.size() == 3 && (b.shape[2] == 3 || b.shape[2] == 4);
  if (rgb) return write_image(out, image_from_rgb(a.data(), b.shape[0], b.shape[1], static_cast<unsigned>(b.shape[2])));
  const ImageSpec image = b.image.value_or(ImageSpec{});
  const auto map = colormap_named(image.colormap);
  if (!map) {
    throw job_error(job, image.pos, fmt::format("buffers.{}.image.colormap", b.name),
                    fmt::format("colormap '{}' is not available ({})", image.colormap, fmt::join(colormap_names(), ", ")));
  }
  write_image(out, image_from_scalars(b.type, a.data(), b.shape[0], b.shape[1], *map, image.range));
}

}  // namespace

std::vector<AtomicFile> stage_outputs(const JobSpec& job, const JobData& data) {
  std::vector<AtomicFile> staged;
  for (std::size_t i = 0; i < job.buffers.size(); ++i) {
    const BufferSpec& b = job.buffers[i];
    if (!b.output) continue;
    std::filesystem::create_directories(b.output->target.parent_path());
    AtomicFile& out = staged.emplace_back(b.output->target);
    write_output(job, b, data.buffers[i], out);
    out.close();
  }
  return staged;
}

std::vector<std::filesystem::path> write_outputs(const JobSpec& job, const JobData& data) {
  std::vector<AtomicFile> staged = stage_outputs(job, data);
  std::vector<std::filesystem::path> written;
  for (AtomicFile& out : staged) {
    out.commit();
    written.push_back(out.path());
  }
  return written;
}

namespace {

bool close(double got, double want, double rtol, double atol) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  return std::abs(got - want) <= atol + rtol * std::abs(want);
}

// The reference values of a file expectation, as doubles.
std::vector<double> expected_values(const FileExpect& f, const BufferSpec& b) {
  std::vector<double> out;
  if (f.npy) {
    const NpyArray a = read_npy(f.path);
    const std::size_t n = a.data.size() / size_of(a.header.type);
    for (std::size_t i = 0; i < n; ++i) out.push_back(element_as_double(a.header.type, a.data.data(), i));
    return out;
  }
  std::ifstream in(f.path, std::ios::binary);
  const std::vector<unsigned char> raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::size_t n = raw.size() / size_of(b.type);
  for (std::size_t i = 0; i < n; ++i) out.push_back(element_as_double(b.type, raw.data(), i));
  return out;
}

CheckResult check_file(const BufferSpec& b, const HostArray& a, const FileExpect& f) {
  const std::vector<double> want = expected_values(f, b);
  if (want.size() != b.count()) {
    return {b.name, false, fmt::format("'{}' holds {} elements, buffer '{}' {}", f.path.string(), want.size(),
                                       b.name, b.count())};
  }
  std::size_t bad = 0, first = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (close(element_as_double(b.type, a.data(), i), want[i], f.rtol, f.atol)) continue;
    if (bad++ == 0) first = i;
  }
  if (bad == 0) {
    return {b.name, true, fmt::format("matches '{}' (rtol {}, atol {})", f.path.filename().string(), f.rtol, f.atol)};
  }
  return {b.name, false,
          fmt::format("{} of {} elements differ from '{}' (rtol {}, atol {}); first at {}: {} vs {}", bad,
                      want.size(), f.path.filename().string(), f.rtol, f.atol, first,
                      element_as_double(b.type, a.data(), first), want[first])};
}

// Kahan summation of v[0, n) in doubles: the order of a large sum matters otherwise. Not
// inlined: inside run_checks GCC 12 kept the sum on the stack, doubling the loop's latency.
template <typename T>
[[gnu::noinline]] double kahan_sum(const T* v, std::size_t n) noexcept {
  double sum = 0, carry = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = static_cast<double>(v[i]) - carry;
    const double t = sum + y;
    carry = (t - sum) - y;
    sum = t;
  }
  return sum;
}

CheckResult check_sum(const BufferSpec& b, const HostArray& a, const SumExpect& s) {
  const double sum = visit_element_type(b.type, [&](auto zero) {
    return kahan_sum(reinterpret_cast<const decltype(zero)*>(a.data()), b.count());  // page-aligned
  });
  const bool ok = close(sum, s.sum, s.rtol, 0.0);
  return {b.name, ok, fmt::format("sum {} {} {} (rtol {})", sum, ok ? "matches" : "differs from", s.sum, s.rtol)};
}

}  // namespace

std::vector<CheckResult> run_checks(const JobSpec& job, const JobData& data) {
  std::vector<CheckResult> out;
  for (const CheckSpec& c : job.checks) {
    const BufferSpec& b = job.buffers[c.index];
    const HostArray& a = data.buffers[c.index];
    out.push_back(std::visit(
        [&](const auto& e) {
          if constexpr (std::is_same_v<std::decay_t<decltype(e)>, FileExpect>) {
            return check_file(b, a, e);
          } else {
            return check_sum(b, a, e);
          }
        },
        c.expect));
  }
  return out;
}

Difference compare_buffers(const BufferSpec& buffer, const HostArray& a, const HostArray& b) {
  Difference d;
  const std::size_t n = buffer.count();
  for (std::size_t i = 0; i < n; ++i) {
    const bool same =
        is_floating(buffer.type)
            ? close(element_as_double(buffer.type, a.data(), i), element_as_double(buffer.type, b.data(), i), 1e-5, 1e-6)
            : std::memcmp(a.data() + i * size_of(buffer.type), b.data() + i * size_of(buffer.type),
                          size_of(buffer.type)) == 0;
    if (same) continue;
    if (d.count++ == 0) d.first = i;
  }
  return d;
}

}  // namespace tessera::detail
