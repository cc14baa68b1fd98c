#pragma once
// Geometry helpers of the reprojection: facts about CRSs, densified extents and their envelopes across
// the antimeridian, windows of a layout's cells, the reach of GDAL's kernels. Not collective.
#include <optional>
#include <string>
#include <vector>

#include "core/crs.hpp"
#include "core/extent.hpp"
#include "core/layout.hpp"
#include "io/warp.hpp"

namespace trellis::ops {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kWebMercatorHalf = 20037508.342789244;

// Facts about a CRS that cost a PROJ context to learn, learnt once.
struct CrsInfo {
  Crs crs;
  bool geographic = false;
  bool webmercator = false;
  bool mercator = false;  // any +proj=merc
  double period = 0;      // x period of the antimeridian (geographic: 360, WebMercator: its world width)

  explicit CrsInfo(const Crs& c) : crs(c) {
    geographic = c.is_geographic();
    webmercator = c.is_webmercator();
    mercator = webmercator || (" " + c.proj4()).find(" +proj=merc ") != std::string::npos;
    if (geographic)
      period = 360.0;
    else if (webmercator)
      period = 2 * kWebMercatorHalf;
  }
};

// "%.17g": a double that reads back exactly (in PROJ strings).
std::string fmt_double(double v);
// Clamped floor to long (for cell and key indexes of far-away coordinates).
long lfloor(double v);
// Points on the boundary (`edge` segments per side) and an inner grid (`inner` x `inner`) of an extent.
void sample_extent(const Extent& e, int edge, int inner, std::vector<double>& xs, std::vector<double>& ys);
// The envelope of the finite points. With a period (an antimeridian in x), points west of the middle
// are moved one period east when that gives a narrower envelope of less than half the world: a footprint
// across the antimeridian becomes one continuous range (east of +180 or of the world's east edge).
std::optional<Extent> points_envelope(const std::vector<double>& xs, const std::vector<double>& ys,
                                      double period);
// The grid of the layout cells [c0, c1) x [r0, r1).
GridExtent window_grid(const LayoutDefinition& L, long c0, long r0, long c1, long r1);
// How far (in source cells, at scale 1) GDAL's kernel reaches from a sample point.
double kernel_radius(io::ResampleMethod m);

}  // namespace trellis::ops
