#pragma once
// Internal: image outputs of 2-D buffers: scalar data through a colormap, or uchar data whose
// last dimension is 3 or 4 as RGB / RGBA; written as .png or .ppm, atomically.
//
//   Image img = image_from_scalars(ElementType::u32, data, rows, cols, Colormap::viridis, range);
//   write_image("out/mandelbrot.png", img);

#include <cstddef>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "common/atomic_file.hpp"
#include "job/colormap.hpp"
#include "tessera/buffer.hpp"

namespace tessera::detail {

/// 8-bit pixels, row-major, the first row at the top (row 0 of the buffer).
struct Image {
  std::size_t width = 0;
  std::size_t height = 0;
  unsigned channels = 3;  ///< 3 (RGB) or 4 (RGBA)
  std::vector<unsigned char> pixels;  ///< width * height * channels
};

/// The image of a [rows, cols] array of `type` through `map`: values are mapped linearly from
/// `range` (default: the smallest and largest finite value in the data) onto [0, 1], values
/// outside clamp, NaN takes the colour at 0.
Image image_from_scalars(ElementType type, const void* data, std::size_t rows, std::size_t cols,
                         Colormap map, std::optional<std::pair<double, double>> range = {});

/// The image of a [rows, cols, channels] uchar array, channels 3 (RGB) or 4 (RGBA).
/// Throws std::invalid_argument for other channel counts.
Image image_from_rgb(const unsigned char* data, std::size_t rows, std::size_t cols, unsigned channels);

/// The bytes of a PNG file (8-bit RGB or RGBA). Throws std::runtime_error with libpng's message.
std::vector<unsigned char> encode_png(const Image& image);
/// The bytes of a binary PPM (P6) file: RGB; an alpha channel is dropped (PPM has none).
std::vector<unsigned char> encode_ppm(const Image& image);

/// Writes `image` to `path` as PNG or PPM by its extension (.png, .ppm), atomically: the file
/// appears whole or not at all. Throws std::invalid_argument for another extension, and
/// std::system_error when the file cannot be written.
void write_image(const std::filesystem::path& path, const Image& image);
/// Writes `image` into `out` (not committed), as PNG or PPM by the extension of out.path().
void write_image(AtomicFile& out, const Image& image);

}  // namespace tessera::detail
