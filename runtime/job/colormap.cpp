#include "job/colormap.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::detail {
namespace {

// Polynomial fits of matplotlib's perceptually uniform maps: colour(t) = sum c[k] t^k, per
// channel, k = 0..6.
using Fit = std::array<std::array<double, 3>, 7>;

constexpr Fit viridis_fit{{{0.2777273272234177, 0.005407344544966578, 0.3340998053353061},
                           {0.1050930431085774, 1.404613529898575, 1.384590162594685},
                           {-0.3308618287255563, 0.214847559468213, 0.09509516302823659},
                           {-4.634230498983486, -5.799100973351585, -19.33244095627987},
                           {6.228269936347081, 14.17993336680509, 56.69055260068105},
                           {4.776384997670288, -13.74514537774601, -65.35303263337234},
                           {-5.435455855934631, 4.645852612178535, 26.3124352495832}}};

constexpr Fit magma_fit{{{-0.002136485053939582, -0.000749655052795221, -0.005386127855323933},
                         {0.2516605407371642, 0.6775232436837668, 2.494026599312351},
                         {8.353717279216625, -3.577719514958484, 0.3144679030132573},
                         {-27.66873308576866, 14.26473078096533, -13.64921318813922},
                         {52.17613981234068, -27.94360607168351, 12.94416944238394},
                         {-50.76852536473588, 29.04658282127291, 4.23415299384598},
                         {18.65570506591883, -11.48977351997711, -5.601961508734096}}};

unsigned char to_byte(double v) {
  return static_cast<unsigned char>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
}

std::array<unsigned char, 3> evaluate(const Fit& fit, double t) {
  std::array<unsigned char, 3> rgb{};
  for (std::size_t c = 0; c < 3; ++c) {
    double v = 0;
    for (std::size_t k = fit.size(); k-- > 0;) v = v * t + fit[k][c];  // Horner
    rgb[c] = to_byte(v);
  }
  return rgb;
}

}  // namespace

std::optional<Colormap> colormap_named(std::string_view name) {
  if (name == "viridis") return Colormap::viridis;
  if (name == "magma") return Colormap::magma;
  if (name == "gray") return Colormap::gray;
  return std::nullopt;
}

const std::vector<std::string>& colormap_names() {
  static const std::vector<std::string> names{"gray", "viridis", "magma"};
  return names;
}

std::array<unsigned char, 3> colormap_rgb(Colormap map, double t) noexcept {
  t = std::isnan(t) ? 0.0 : std::clamp(t, 0.0, 1.0);
  switch (map) {
    case Colormap::viridis: return evaluate(viridis_fit, t);
    case Colormap::magma: return evaluate(magma_fit, t);
    case Colormap::gray: break;
  }
  const unsigned char g = to_byte(t);
  return {g, g, g};
}

}  // namespace tessera::detail
