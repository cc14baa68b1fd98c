#pragma once
// Colour maps: values to colours through breaks, with GeoTrellis' ColorMap semantics
// (geotrellis.raster.render.ColorMap / DoubleColorMap / BreakMap, ColorMap.Options) and two extensions:
// linear interpolation between breaks and the nearest break's colour, which with break steps and the
// rounding offset express `gdaldem color-relief` exactly (color_relief.hpp). Pure code (no MPI, no I/O).
//
// Breaks are doubles, as GeoTrellis' DoubleColorMap. GeoTrellis' IntColorMap (integer breaks: what
// GeoPySpark builds from Python ints) first truncates a double value toward zero (d2i), so with integer
// breaks 10 and 20 it gives 10.7 the colour of 10 where this class gives it the colour of 20; a caller that
// wants IntColorMap's behaviour truncates the values itself.
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "core/enum_names.hpp"
#include "render/color_ramp.hpp"

namespace trellis::render {

// GeoTrellis' ClassBoundaryType: which break's colour a value takes under Interpolation::Discrete.
// (The order matches job::ClassBoundary, which converts by value.)
enum class ClassBoundary : std::uint8_t {
  LessThan,              // the smallest break above the value
  LessThanOrEqualTo,     // the smallest break at or above the value (GeoTrellis' default)
  Exact,                 // the break equal to the value
  GreaterThanOrEqualTo,  // the largest break at or below the value
  GreaterThan,           // the largest break below the value
};

enum class Interpolation : std::uint8_t {
  // GeoTrellis: a value takes the colour of its class (options.boundary); a value in no class takes the
  // fallback colour (or throws when strict).
  Discrete,
  // trellis' extension, as gdaldem's default: between two breaks each channel (R, G, B, A) is
  // interpolated, c = int(offset + c0 + t (c1 - c0)) clamped to 0-255, with t = (v - b0) / (b1 - b0)
  // (in double, in this order) and offset = options.linear_round_offset (0.5: round halves up).
  // A value equal to a break takes that break's colour; below the first / above the last break: the
  // first / last colour (or throws when strict).
  Linear,
  // trellis' extension, as gdaldem -nearest_color_entry: the colour of the nearer of the two breaks
  // around the value (at equal distance: the upper one); beyond the ends as Linear.
  Nearest,
};

// The names a job and a tile request give the interpolations (Nearest is a colour-relief mode's).
inline constexpr EnumName<Interpolation> kInterpolationNames[] = {{Interpolation::Discrete, "discrete"},
                                                                  {Interpolation::Linear, "linear"}};
inline std::span<const EnumName<Interpolation>> enum_names(Interpolation) {
  return kInterpolationNames;
}

struct ColorMapOptions {
  ClassBoundary boundary = ClassBoundary::LessThanOrEqualTo;  // Discrete only
  Interpolation interpolation = Interpolation::Discrete;
  Rgba no_data = 0x00000000;   // NaN values and cells that are not data
  Rgba fallback = 0x00000000;  // Discrete: values in no class
  // GeoTrellis' strict: a value in no class (Discrete) or outside [first break, last break] (Linear,
  // Nearest) throws std::domain_error instead of taking the fallback / end colour.
  bool strict = false;
  // Linear: the offset added before truncating an interpolated channel, in [0, 1). 0.5 rounds to nearest
  // (halves up); gdaldem 3.6 to 3.10 add 0.45 (newer GDAL sources add 0.5).
  double linear_round_offset = 0.5;
  // Map static_cast<float>(v) instead of v: gdaldem reads every band that is not 8 or 16-bit integer as
  // Float32, so a float64 or int32 layer matches gdaldem only through this rounding.
  bool float32_values = false;
};

// Breaks to colours. A copyable value; every member function is const and thread-safe.
class ColorMap {
 public:
  // breaks[i] has colors[i]. Breaks are finite and strictly increasing; under Linear and Nearest equal
  // adjacent breaks are allowed too and make a step (gdaldem's repeated entries): a value equal to the
  // step's break takes the first of its colours, values below it blend toward the first, values above it
  // blend from the last. Throws std::invalid_argument when the sizes differ, the breaks are empty, not
  // finite or out of order, or linear_round_offset is outside [0, 1).
  ColorMap(std::vector<double> breaks, std::vector<Rgba> colors, ColorMapOptions o = {});

  // GeoTrellis' ColorRamp(ramp).toColorMap(breaks, options): colours = ramp_stops(ramp, breaks.size()).
  // Throws as the constructor (an empty ramp gives no colours: the sizes differ).
  static ColorMap from_ramp(std::span<const Rgba> ramp, std::vector<double> breaks, ColorMapOptions o = {});

  // The colour of v (GeoTrellis' ColorMap.mapDouble for Discrete). NaN gives options().no_data.
  // Discrete, for breaks b0 < ... < bn-1 and v not NaN:
  //   LessThan              the colour of the first bi > v;  v >= bn-1: fallback
  //   LessThanOrEqualTo     the colour of the first bi >= v; v > bn-1: fallback
  //   Exact                 the colour of bi == v;           any other v: fallback
  //   GreaterThanOrEqualTo  the colour of the last bi <= v;  v < b0: fallback
  //   GreaterThan           the colour of the last bi < v;   v <= b0: fallback
  // (-0.0 equals 0.0; infinities are ordinary values.) Deterministic. Throws std::domain_error where the
  // fallback / end colour would be used and options().strict is set (GeoTrellis throws there too).
  Rgba map(double v) const;

  // The fast path of map() over a row: rgba_out gets 4 bytes per cell (R, G, B, A). A cell whose is_data
  // is 0 gets no_data; an empty is_data means every cell is data (NaN values still get no_data).
  // rgba_out must hold 4 * values.size() bytes. Deterministic. Throws std::invalid_argument when is_data
  // is neither empty nor values.size() long, and std::domain_error as map() (cells before the failing one
  // are written).
  void map_row(std::span<const double> values, std::span<const std::uint8_t> is_data,
               std::uint8_t* rgba_out) const;

  // The breaks, colours and options as constructed. Never throw.
  const std::vector<double>& breaks() const { return breaks_; }
  const std::vector<Rgba>& colors() const { return colors_; }
  const ColorMapOptions& options() const { return options_; }

 private:
  Rgba discrete(double v) const;
  Rgba linear(double v) const;
  // The colour interpolated between breaks i - 1 and i, for breaks_[i - 1] < v < breaks_[i].
  Rgba between(std::size_t i, double v) const;
  Rgba nearest(double v) const;
  // Linear and Nearest: the index of the first break at or above v, or the colour of v when it is beyond
  // the ends or on a break (the ends clamp; strict refuses a value beyond them).
  std::variant<std::size_t, Rgba> bracket(double v) const;
  [[noreturn]] void unmapped(double v) const;

  std::vector<double> breaks_;
  std::vector<Rgba> colors_;
  ColorMapOptions options_;
};

}  // namespace trellis::render
