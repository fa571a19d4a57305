// [[steps]]: a kernel over a range, its arguments (scalars and buffers with their roles),
// repetitions and swaps.

#include <fmt/format.h>

#include "job/load_sections.hpp"
#include "tessera/scheduler.hpp"

namespace tessera::detail {
namespace {

void load_local(const TomlReader& in, const toml::node& local, const std::string& path, StepSpec& step) {
  step.local = in.extents_at(local, path);
  step.local_pos = pos_of(local);
  if (step.local.size() != step.global.size()) {
    in.fail(step.local_pos, path,
            fmt::format("has {} dimensions, global has {}", step.local.size(), step.global.size()));
  }
  for (std::size_t d = 0; d < step.local.size(); ++d) {
    if (step.global[d] % step.local[d] != 0) {
      in.fail(pos_of((*local.as_array())[d]), element(path, d),
              fmt::format("{} does not divide global[{}] = {}", step.local[d], d, step.global[d]));
    }
  }
}

ArgSpec load_scalar_arg(const TomlReader& in, const toml::table& t, const toml::node& value, const std::string& path) {
  in.check_keys(t, path, {"value", "type"});
  ScalarArg s;
  s.value = in.number_at(value, child(path, "value"));
  if (const auto* type = t.get("type")) {
    s.type = element_type_at(in, *type, child(path, "type"));
    in.check_fits(s.value, *s.type, value, child(path, "value"));
  }
  return {s, pos_of(t)};
}

// The value of `node` among the names of `values` (to_string of each), with a suggestion when
// it is none of them.
template <typename Enum>
Enum named_value(const TomlReader& in, const toml::node& node, const std::string& path, std::string_view what,
                 std::initializer_list<Enum> values) {
  const std::string& name = in.string_at(node, path);
  std::vector<std::string> names;
  for (const Enum v : values) {
    if (to_string(v) == name) return v;
    names.emplace_back(to_string(v));
  }
  in.fail(pos_of(node), path,
          fmt::format("unknown {} '{}'{} ({})", what, name, did_you_mean(name, names), join(names)));
}

void load_role(const TomlReader& in, const toml::table& t, const std::string& path, BufferRef& ref) {
  const auto [node, key] = in.exclusive(t, path, {"halo", "whole", "reduce", "scatter"}, "an argument takes");
  if (key == "halo") {
    ref.role = BufferRef::Role::halo;
    ref.halo = in.size_at(*node, child(path, "halo"), 0);
  } else if (key == "whole") {
    if (!in.bool_at(*node, child(path, "whole"))) return;
    ref.role = BufferRef::Role::whole;
    if (ref.access != Access::read) {
      in.fail(pos_of(*node), child(path, "whole"),
              fmt::format("a whole buffer is read-only, and the access is '{}'", to_string(ref.access)));
    }
  } else if (key == "reduce") {
    ref.role = BufferRef::Role::reduce;
    ref.reduce = named_value(in, *node, child(path, "reduce"), "reduce op",
                             {ReduceOp::sum, ReduceOp::min, ReduceOp::max, ReduceOp::prod});
    if (ref.access == Access::read) {
      in.fail(pos_of(*node), child(path, "reduce"),
              "a reduce buffer is written: give access = \"write\" or \"read_write\"");
    }
  } else if (key == "scatter") {
    if (!in.bool_at(*node, child(path, "scatter"))) return;
    ref.role = BufferRef::Role::scatter;
    if (ref.access == Access::read) {
      in.fail(pos_of(*node), child(path, "scatter"),
              "a scatter buffer is written: give access = \"write\" or \"read_write\"");
    }
  }
}

ArgSpec load_buffer_arg(const TomlReader& in, const toml::table& t, const toml::node& buffer, const std::string& path,
                        const JobSpec& spec, const StepSpec& step) {
  in.check_keys(t, path, {"buffer", "access", "halo", "whole", "reduce", "scatter"});
  BufferRef ref;
  ref.index = buffer_index(in, spec, buffer, child(path, "buffer"));
  ref.buffer = spec.buffers[ref.index].name;
  if (const auto* access = t.get("access")) {
    ref.access = named_value(in, *access, child(path, "access"), "access",
                             {Access::read, Access::write, Access::read_write});
  }
  load_role(in, t, path, ref);
  if (ref.role == BufferRef::Role::split || ref.role == BufferRef::Role::halo) {
    const BufferSpec& b = spec.buffers[ref.index];
    const std::size_t extent = step.global.back();
    if (b.count() % extent != 0) {
      in.fail(pos_of(buffer), child(path, "buffer"),
              fmt::format("buffer '{}' has {} elements, not a multiple of {} (global[{}], the split dimension); "
                          "pass it whole or fix its size",
                          b.name, b.count(), extent, step.global.size() - 1));
    }
  }
  return {std::move(ref), pos_of(t)};
}

ArgSpec load_arg(const TomlReader& in, const toml::node& node, const std::string& path, const JobSpec& spec,
                 const StepSpec& step) {
  const toml::table& t = in.table_at(node, path);
  const auto* value = t.get("value");
  const auto* buffer = t.get("buffer");
  if (value && buffer) in.fail(pos_of(*buffer), child(path, "buffer"), "an argument is a value or a buffer, not both");
  if (value) return load_scalar_arg(in, t, *value, path);
  if (!buffer) {
    in.check_keys(t, path, {"value", "type", "buffer", "access", "halo", "whole", "reduce", "scatter"});
    in.fail(pos_of(t), path, "an argument is { value = ... } or { buffer = \"name\" }");
  }
  return load_buffer_arg(in, t, *buffer, path, spec, step);
}

void load_swap(const TomlReader& in, const toml::node& node, const std::string& path, const JobSpec& spec,
               StepSpec& step) {
  const toml::array& pair = in.array_at(node, path);
  step.swap_pos = pos_of(node);
  if (pair.size() != 2) in.fail(step.swap_pos, path, fmt::format("expected two buffer names, found {} values", pair.size()));
  const std::size_t a = buffer_index(in, spec, pair[0], element(path, 0));
  const std::size_t b = buffer_index(in, spec, pair[1], element(path, 1));
  const BufferSpec& x = spec.buffers[a];
  const BufferSpec& y = spec.buffers[b];
  if (a == b) in.fail(step.swap_pos, path, fmt::format("swaps buffer '{}' with itself", x.name));
  if (x.type != y.type || x.count() != y.count()) {
    in.fail(step.swap_pos, path,
            fmt::format("buffers '{}' ({} {}) and '{}' ({} {}) differ in type or size", x.name, to_string(x.type),
                        shape_text(x.shape), y.name, to_string(y.type), shape_text(y.shape)));
  }
  step.swap = std::pair{a, b};
}

StepSpec load_step(const TomlReader& in, const toml::table& t, const std::string& path, const JobSpec& spec) {
  in.check_keys(t, path, {"kernel", "global", "local", "args", "repeat", "swap"});
  StepSpec step;
  step.pos = pos_of(t);
  const toml::node& kernel = in.required(t, "kernel", path);
  step.kernel = in.nonempty_string_at(kernel, child(path, "kernel"));
  step.kernel_pos = pos_of(kernel);
  if (!is_identifier(step.kernel)) {
    in.fail(step.kernel_pos, child(path, "kernel"), fmt::format("'{}' is not a kernel name", step.kernel));
  }
  const toml::node& global = in.required(t, "global", path);
  step.global = in.extents_at(global, child(path, "global"));
  step.global_pos = pos_of(global);
  if (const auto* local = t.get("local")) load_local(in, *local, child(path, "local"), step);
  step.args_pos = step.pos;
  if (const auto* args = t.get("args")) {
    const std::string args_path = child(path, "args");
    const toml::array& list = in.array_at(*args, args_path);
    step.args_pos = pos_of(*args);
    for (std::size_t i = 0; i < list.size(); ++i) {
      step.args.push_back(load_arg(in, list[i], element(args_path, i), spec, step));
    }
  }
  if (const auto* repeat = t.get("repeat")) {
    step.repeat = in.size_at(*repeat, child(path, "repeat"), 1, StepSpec::max_repeat);
  }
  if (const auto* swap = t.get("swap")) load_swap(in, *swap, child(path, "swap"), spec, step);
  return step;
}

}  // namespace

void load_steps(const TomlReader& in, const toml::table& root, JobSpec& spec) {
  const auto* node = root.get("steps");
  if (!node) in.fail({1, 1}, "steps", "a job needs at least one [[steps]] table");
  const toml::array& steps = in.array_of_tables(*node, "steps");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    spec.steps.push_back(load_step(in, *steps[i].as_table(), element("steps", i), spec));
  }
  // dynamic's chunk may not cut a step into more chunks than a run records. The chunk is rounded
  // up to the work-group size: known here when the step gives `local` (else the engine checks).
  const auto& chunk = spec.scheduler.chunk;
  for (std::size_t i = 0; chunk && i < spec.steps.size(); ++i) {
    if (spec.steps[i].local.empty()) continue;
    const std::size_t group = spec.steps[i].local.back();
    const std::size_t rounded = (*chunk + group - 1) / group * group;
    const std::size_t extent = spec.steps[i].global.back();
    const std::size_t chunks = extent / rounded + (extent % rounded != 0 ? 1 : 0);
    if (chunks > Schedule::max_chunks) {
      in.fail(spec.scheduler.chunk_pos, "job.chunk",
              fmt::format("cuts the {} indices of steps[{}] into {} chunks; at most {}", extent, i, chunks,
                          Schedule::max_chunks));
    }
  }
}

}  // namespace tessera::detail
