#pragma once
// The arithmetic of `slope`, `aspect` and `hillshade`: a 3x3 gradient of every cell of a window
// buffered by one cell (semantics.md, "Slope, Aspect"). No communication: the ops hand in tiles buffered
// by the halo exchange.
#include <span>

#include "core/enum_names.hpp"

namespace trellis::focal {

// How the gradient is estimated from the 3x3 window a..i (a b c / d e f / g h i, north up):
//   Horn (default): dz/dx = ((c + 2f + i) - (a + 2d + g)) / (8 cell width),
//                   dz/dy = ((g + 2h + i) - (a + 2b + c)) / (8 cell height)   (rows increase southward)
//   ZevenbergenThorne: dz/dx = (f - d) / (2 cell width), dz/dy = (h - b) / (2 cell height)
enum class GradientMethod { Horn, ZevenbergenThorne };
inline constexpr EnumName<GradientMethod> kGradientMethods[] = {
    {GradientMethod::Horn, "horn"}, {GradientMethod::ZevenbergenThorne, "zevenbergen_thorne"}};
inline std::span<const EnumName<GradientMethod>> enum_names(GradientMethod) {
  return kGradientMethods;
}

// What a neighbour that is not data takes:
//   Focus (semantics.md, GeoTrellis): neighbours outside the layer and NoData neighbours take the focus
//     cell's value.
//   Gdal (gdaldem -compute_edges): a neighbour outside the layer is extrapolated linearly from the
//     window's cells across the focus (2 x adjacent - opposite, as gdaldem does at raster edges), a
//     NoData neighbour (or one extrapolated from NoData) takes the focus value. As in gdaldem, on the
//     layer's first and last rows the missing west/east column repeats the focus column instead (so
//     corners are extrapolated only north/south), and a layer less than 2 cells wide or high gives NoData.
// Either way a NoData focus gives NoData.
enum class EdgeRule { Focus, Gdal };
inline constexpr EnumName<EdgeRule> kEdgeRules[] = {{EdgeRule::Focus, "focus"}, {EdgeRule::Gdal, "gdal"}};
inline std::span<const EnumName<EdgeRule>> enum_names(EdgeRule) {
  return kEdgeRules;
}

// Aspect's convention:
//   GeoTrellis12 (GeoPySpark 0.1/0.2, default): degrees(atan2(dz/dy, -dz/dx)) wrapped to [0, 360): the
//     downslope direction counter-clockwise from east; a flat cell gives NaN.
//   Azimuth (GeoTrellis 2+, gdaldem): degrees clockwise from north, degrees(atan2(dz/dy, dz/dx)) - 90,
//     plus 360 if negative (within 1e-10 of 360 gives 0); flat (|dz/dx| and |dz/dy| <= 1e-10) gives -1.
//     gdaldem gives its NoData (-9999, or 0 with -zero_for_flat) for flat, and ignores the cell size
//     (its dz/dx, dz/dy are not divided by it), so it agrees only for square cells.
enum class AspectConvention { GeoTrellis12, Azimuth };
inline constexpr EnumName<AspectConvention> kAspectConventions[] = {
    {AspectConvention::GeoTrellis12, "geotrellis"}, {AspectConvention::Azimuth, "azimuth"}};
inline std::span<const EnumName<AspectConvention>> enum_names(AspectConvention) {
  return kAspectConventions;
}

// A window of cells buffered by one cell on every side: cols x rows doubles, row-major from the
// north-west corner, NaN for NoData. `inside` is the part of the window within the layer (x0 <= x < x1,
// y0 <= y < y1): cells beyond it are outside (they are NaN too), which EdgeRule::Gdal tells apart.
struct SurfaceGrid {
  const double* cells = nullptr;
  int cols = 0, rows = 0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct Gradient {
  GradientMethod method = GradientMethod::Horn;
  EdgeRule edges = EdgeRule::Focus;
  double cell_width = 1, cell_height = 1;  // in the layer's map units
  // The z factor of each output row (rows - 2 of them): elevation units to map units. One value for
  // projected layers; per row for geographic ones (the latitude of the row's cell centres).
  std::span<const double> z_factor;
};

// For every cell (x, y) of the window's interior (1 <= x < cols - 1, 1 <= y < rows - 1), into
// out[(y - 1) * (cols - 2) + (x - 1)]; NaN where the focus is NoData. Deterministic, not collective,
// thread-safe. Throw std::invalid_argument when the window is smaller than 3x3, out or z_factor has the
// wrong size, or `inside` is not within the window.
// Slope in degrees: degrees(atan(z sqrt(dzdx^2 + dzdy^2))).
void slope(const SurfaceGrid& in, const Gradient& g, std::span<double> out);
// Aspect in degrees, by `convention` (z does not change it).
void aspect(const SurfaceGrid& in, const Gradient& g, AspectConvention convention, std::span<double> out);

// Hillshade's scale:
//   GeoTrellis (default): round(127 max(0, cos zenith cos slope + sin zenith sin slope cos(azimuth -
//     aspect))) with aspect as GeoTrellis 1.2 computes it: 0..127 (GeoTrellis' HillshadeSpec case).
//   Gdal: gdaldem hillshade's formula and scale: 1 + 254 max(0, ...) as a float, rounded half up as
//     gdaldem writes it to its Byte band, 1..255.
enum class HillshadeScale { GeoTrellis, Gdal };
inline constexpr EnumName<HillshadeScale> kHillshadeScales[] = {{HillshadeScale::GeoTrellis, "geotrellis"},
                                                                {HillshadeScale::Gdal, "gdal"}};
inline std::span<const EnumName<HillshadeScale>> enum_names(HillshadeScale) {
  return kHillshadeScales;
}
// Hillshade with the sun at `azimuth` degrees (clockwise from north) and `altitude` degrees above the
// horizon.
void hillshade(const SurfaceGrid& in, const Gradient& g, double azimuth, double altitude,
               HillshadeScale scale, std::span<double> out);

// GeoTrellis' latitude-aware z factor (ZFactor.latLngCalculator) for a cell centre at `latitude`
// degrees: 1 / (units per degree at the equator x cos(latitude)), meters or feet.
enum class ZUnit { Meters, Feet };
inline constexpr EnumName<ZUnit> kZUnits[] = {{ZUnit::Meters, "meters"}, {ZUnit::Feet, "feet"}};
inline std::span<const EnumName<ZUnit>> enum_names(ZUnit) {
  return kZUnits;
}
double lat_lng_z_factor(double latitude, ZUnit unit);

}  // namespace trellis::focal
