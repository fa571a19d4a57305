#pragma once
// Internal: a job file as data. load_job_spec (job_loader.hpp) produces a JobSpec that is already
// validated: every name refers to something that exists, every size is possible, every file it
// reads exists and matches. Expressions outside steps are evaluated; a step's integer fields stay
// expressions (IntField) because loops give them a value per iteration, and the loader has
// evaluated and checked them for every iteration of every loop (step_values.hpp). Running it is another module's
// work; anything that can only be known then (a kernel's signature, a device's memory) keeps the
// source position of the element it came from, so such errors can still point at the TOML.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "job/expression.hpp"
#include "job/number.hpp"
#include "tessera/buffer.hpp"

namespace tessera::detail {

/// A place in the job file, 1-based; line 0 means "no place" (a default, or a --set override).
struct SourcePos {
  std::uint32_t line = 0;
  std::uint32_t column = 0;

  friend bool operator==(const SourcePos&, const SourcePos&) = default;
};

/// [job] scheduler and its settings. Only the settings of the named policy may be given.
struct SchedulerSpec {
  std::string name = "hguided";  ///< single | static | dynamic | hguided | adaptive
  SourcePos pos;                 ///< of `scheduler` (line 0 when defaulted)
  std::optional<std::size_t> chunk;      ///< dynamic: indices per chunk
  SourcePos chunk_pos;
  std::optional<std::size_t> min_chunk;  ///< hguided, adaptive
  std::vector<double> weights;           ///< static: one positive weight per device
  SourcePos weights_pos;
  std::optional<std::size_t> pipeline;   ///< chunks in flight per device, >= 1
  std::optional<std::size_t> retries;    ///< per chunk, >= 0
  std::optional<std::size_t> cpu_split;  ///< compute units per CPU sub-device, >= 1
};

/// [program]: exactly one of source and builtin.
struct ProgramSpec {
  std::filesystem::path source;  ///< resolved against the job file's folder; empty for builtin
  std::string builtin;           ///< a kernels/ file ("saxpy"); empty for source
  SourcePos pos;                 ///< of `source` or `builtin`
  std::string options;
  SourcePos options_pos;
  /// -D NAME=VALUE in file order; integers and floats as written, true -> "1", false -> "0".
  std::vector<std::pair<std::string, std::string>> defines;
  SourcePos defines_pos;
};

struct FillInit {
  Number value;
};
struct IotaInit {
  Number start;  ///< element i holds start + i
};
struct RandomInit {
  Number lo;  ///< integer types: [lo, hi] inclusive, both integers; floats: [lo, hi)
  Number hi;
  std::uint64_t seed = 0;
};
struct FileInit {
  std::filesystem::path path;  ///< resolved; .npy (type and shape checked) or .bin (size checked)
  bool npy = false;
};
/// No init: zeros. Only a buffer whose first use writes it may go without one.
using BufferInit = std::variant<std::monostate, FillInit, IotaInit, RandomInit, FileInit>;

enum class OutputFormat { npy, bin, png, ppm };

/// image = { colormap = "viridis", range = [lo, hi] } for .png/.ppm outputs of scalar data.
struct ImageSpec {
  std::string colormap = "gray";        ///< gray | viridis | magma
  std::optional<std::pair<double, double>> range;  ///< lo < hi; none: the data's own min and max
  SourcePos pos;                                   ///< of `image` (line 0 when defaulted)
};

struct OutputSpec {
  std::filesystem::path path;    ///< as written, resolved against the job's folder
  std::filesystem::path target;  ///< the file replaced (replaced_file: links followed, normal)
  OutputFormat format = OutputFormat::npy;
  SourcePos pos;
};

/// [buffers.NAME]
struct BufferSpec {
  std::string name;
  ElementType type = ElementType::f32;
  /// Row-major; `count = n` gives {n}. Every extent is positive.
  std::vector<std::size_t> shape;
  BufferInit init;
  std::optional<OutputSpec> output;
  /// Only for .png/.ppm outputs of 2-D data (defaulted there when not written).
  std::optional<ImageSpec> image;
  SourcePos pos;        ///< of the [buffers.NAME] table
  SourcePos type_pos;
  SourcePos shape_pos;  ///< of `count` or `shape`
  SourcePos init_pos;

