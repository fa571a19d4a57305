// [[steps]]: kernel steps (a kernel over a range, its arguments, repetitions and swaps) and
// loops over them ([[steps]] with `for` and nested [[steps.do]]), then every launch they make
// evaluated and checked (step_values.hpp).

#include <fmt/format.h>

#include "job/load_sections.hpp"
#include "job/step_walk.hpp"

namespace tessera::detail {
namespace {

// The names an expression of a step may use: the params and the counters in scope (valued 0:
// only the names matter here).
using Names = ParamValues;

// An integer field: an integer, or an expression string whose names are all in `names`.
IntField int_field(const TomlReader& in, const toml::node& node, std::string_view path, const Names& names) {
  IntField f;
  f.pos = pos_of(node);
  try {
    if (const auto* i = node.as_integer()) {
      f.expr = Expression::parse(std::to_string(i->get()));
      return f;
    }
    if (const auto* s = node.as_string()) {
      f.quoted = true;
      f.expr = Expression::parse(s->get());
      f.expr.check_names(names);
      return f;
    }
  } catch (const ExpressionError& e) {
    in.fail(TomlReader::inside(node, e.offset()), std::string(path), e.what());
  }
  in.fail(f.pos, std::string(path),
          fmt::format("expected an integer or an expression string, found {}", kind_of(node)));
}

// `key` of a kernel step: 1 to 3 integer fields, and as many as global has when `dims` is given.
std::vector<IntField> extent_fields(const TomlReader& in, const toml::node& node, const std::string& path,
                                    const Names& names, std::size_t dims = 0) {
  const toml::array& a = in.array_at(node, path);
  if (a.empty() || a.size() > 3) {
    in.fail(pos_of(node), path, fmt::format("needs 1 to 3 dimensions, found {}", a.size()));
  }
  if (dims != 0 && a.size() != dims) {
    in.fail(pos_of(node), path, fmt::format("has {} dimensions, global has {}", a.size(), dims));
  }
  std::vector<IntField> out;
  for (std::size_t d = 0; d < a.size(); ++d) out.push_back(int_field(in, a[d], element(path, d), names));
  return out;
}

ArgSpec load_scalar_arg(const TomlReader& in, const toml::table& t, const toml::node& value, const std::string& path,
                        const Names& names) {
  in.check_keys(t, path, {"value", "type"});
  ScalarArg s;
  if (value.is_integer() || value.is_string()) {
    s.value = int_field(in, value, child(path, "value"), names);
  } else {
    s.value = std::get<double>(in.number_at(value, child(path, "value")));  // a float: it refuses the rest
  }
  if (const auto* type = t.get("type")) {
    s.type = element_type_at(in, *type, child(path, "type"));
    // A float is checked here; an integer expression with every launch (step_values.hpp).
    if (const auto* real = std::get_if<double>(&s.value)) in.check_fits(*real, *s.type, value, child(path, "value"));
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

// split = d and shift = s: where a split or halo buffer's slices lie.
void load_geometry(const TomlReader& in, const toml::table& t, const std::string& path, const JobSpec& spec,
                   const Names& names, BufferRef& ref) {
  const auto* split = t.get("split");
  const auto* shift = t.get("shift");
  const bool sliced = ref.role == BufferRef::Role::split || ref.role == BufferRef::Role::halo;
  if (!sliced && (split || shift)) {
    const toml::node& at = split ? *split : *shift;
    in.fail(pos_of(at), child(path, split ? "split" : "shift"),
            "split and shift place the slices of split and halo buffers; this buffer is not split");
  }
  if (split) {
    const BufferSpec& b = spec.buffers[ref.index];
    ref.split = in.size_at(*split, child(path, "split"), 0);
    ref.split_pos = pos_of(*split);
    if (*ref.split >= b.shape.size()) {
      in.fail(ref.split_pos, child(path, "split"),
              fmt::format("buffer '{}' has {} dimension(s) (shape {}): split = {} names none; they count from 0",
                          b.name, b.shape.size(), shape_text(b.shape), *ref.split));
    }
  }
  if (shift) ref.shift = int_field(in, *shift, child(path, "shift"), names);
}

ArgSpec load_buffer_arg(const TomlReader& in, const toml::table& t, const toml::node& buffer, const std::string& path,
                        const JobSpec& spec, const Names& names) {
  in.check_keys(t, path, {"buffer", "access", "halo", "whole", "reduce", "scatter", "split", "shift"});
  BufferRef ref;
  ref.index = buffer_index(in, spec, buffer, child(path, "buffer"));
  ref.buffer = spec.buffers[ref.index].name;
  ref.buffer_pos = pos_of(buffer);
  if (const auto* access = t.get("access")) {
    ref.access = named_value(in, *access, child(path, "access"), "access",
                             {Access::read, Access::write, Access::read_write});
  }
  load_role(in, t, path, ref);
  load_geometry(in, t, path, spec, names, ref);  // the slices are checked with every launch (step_values.hpp)
  return {std::move(ref), pos_of(t)};
}

ArgSpec load_arg(const TomlReader& in, const toml::node& node, const std::string& path, const JobSpec& spec,
                 const Names& names) {
  const toml::table& t = in.table_at(node, path);
  const auto* value = t.get("value");
  const auto* buffer = t.get("buffer");
  if (value && buffer) in.fail(pos_of(*buffer), child(path, "buffer"), "an argument is a value or a buffer, not both");
  if (value) return load_scalar_arg(in, t, *value, path, names);
  if (!buffer) {
    in.check_keys(t, path, {"value", "type", "buffer", "access", "halo", "whole", "reduce", "scatter", "split", "shift"});
    in.fail(pos_of(t), path, "an argument is { value = ... } or { buffer = \"name\" }");
  }
  return load_buffer_arg(in, t, *buffer, path, spec, names);
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

StepSpec load_step(const TomlReader& in, const toml::table& t, const std::string& path, const JobSpec& spec,
                   const Names& names) {
  if (const auto* loop_key = t.get("do")) {
    in.fail(pos_of(*loop_key), child(path, "do"), "'do' belongs to a loop: give the step 'for' and no kernel");
  }
  in.check_keys(t, path, {"kernel", "global", "local", "offset", "args", "repeat", "swap"});
  StepSpec step;
  step.path = path;
  step.pos = pos_of(t);
  const toml::node& kernel = in.required(t, "kernel", path);
  step.kernel = in.nonempty_string_at(kernel, child(path, "kernel"));
  step.kernel_pos = pos_of(kernel);
  if (!is_identifier(step.kernel)) {
    in.fail(step.kernel_pos, child(path, "kernel"), fmt::format("'{}' is not a kernel name", step.kernel));
  }
  const toml::node& global = in.required(t, "global", path);
  step.global = extent_fields(in, global, child(path, "global"), names);
  step.global_pos = pos_of(global);
  if (const auto* local = t.get("local")) {
    step.local = extent_fields(in, *local, child(path, "local"), names, step.global.size());
    step.local_pos = pos_of(*local);
  }
  if (const auto* offset = t.get("offset")) {
    step.offset = extent_fields(in, *offset, child(path, "offset"), names, step.global.size());
    step.offset_pos = pos_of(*offset);
  }
  step.args_pos = step.pos;
  if (const auto* args = t.get("args")) {
    const std::string args_path = child(path, "args");
    const toml::array& list = in.array_at(*args, args_path);
    step.args_pos = pos_of(*args);
    for (std::size_t i = 0; i < list.size(); ++i) {
      step.args.push_back(load_arg(in, list[i], element(args_path, i), spec, names));
    }
  }
  if (const auto* repeat = t.get("repeat")) {
    step.repeat = in.size_at(*repeat, child(path, "repeat"), 1, StepSpec::max_repeat);
  }
  if (const auto* swap = t.get("swap")) load_swap(in, *swap, child(path, "swap"), spec, step);
  return step;
}

std::vector<StepNode> load_nodes(const TomlReader& in, const toml::node& node, const std::string& path, JobSpec& spec,
                                 const Names& names);

// `for = { k = [begin, end] }` or `[begin, end, stride]`: the counter and its range.
void load_for(const TomlReader& in, const toml::node& node, const std::string& path, const Names& names,
              const JobSpec& spec, LoopSpec& loop) {
  const toml::table& t = in.table_at(node, path);
  loop.for_pos = pos_of(node);
  if (t.size() != 1) {
    in.fail(loop.for_pos, path,
            fmt::format("a loop has one counter: for = {{ k = [begin, end] }}, found {}", t.size()));
  }
  const auto [key, range] = entries(t).front();
  loop.counter = std::string(key->str());
  const std::string at = child(path, loop.counter);
  if (!is_identifier(loop.counter)) {
    in.fail(pos_of(*key), at, fmt::format("'{}' cannot be used in expressions: a counter's name is letters, digits "
                                          "and '_', not starting with a digit", loop.counter));
  }
  if (names.contains(loop.counter)) {
    in.fail(pos_of(*key), at,
            fmt::format("counter '{}' shadows {} of the same name", loop.counter,
                        spec.params.contains(loop.counter) ? "a param" : "the counter of an enclosing loop"));
  }
  const toml::array& bounds = in.array_at(*range, at);
  if (bounds.size() != 2 && bounds.size() != 3) {
    in.fail(pos_of(*range), at,
            fmt::format("expected [begin, end] or [begin, end, stride], found {} value{}", bounds.size(),
                        bounds.size() == 1 ? "" : "s"));
  }
  loop.begin = int_field(in, bounds[0], element(at, 0), names);
  loop.end = int_field(in, bounds[1], element(at, 1), names);
  loop.stride = bounds.size() == 3 ? int_field(in, bounds[2], element(at, 2), names)
                                   : IntField{Expression::parse("1"), pos_of(*range), false};
  for (const IntField* f : {&loop.begin, &loop.end}) {
    for (const auto& use : f->expr.names()) loop.dependent = loop.dependent || !spec.params.contains(use.name);
  }
}

LoopSpec load_loop(const TomlReader& in, const toml::table& t, const std::string& path, JobSpec& spec, Names names) {
  for (const auto& [key, node] : entries(t)) {
    if (key->str() == "for" || key->str() == "do") continue;
    in.fail(pos_of(*key), child(path, key->str()),
            fmt::format("a loop takes only 'for' and 'do'; '{}' belongs to a step of [[{}.do]]", key->str(), path));
  }
  LoopSpec loop;
  loop.path = path;
  loop.pos = pos_of(t);
  load_for(in, *t.get("for"), child(path, "for"), names, spec, loop);
  names.insert_or_assign(loop.counter, 0);
  loop.body = load_nodes(in, in.required(t, "do", path), child(path, "do"), spec, names);
  return loop;
}

// An array of [[PATH]] tables: kernel steps (into spec.steps, in file order) and loops.
std::vector<StepNode> load_nodes(const TomlReader& in, const toml::node& node, const std::string& path, JobSpec& spec,
                                 const Names& names) {
  const toml::array& tables = in.array_of_tables(node, path);
  std::vector<StepNode> out;
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const toml::table& t = *tables[i].as_table();
    const std::string at = element(path, i);
    StepNode& n = out.emplace_back();
    if (t.contains("for")) {
      n.node.emplace<LoopSpec>(load_loop(in, t, at, spec, names));
    } else {
      spec.steps.push_back(load_step(in, t, at, spec, names));
      n.node.emplace<std::size_t>(spec.steps.size() - 1);
    }
  }
  return out;
}

}  // namespace

void load_steps(const TomlReader& in, const toml::table& root, JobSpec& spec) {
  const auto* node = root.get("steps");
  if (!node) in.fail({1, 1}, "steps", "a job needs at least one [[steps]] table");
  spec.flow = load_nodes(in, *node, "steps", spec, spec.params);
  // Every launch evaluated, as the runner will: what is wrong with any of them is an error now.
  walk_steps(spec, [&](std::size_t k, const Scope& scope) {
    step_values(spec, spec.steps[k], scope);
    return true;
  });
}

}  // namespace tessera::detail
