#pragma once
// Internal: colormaps that turn scalar data into RGB for image outputs.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::detail {

enum class Colormap { viridis, magma, gray };

/// The colormap named `name` ("viridis", "magma", "gray"), or nothing.
std::optional<Colormap> colormap_named(std::string_view name);
/// Every colormap's name, for messages and suggestions.
const std::vector<std::string>& colormap_names();

/// The colour at `t` in [0, 1] (clamped; NaN gives the colour at 0) as 8-bit RGB. viridis and
/// magma follow matplotlib's maps by degree-6 polynomial fits (each channel within 5 of 255
/// of matplotlib's tables).
std::array<unsigned char, 3> colormap_rgb(Colormap map, double t) noexcept;

}  // namespace tessera::detail