  std::size_t count() const noexcept {
    std::size_t n = 1;
    for (const std::size_t extent : shape) n *= extent;
    return n;
  }
  std::size_t bytes() const noexcept { return count() * size_of(type); }
};

/// An integer field of a step: an expression over [params] and the loop counters in scope (a
/// TOML integer is the expression of its digits), and where it is written.
struct IntField {
  Expression expr;
  SourcePos pos;        ///< of the TOML value
  bool quoted = false;  ///< written as a string: a place inside it is pos + 1 + offset
};

struct ScalarArg {
  /// A float, or an integer expression (evaluated per launch).
  std::variant<double, IntField> value;
  /// As written; none: taken from the kernel's signature when the job runs.
  std::optional<ElementType> type;
};

struct BufferRef {
  enum class Role { split, halo, whole, reduce, scatter };
  std::string buffer;
  std::size_t index = 0;  ///< into JobSpec::buffers
  Access access = Access::read;
  Role role = Role::split;
  std::size_t halo = 0;
  ReduceOp reduce = ReduceOp::sum;
  SourcePos buffer_pos;  ///< of `buffer = ...`
  /// split = d (split and halo roles): the dimension of the buffer's shape that the launch's
  /// split dimension runs along (BufferArg::along); none: the buffer is one run of indices.
  std::optional<std::size_t> split;
  SourcePos split_pos;
  /// shift = s (split and halo roles): chunk [a, b) takes the buffer's indices [a + s, b + s).
  std::optional<IntField> shift;
};

struct ArgSpec {
  std::variant<ScalarArg, BufferRef> arg;
  SourcePos pos;  ///< of the argument's inline table
};

/// A kernel step ([[steps]] or [[steps.do]] with `kernel`). Its extents are checked for every
/// launch (step_values.hpp): global positive, local dividing it, offset not negative.
struct StepSpec {
  /// A run keeps what every repetition measured: more than this many is refused (and more
  /// launches of a whole job, loops included).
  static constexpr std::int64_t max_repeat = std::int64_t{1} << 24;

  std::string path;      ///< for messages: "steps[1]", "steps[1].do[0]"
  std::string kernel;
  SourcePos pos;         ///< of the [[steps]] table
  SourcePos kernel_pos;
  std::vector<IntField> global;  ///< 1 to 3 extents; the last one is split
  SourcePos global_pos;
  std::vector<IntField> local;   ///< empty, or as many extents as global
  SourcePos local_pos;
  std::vector<IntField> offset;  ///< empty, or as many as global: the global work offset
  SourcePos offset_pos;
  std::vector<ArgSpec> args;
  SourcePos args_pos;
  std::size_t repeat = 1;  ///< 1 to max_repeat
  /// Two different buffers of the same type and size, exchanged after every repetition.
  std::optional<std::pair<std::size_t, std::size_t>> swap;
  SourcePos swap_pos;
};

struct StepNode;

/// A loop ([[steps]] or [[steps.do]] with `for`): its body runs once per value of the counter,
/// from begin while below end, by stride.
struct LoopSpec {
  std::string path;     ///< "steps[1]", "steps[1].do[2]"
  SourcePos pos;        ///< of the table
  std::string counter;  ///< a name no param and no enclosing counter has
  SourcePos for_pos;    ///< of `for`
  IntField begin, end, stride;  ///< over params and enclosing counters; stride 1 when not given
  /// begin or end uses an enclosing counter: the range may be empty for some iterations.
  bool dependent = false;
  std::vector<StepNode> body;  ///< at least one
};

/// What runs, in order: a kernel step (an index into JobSpec::steps) or a loop.
struct StepNode {
  std::variant<std::size_t, LoopSpec> node;
};

struct FileExpect {
  std::filesystem::path path;  ///< resolved; same element count as the buffer
  bool npy = false;
  double rtol = 1e-5;
  double atol = 0.0;
};
struct SumExpect {
  double sum = 0.0;
  double rtol = 1e-5;
};

/// [[checks]]
struct CheckSpec {
  std::string buffer;
  std::size_t index = 0;  ///< into JobSpec::buffers
  std::variant<FileExpect, SumExpect> expect;
  SourcePos pos;  ///< of the [[checks]] table
  SourcePos expect_pos;
};

struct JobSpec {
  std::string file;              ///< the job file as named to the loader, for messages
  std::filesystem::path folder;  ///< relative paths of the job were resolved against it
  ParamValues params;            ///< after --set overrides

  std::string name;     ///< [job] name; default: the file's stem
  std::string devices;  ///< a valid selector; empty: the caller's default
  SourcePos devices_pos;
  SchedulerSpec scheduler;
  ProgramSpec program;
  std::vector<BufferSpec> buffers;  ///< in file order
  std::vector<StepSpec> steps;      ///< every kernel step, loops' included, in file order
  std::vector<StepNode> flow;       ///< the top-level [[steps]], as they run
  std::vector<CheckSpec> checks;

  /// The buffer called `name`, or null.
  const BufferSpec* find_buffer(std::string_view buffer_name) const noexcept {
    for (const auto& b : buffers) {
      if (b.name == buffer_name) return &b;
    }
    return nullptr;
  }
};

}  // namespace tessera::detail
