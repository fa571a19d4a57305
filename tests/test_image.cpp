// Image outputs: colormaps against matplotlib's values, scalar and RGB images, PNG (decoded
// back with libpng) and PPM bytes, atomic writing.

#include <doctest/doctest.h>
#include <png.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "job/colormap.hpp"
#include "job/image.hpp"
#include "support/temp_dir.hpp"

using tessera::ElementType;
using tessera::detail::Colormap;
using tessera::detail::colormap_rgb;
using tessera::detail::Image;

namespace {

void check_near(const std::array<unsigned char, 3>& got, std::array<int, 3> want) {
  for (std::size_t c = 0; c < 3; ++c) {
    CAPTURE(c);
    CHECK(std::abs(int{got[c]} - want[c]) <= 5);
  }
}

Image decode_png(const std::vector<unsigned char>& bytes) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()) != 0);
  Image out{png.width, png.height, PNG_IMAGE_SAMPLE_CHANNELS(png.format), {}};
  out.pixels.resize(PNG_IMAGE_SIZE(png));
  REQUIRE(png_image_finish_read(&png, nullptr, out.pixels.data(), 0, nullptr) != 0);
  return out;
}

std::vector<unsigned char> read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("colormaps follow matplotlib's viridis and magma, and gray is linear") {
  // matplotlib: viridis(0) = #440154, viridis(0.5) = #21918c, viridis(1) = #fde725.
  check_near(colormap_rgb(Colormap::viridis, 0.0), {0x44, 0x01, 0x54});
  check_near(colormap_rgb(Colormap::viridis, 0.5), {0x21, 0x91, 0x8c});
  check_near(colormap_rgb(Colormap::viridis, 1.0), {0xfd, 0xe7, 0x25});
  // magma(0) = #000004, magma(0.5) = #b73779, magma(1) = #fcfdbf.
  check_near(colormap_rgb(Colormap::magma, 0.0), {0x00, 0x00, 0x04});
  check_near(colormap_rgb(Colormap::magma, 0.5), {0xb7, 0x37, 0x79});
  check_near(colormap_rgb(Colormap::magma, 1.0), {0xfc, 0xfd, 0xbf});
  CHECK(colormap_rgb(Colormap::gray, 0.0) == std::array<unsigned char, 3>{0, 0, 0});
  CHECK(colormap_rgb(Colormap::gray, 1.0) == std::array<unsigned char, 3>{255, 255, 255});
  CHECK(colormap_rgb(Colormap::gray, 0.5) == std::array<unsigned char, 3>{128, 128, 128});
  // Clamped outside [0, 1]; NaN is the colour at 0.
  CHECK(colormap_rgb(Colormap::viridis, -3.0) == colormap_rgb(Colormap::viridis, 0.0));
  CHECK(colormap_rgb(Colormap::viridis, 7.0) == colormap_rgb(Colormap::viridis, 1.0));
  CHECK(colormap_rgb(Colormap::magma, std::nan("")) == colormap_rgb(Colormap::magma, 0.0));
  CHECK(tessera::detail::colormap_named("magma") == Colormap::magma);
  CHECK_FALSE(tessera::detail::colormap_named("jet"));
}

TEST_CASE("scalar images map the range linearly onto the colormap") {
  const std::vector<std::uint32_t> data{10, 20, 30, 40, 50, 60};  // 2 rows, 3 columns
  const Image img = tessera::detail::image_from_scalars(ElementType::u32, data.data(), 2, 3, Colormap::gray);
  CHECK(img.width == 3);
  CHECK(img.height == 2);
  CHECK(img.channels == 3);
  REQUIRE(img.pixels.size() == 18);
  CHECK(img.pixels[0] == 0);     // the smallest value: black
  CHECK(img.pixels[15] == 255);  // the largest: white
  CHECK(img.pixels[6] == 102);   // 30: 0.4 of the way

  // A given range: values outside clamp.
  const Image ranged = tessera::detail::image_from_scalars(ElementType::u32, data.data(), 2, 3, Colormap::gray,
                                                           std::pair{20.0, 40.0});
  CHECK(ranged.pixels[0] == 0);
  CHECK(ranged.pixels[6] == 128);
  CHECK(ranged.pixels[15] == 255);

  // Floats with NaN and infinities: the range comes from the finite values.
  const std::vector<float> f{std::numeric_limits<float>::quiet_NaN(), -1.0f, 1.0f,
                             std::numeric_limits<float>::infinity()};
  const Image fi = tessera::detail::image_from_scalars(ElementType::f32, f.data(), 2, 2, Colormap::gray);
  CHECK(fi.pixels[0] == 0);
  CHECK(fi.pixels[3] == 0);
  CHECK(fi.pixels[6] == 255);
  CHECK(fi.pixels[9] == 255);

  // A flat image is all the colour at 0 (no division by zero).
  const std::vector<double> flat(4, 5.0);
  const Image fl = tessera::detail::image_from_scalars(ElementType::f64, flat.data(), 2, 2, Colormap::viridis);
  for (std::size_t p = 0; p < 4; ++p) CHECK(fl.pixels[p * 3 + 1] == colormap_rgb(Colormap::viridis, 0)[1]);
}

TEST_CASE("PNG and PPM bytes hold exactly the pixels") {
  std::vector<unsigned char> rgba;
  for (unsigned i = 0; i < 5 * 3 * 4; ++i) rgba.push_back(static_cast<unsigned char>(i * 7));
  const Image img = tessera::detail::image_from_rgb(rgba.data(), 3, 5, 4);
  const Image back = decode_png(tessera::detail::encode_png(img));
  CHECK(back.width == 5);
  CHECK(back.height == 3);
  CHECK(back.channels == 4);
  CHECK(back.pixels == img.pixels);

  const Image rgb = tessera::detail::image_from_rgb(rgba.data(), 4, 5, 3);
  CHECK(decode_png(tessera::detail::encode_png(rgb)).pixels == rgb.pixels);

  const std::vector<unsigned char> ppm = tessera::detail::encode_ppm(img);
  const std::string header = "P6\n5 3\n255\n";
  REQUIRE(ppm.size() == header.size() + 5 * 3 * 3);
  CHECK(std::string(ppm.begin(), ppm.begin() + static_cast<std::ptrdiff_t>(header.size())) == header);
  // Alpha dropped: pixel 1 is bytes 4..6 of the RGBA data.
  CHECK(ppm[header.size() + 3] == rgba[4]);
  CHECK(ppm[header.size() + 5] == rgba[6]);

  CHECK_THROWS_AS(tessera::detail::image_from_rgb(rgba.data(), 1, 1, 2), std::invalid_argument);
}

TEST_CASE("write_image picks the format by extension and writes atomically") {
  tessera::test::TempDir dir;
  const std::vector<unsigned char> px(2 * 2 * 3, 200);
  const Image img = tessera::detail::image_from_rgb(px.data(), 2, 2, 3);

  tessera::detail::write_image(dir.path() / "a.png", img);
  CHECK(decode_png(read_all(dir.path() / "a.png")).pixels == px);
  tessera::detail::write_image(dir.path() / "a.ppm", img);
  CHECK(read_all(dir.path() / "a.ppm") == tessera::detail::encode_ppm(img));

  CHECK_THROWS_WITH_AS(tessera::detail::write_image(dir.path() / "a.jpg", img),
                       doctest::Contains("written as .png or .ppm, not '.jpg'"), std::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "a.jpg"));
  CHECK_THROWS_AS(tessera::detail::write_image(dir.path() / "missing" / "a.png", img), std::system_error);

  // Nothing but the two outputs is left in the folder (no temporary files).
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 2);
}
