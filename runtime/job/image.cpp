#include "job/image.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "tessera/error.hpp"
#include "common/atomic_file.hpp"
#include "job/elements.hpp"

namespace tessera::detail {

Image image_from_scalars(ElementType type, const void* data, std::size_t rows, std::size_t cols,
                         Colormap map, std::optional<std::pair<double, double>> range) {
  const std::size_t n = rows * cols;
  if (!range) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::size_t i = 0; i < n; ++i) {
      const double v = element_as_double(type, data, i);
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    range = lo <= hi ? std::pair{lo, hi} : std::pair{0.0, 1.0};
  }
  const auto [lo, hi] = *range;
  const double scale = hi != lo ? 1.0 / (hi - lo) : 0.0;  // a flat range maps everything to 0
  Image image{cols, rows, 3, std::vector<unsigned char>(n * 3)};
  for (std::size_t i = 0; i < n; ++i) {
    const auto rgb = colormap_rgb(map, (element_as_double(type, data, i) - lo) * scale);
    std::copy(rgb.begin(), rgb.end(), image.pixels.begin() + static_cast<std::ptrdiff_t>(i * 3));
  }
  return image;
}

Image image_from_rgb(const unsigned char* data, std::size_t rows, std::size_t cols, unsigned channels) {
  if (channels != 3 && channels != 4) {
    throw std::invalid_argument("an RGB image needs 3 or 4 channels, not " + std::to_string(channels));
  }
  return {cols, rows, channels, std::vector<unsigned char>(data, data + rows * cols * channels)};
}

std::vector<unsigned char> encode_png(const Image& image) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = image.channels == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
  const auto stride = static_cast<png_int_32>(image.width * image.channels);
  png_alloc_size_t size = 0;
  const auto encode = [&](void* into) {
    if (png_image_write_to_memory(&png, into, &size, 0, image.pixels.data(), stride, nullptr) == 0) {
      throw Error(Errc::io, std::string("PNG encoding failed: ") + png.message);
    }
  };
  encode(nullptr);
  std::vector<unsigned char> out(size);
  encode(out.data());
  out.resize(size);
  return out;
}

std::vector<unsigned char> encode_ppm(const Image& image) {
  const std::string header =
      "P6\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n255\n";
  std::vector<unsigned char> out(header.begin(), header.end());
  out.reserve(header.size() + image.width * image.height * 3);
  for (std::size_t p = 0; p < image.width * image.height; ++p) {
    const auto* px = image.pixels.data() + p * image.channels;
    out.insert(out.end(), px, px + 3);
  }
  return out;
}

void write_image(AtomicFile& out, const Image& image) {
  const std::string ext = out.path().extension().string();
  if (ext == ".png") return out.write(encode_png(image));
  if (ext == ".ppm") return out.write(encode_ppm(image));
  throw std::invalid_argument("'" + out.path().string() + "': an image is written as .png or .ppm, not '" + ext + "'");
}

void write_image(const std::filesystem::path& path, const Image& image) {
  AtomicFile out(path);
  write_image(out, image);
  out.commit();
}

}  // namespace tessera::detail
