// [buffers.NAME]: element type and shape, initial contents, output file and image settings.

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/atomic_file.hpp"
#include "common/element_types.hpp"
#include "job/colormap.hpp"
#include "job/host_memory.hpp"
#include "job/load_sections.hpp"
#include "job/npy.hpp"

namespace tessera::detail {
namespace fs = std::filesystem;

namespace {

void load_shape(const TomlReader& in, const toml::table& t, const std::string& path, BufferSpec& b) {
  const auto* count = t.get("count");
  const auto* shape = t.get("shape");
  if (count && shape) in.fail(pos_of(*shape), child(path, "shape"), "give 'count' or 'shape', not both");
  if (!count && !shape) in.fail(b.pos, path, "needs 'count' (elements) or 'shape' (extents)");
  if (count) {
    b.shape_pos = pos_of(*count);
    b.shape.push_back(in.size_at(*count, child(path, "count"), 1));
  } else {
    const std::string shape_path = child(path, "shape");
    const toml::array& extents = in.array_at(*shape, shape_path);
    b.shape_pos = pos_of(*shape);
    if (extents.empty()) in.fail(b.shape_pos, shape_path, "needs at least one extent");
    constexpr std::size_t max_dims = 32;
    if (extents.size() > max_dims) {
      in.fail(b.shape_pos, shape_path, fmt::format("has {} extents; at most {} are supported", extents.size(), max_dims));
    }
    for (std::size_t i = 0; i < extents.size(); ++i) {
      b.shape.push_back(in.size_at(extents[i], element(shape_path, i), 1));
    }
  }
  std::size_t elements = 1;
  for (const std::size_t extent : b.shape) {
    if (elements > std::numeric_limits<std::size_t>::max() / size_of(b.type) / extent) {
      in.fail(b.shape_pos, child(path, count ? "count" : "shape"),
              fmt::format("{} {} is too large: its size in bytes exceeds 64 bits", to_string(b.type),
                          shape_text(b.shape)));
    }
    elements *= extent;
  }
}

IotaInit load_iota(const TomlReader& in, const toml::node& node, const std::string& path, const BufferSpec& b) {
  IotaInit i{in.number_at(node, path)};
  in.check_fits(i.start, b.type, node, path);
  if (!is_floating(b.type)) {
    const std::int64_t start = std::get<std::int64_t>(i.start);
    const std::int64_t hi = integer_range(b.type).second;
    const std::size_t steps = b.count() - 1;
    if (static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(start) < steps) {
      in.fail(pos_of(node), path,
              fmt::format("counting from {} over {} elements passes {}'s maximum {}", start, b.count(),
                          to_string(b.type), hi));
    }
  }
  return i;
}

RandomInit load_random(const TomlReader& in, const toml::table& init, const toml::node& node,
                       const std::string& init_path, const BufferSpec& b) {
  const std::string path = child(init_path, "random");
  const toml::array& bounds = in.array_at(node, path);
  if (bounds.size() != 2) in.fail(pos_of(node), path, fmt::format("expected [lo, hi], found {} values", bounds.size()));
  RandomInit r;
  r.lo = in.number_at(bounds[0], element(path, 0));
  r.hi = in.number_at(bounds[1], element(path, 1));
  in.check_fits(r.lo, b.type, bounds[0], element(path, 0));
  in.check_fits(r.hi, b.type, bounds[1], element(path, 1));
  if (as_double(r.lo) > as_double(r.hi)) {
    in.fail(pos_of(node), path, fmt::format("lo {} is above hi {}", number_text(r.lo), number_text(r.hi)));
  }
  if (const auto* seed = init.get("seed")) {
    r.seed = static_cast<std::uint64_t>(in.size_at(*seed, child(init_path, "seed"), 0));
  }
  return r;
}

FileInit load_file_init(const TomlReader& in, const toml::node& node, const std::string& path,
                        const BufferSpec& b) {
  FileInit f;
  f.path = data_file_at(in, node, path, f.npy);
  if (!f.npy) {
    check_bin_size(in, f.path, b, node, path);
    return f;
  }
  try {
    const NpyHeader header = read_npy_header(f.path);
    check_npy_matches(header, f.path.filename().string(), b.name, b.type, b.shape);
  } catch (const NpyError& e) {
    in.fail(pos_of(node), path, e.what());
  }
  return f;
}

void load_init(const TomlReader& in, const toml::node& node, const std::string& path, BufferSpec& b) {
  const toml::table& init = in.table_at(node, path);
  in.check_keys(init, path, {"fill", "iota", "random", "seed", "file"});
  b.init_pos = pos_of(init);
  const auto [chosen, kind] = in.exclusive(init, path, {"fill", "iota", "random", "file"}, "give");
  if (!chosen) in.fail(b.init_pos, path, "needs one of fill, iota, random and file");
  const std::string key_path = child(path, kind);
  if (const auto* seed = init.get("seed"); seed && kind != "random") {
    in.fail(pos_of(*seed), child(path, "seed"), "applies to 'random' only");
  }
  if (kind == "fill") {
    FillInit f{in.number_at(*chosen, key_path)};
    in.check_fits(f.value, b.type, *chosen, key_path);
    b.init = f;
  } else if (kind == "iota") {
    b.init = load_iota(in, *chosen, key_path, b);
  } else if (kind == "random") {
    b.init = load_random(in, init, *chosen, path, b);
  } else {
    b.init = load_file_init(in, *chosen, key_path, b);
  }
}

OutputFormat output_format(const TomlReader& in, const OutputSpec& out, const std::string& path) {
  const std::string ext = extension_of(out.path);
  if (ext == ".npy") return OutputFormat::npy;
  if (ext == ".bin") return OutputFormat::bin;
  if (ext == ".png") return OutputFormat::png;
  if (ext == ".ppm") return OutputFormat::ppm;
  in.fail(out.pos, path,
          fmt::format("cannot write '{}': an output is .npy, .bin, .png or .ppm", out.path.filename().string()));
}

// An image output needs 2-D data, or uchar [height, width, 3 or 4].
void check_image_shape(const TomlReader& in, const OutputSpec& out, const std::string& path, const BufferSpec& b) {
  if (out.format != OutputFormat::png && out.format != OutputFormat::ppm) return;
  const bool colour = b.shape.size() == 3 && b.type == ElementType::u8 && (b.shape[2] == 3 || b.shape[2] == 4);
  if (b.shape.size() != 2 && !colour) {
    in.fail(out.pos, path,
            fmt::format("an image needs a 2-D buffer (shape = [height, width]), or uchar "
                        "[height, width, 3 or 4] for RGB/RGBA; buffer '{}' is {} {}",
                        b.name, to_string(b.type), shape_text(b.shape)));
  }
  if (colour && b.shape[2] == 4 && out.format == OutputFormat::ppm) {
    in.fail(out.pos, path, "a .ppm holds no alpha channel: write RGBA data as .png");
  }
  // libpng writes at most PNG_USER_WIDTH_MAX x PNG_USER_HEIGHT_MAX pixels.
  constexpr std::size_t png_max = 1000000;
  if (out.format == OutputFormat::png && (b.shape[0] > png_max || b.shape[1] > png_max)) {
    in.fail(out.pos, path,
            fmt::format("a .png is at most {} pixels wide and {} high; buffer '{}' is {} (height, width): write "
                        ".npy or .ppm",
                        png_max, png_max, b.name, shape_text(b.shape)));
  }
}

void load_output(const TomlReader& in, const toml::node& node, const std::string& path, const JobSpec& spec,
                 BufferSpec& b) {
  OutputSpec out;
  out.pos = pos_of(node);
  out.path = in.folder() / in.nonempty_string_at(node, path);
  out.format = output_format(in, out, path);
  check_image_shape(in, out, path, b);
  if (in.folder_kind() == JobFolder::fresh) {
    out.target = std::filesystem::absolute(out.path).lexically_normal();
  } else {
    try {
      out.target = replaced_file(out.path);
    } catch (const std::system_error& e) {
      in.fail(out.pos, path, fmt::format("{}: a loop of symbolic links", out.path.string()), Errc::io);
    }
    if (const auto why = cannot_write(out.target)) in.fail(out.pos, path, *why, Errc::io);
  }
  for (const auto& other : spec.buffers) {
    if (other.output && other.output->target == out.target) {
      in.fail(out.pos, path, fmt::format("buffer '{}' already writes {}", other.name, out.target.string()));
    }
  }
  b.output = std::move(out);
}

void load_image(const TomlReader& in, const toml::table& t, const std::string& buffer_path, BufferSpec& b) {
  const bool image_output =
      b.output && (b.output->format == OutputFormat::png || b.output->format == OutputFormat::ppm);
  const bool colour = b.shape.size() == 3;
  const auto* node = t.get("image");
  const std::string path = child(buffer_path, "image");
  if (!node) {
    if (image_output && !colour) b.image = ImageSpec{};
    return;
  }
  if (!image_output) in.fail(pos_of(*node), path, "applies only to a .png or .ppm output");
  if (colour) {
    in.fail(pos_of(*node), path, fmt::format("buffer '{}' holds RGB/RGBA pixels: no colormap or range applies", b.name));
  }
  const toml::table& image = in.table_at(*node, path);
  in.check_keys(image, path, {"colormap", "range"});
  ImageSpec spec;
  spec.pos = pos_of(image);
  if (const auto* c = image.get("colormap")) {
    spec.colormap = in.string_at(*c, child(path, "colormap"));
    const auto& names = colormap_names();
    if (!colormap_named(spec.colormap)) {
      in.fail(pos_of(*c), child(path, "colormap"),
              fmt::format("unknown colormap '{}'{} (colormaps: {})", spec.colormap,
                          did_you_mean(spec.colormap, names), join(names)));
    }
  }
  if (const auto* r = image.get("range")) {
    const std::string range_path = child(path, "range");
    const toml::array& range = in.array_at(*r, range_path);
    if (range.size() != 2) {
      in.fail(pos_of(*r), range_path, fmt::format("expected [lo, hi], found {} values", range.size()));
    }
    const double lo = as_double(in.number_at(range[0], element(range_path, 0)));
    const double hi = as_double(in.number_at(range[1], element(range_path, 1)));
    if (!(lo < hi)) in.fail(pos_of(*r), range_path, fmt::format("lo {} must be below hi {}", lo, hi));
    spec.range = std::pair{lo, hi};
  }
  b.image = std::move(spec);
}

void load_buffer(const TomlReader& in, const toml::table& t, const std::string& path, const JobSpec& spec,
                 BufferSpec& b) {
  in.check_keys(t, path, {"type", "count", "shape", "init", "output", "image"});
  b.pos = pos_of(t);
  const toml::node& type = in.required(t, "type", path);
  b.type_pos = pos_of(type);
  b.type = element_type_at(in, type, child(path, "type"));
  load_shape(in, t, path, b);
  if (const auto* init = t.get("init")) load_init(in, *init, child(path, "init"), b);
  if (const auto* output = t.get("output")) load_output(in, *output, child(path, "output"), spec, b);
  load_image(in, t, path, b);
}

}  // namespace

void load_buffers(const TomlReader& in, const toml::table& root, JobSpec& spec) {
  const auto* node = root.get("buffers");
  if (!node) return;
  // The host holds every buffer at once: the job must fit this machine's memory.
  const HostMemory memory = host_memory();
  std::uint64_t total = 0;
  for (const auto& [key, value] : entries(in.table_at(*node, "buffers"))) {
    const std::string path = child("buffers", key->str());
    BufferSpec b;
    b.name = std::string(key->str());
    if (b.name.empty()) in.fail(pos_of(*key), "buffers", "a buffer's name must not be empty");
    load_buffer(in, in.table_at(*value, path), path, spec, b);
    if (__builtin_add_overflow(total, b.bytes(), &total) || total > memory.bytes) {
      in.fail(b.shape_pos, child(path, value->as_table()->contains("count") ? "count" : "shape"),
              fmt::format("buffer '{}' ({} {}) takes {} bytes; with the buffers before it the job needs {} bytes of "
                          "host memory, more than the {} bytes of {}",
                          b.name, to_string(b.type), shape_text(b.shape), b.bytes(),
                          total < b.bytes() ? std::string("over 2^64") : std::to_string(total), memory.bytes,
                          memory.limit));
    }
    spec.buffers.push_back(std::move(b));
  }
}

std::size_t buffer_index(const TomlReader& in, const JobSpec& spec, const toml::node& node, std::string_view path) {
  const std::string& name = in.string_at(node, path);
  for (std::size_t i = 0; i < spec.buffers.size(); ++i) {
    if (spec.buffers[i].name == name) return i;
  }
  std::vector<std::string> names;
  for (const auto& b : spec.buffers) names.push_back(b.name);
  in.fail(pos_of(node), std::string(path), fmt::format("unknown buffer '{}'{}", name, did_you_mean(name, names)));
}

ElementType element_type_at(const TomlReader& in, const toml::node& node, std::string_view path) {
  const std::string& name = in.string_at(node, path);
  if (const auto type = element_type_named(name)) return *type;
  std::vector<std::string> names;
  for (const ElementTypeInfo& t : element_types) names.emplace_back(t.name);
  const std::string hint = did_you_mean(name, names);
  in.fail(pos_of(node), std::string(path),
          fmt::format("unknown type '{}'{}", name, hint.empty() ? fmt::format(" (types: {})", join(names)) : hint));
}

void check_bin_size(const TomlReader& in, const fs::path& file, const BufferSpec& b, const toml::node& node,
                    std::string_view path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) in.fail(pos_of(node), std::string(path), fmt::format("cannot read {}: {}", file.string(), ec.message()), Errc::io);
  if (size != b.bytes()) {
    in.fail(pos_of(node), std::string(path),
            fmt::format("{} holds {} bytes, buffer '{}' ({} {}) is {} bytes", file.filename().string(), size, b.name,
                        to_string(b.type), shape_text(b.shape), b.bytes()));
  }
}

fs::path data_file_at(const TomlReader& in, const toml::node& node, std::string_view path, bool& npy) {
  fs::path file = in.existing_file(node, path);
  const std::string ext = extension_of(file);
  if (ext != ".npy" && ext != ".bin") {
    in.fail(pos_of(node), std::string(path),
            fmt::format("'{}' is neither .npy nor .bin (raw little-endian data)", file.filename().string()));
  }
  npy = ext == ".npy";
  return file;
}

}  // namespace tessera::detail
