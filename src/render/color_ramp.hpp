#pragma once
// Colours as GeoTrellis packs them, GeoPySpark's named colour ramps and GeoTrellis' ramp resampling
// (ColorRamp.stops). Pure code (no MPI, no I/O).
//
// The ramps are GeoPySpark's ColorRamp enumeration (geopyspark/geotrellis/constants.py), named in lower
// snake case. GeoPySpark's backend resolved each name to a ramp of GeoTrellis'
// geotrellis.raster.render.ColorRamps (geopyspark-backend/.../geopyspark/geotrellis/Coloring.scala,
// `Coloring.getColorRamp`, deleted in GeoPySpark commit 6818cd8 of 2017-07-04; last version at 3ff76fd):
// every name is the GeoTrellis ramp of the same name, except
//   hot      -> ColorRamps.HeatmapDarkRedToYellowWhite
//   coolwarm -> ColorRamps.BlueToRed
// (GeoTrellis has no Hot or CoolWarm ramp; magma, inferno, plasma and viridis are GeoTrellis'
// MatplotLibColorRamps, constants transcribed from matplotlib's colormaps.py, not computed by matplotlib).
// The colour constants are transcribed in color_ramp.cpp, with their source lines.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace trellis::render {

// A colour as GeoTrellis' RGBA integers: 0xRRGGBBAA.
using Rgba = std::uint32_t;

// The channels of a colour, 0-255, and a colour from channels (GeoTrellis' RGBA class). constexpr; never
// throw.

constexpr int red(Rgba c) {
  return static_cast<int>((c >> 24) & 0xFF);
}
constexpr int green(Rgba c) {
  return static_cast<int>((c >> 16) & 0xFF);
}
constexpr int blue(Rgba c) {
  return static_cast<int>((c >> 8) & 0xFF);
}
constexpr int alpha(Rgba c) {
  return static_cast<int>(c & 0xFF);
}
// Each channel is taken modulo 256, as a cast to an 8-bit channel would (GeoTrellis adds unmasked).
constexpr Rgba rgba(int r, int g, int b, int a) {
  return (static_cast<Rgba>(r & 0xFF) << 24) | (static_cast<Rgba>(g & 0xFF) << 16) |
         (static_cast<Rgba>(b & 0xFF) << 8) | static_cast<Rgba>(a & 0xFF);
}

// The ramps' canonical names, in GeoPySpark's enumeration order. Deterministic; never throws.
std::span<const std::string_view> ramp_names();

// The colours of the ramp `name` (a canonical name, or any spelling that differs from one only by case,
// '-' and '_': "BlueToOrange", "blue-to-orange", "HOT"); nullopt for an unknown name. Deterministic;
// throws only std::bad_alloc.
std::optional<std::vector<Rgba>> ramp_colors(std::string_view name);

// GeoTrellis' ColorRamp(colors).stops(n).colors, with its integer arithmetic:
//   n == colors.size(): the colours;
//   1 <= n < size (ColorRamp.spread): colors[0], then colors[round(i (size - 1) / (n - 1))] for
//     i = 1..n-1, the quotient a double and round() Java's Math.round (halves up);
//   n > size (ColorRamp.chooseColors): per channel, with m = size - 1 and d = n - 1, colour i is
//     j = i m / d (integer division) and, when j < m, h[j] + (h[j+1] - h[j]) ((i m) mod d) / d with the
//     last division truncating toward zero (Java's int division), else h[j];
//   n < 1, or no colours: empty.
// The products are taken in 64 bits, where GeoTrellis' 32-bit ints would overflow once
// n (size - 1) * 255 passes 2^31 (n > 8.4 million for a 256-colour ramp); below that, the results are
// GeoTrellis' bit for bit. Deterministic; throws only std::bad_alloc.
std::vector<Rgba> ramp_stops(std::span<const Rgba> colors, int n);

}  // namespace trellis::render
