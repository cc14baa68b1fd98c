// Slope, aspect and hillshade of a buffered window (surface.hpp). Sources followed: GeoTrellis'
// SurfacePointCalculation/SurfacePoint (raster/.../mapalgebra/focal/hillshade/SurfacePointCalculation.scala),
// Hillshade.scala and ZFactor.scala; GDAL's apps/gdaldem_lib.cpp (GDALGeneric3x3Processing, the
// Horn/Zevenbergen-Thorne slope, aspect and default hillshade), checked against GDAL 3.6.2's output.
#include "ops/focal/surface.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace trellis::focal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDegrees = 180.0 / std::numbers::pi;
constexpr double kRadians = std::numbers::pi / 180.0;

void check(const SurfaceGrid& in, const Gradient& g, std::span<double> out) {
  if (in.cols < 3 || in.rows < 3) throw std::invalid_argument("surface: the window is smaller than 3x3");
  if (in.cells == nullptr) throw std::invalid_argument("surface: no cells");
  if (in.x0 < 0 || in.x0 > in.x1 || in.x1 > in.cols || in.y0 < 0 || in.y0 > in.y1 || in.y1 > in.rows)
    throw std::invalid_argument("surface: `inside` is not within the window");
  if (out.size() != static_cast<std::size_t>(in.cols - 2) * static_cast<std::size_t>(in.rows - 2))
    throw std::invalid_argument("surface: out has the wrong size");
  if (g.z_factor.size() != static_cast<std::size_t>(in.rows - 2))
    throw std::invalid_argument("surface: z_factor needs one value per output row");
}

// dz/dx and dz/dy from three rows of three cells (n, c, s point at the west cell of the north, focus and
// south rows). inv_w, inv_h already hold 1 / (8 or 2 x cell size).
template <GradientMethod M>
inline void gradient(const double* n, const double* c, const double* s, double inv_w, double inv_h,
                     double& dx, double& dy) {
  if constexpr (M == GradientMethod::Horn) {
    dx = ((n[2] + 2 * c[2] + s[2]) - (n[0] + 2 * c[0] + s[0])) * inv_w;
    dy = ((s[0] + 2 * s[1] + s[2]) - (n[0] + 2 * n[1] + n[2])) * inv_h;
  } else {
    dx = (c[2] - c[0]) * inv_w;
    dy = (s[1] - n[1]) * inv_h;
  }
}

// The 3x3 window around (x, y) with every neighbour that is not data filled by the edge rule. False when
// the result is NoData: a NoData (or outside) focus, or EdgeRule::Gdal on a layer narrower or lower than
// 2 cells (gdaldem -compute_edges writes NoData everywhere then: there is nothing to extrapolate from).
bool fill_window(const SurfaceGrid& in, EdgeRule rule, int x, int y, double w[9]) {
  const auto inside = [&](int cx, int cy) { return cx >= in.x0 && cx < in.x1 && cy >= in.y0 && cy < in.y1; };
  const auto at = [&](int cx, int cy) { return in.cells[static_cast<std::size_t>(cy) * in.cols + cx]; };
  if (!inside(x, y)) return false;
  const double focus = at(x, y);
  if (std::isnan(focus)) return false;
  if (rule == EdgeRule::Focus) {
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx)
        w[3 * (dy + 1) + dx + 1] = inside(x + dx, y + dy) ? at(x + dx, y + dy) : kNaN;
  } else {
    if (in.x1 - in.x0 < 2 || in.y1 - in.y0 < 2) return false;
    const bool top = y == in.y0, bottom = y == in.y1 - 1, left = x == in.x0, right = x == in.x1 - 1;
    // Column cx of the row dy away; beyond the first or last row, extrapolated across the focus row
    // (gdaldem's INTERPOL: 2 x edge - next). NaN in gives NaN out, which then takes the focus value,
    // as gdaldem's INTERPOL returns NoData for a NoData input.
    const auto row_cell = [&](int cx, int dy) {
      if (dy < 0 && top) return 2 * at(cx, y) - at(cx, y + 1);
      if (dy > 0 && bottom) return 2 * at(cx, y) - at(cx, y - 1);
      return at(cx, y + dy);
    };
    for (int dy = -1; dy <= 1; ++dy) {
      double* r = w + 3 * (dy + 1);
      r[1] = row_cell(x, dy);
      if (top || bottom) {
        // gdaldem's first and last lines do not extrapolate sideways: the window's missing west/east
        // column repeats the focus column (jmin = j, jmax = j), so corners get a one-sided gradient.
        r[0] = row_cell(left ? x : x - 1, dy);
        r[2] = row_cell(right ? x : x + 1, dy);
      } else {
        r[0] = left ? 2 * r[1] - at(x + 1, y + dy) : at(x - 1, y + dy);
        r[2] = right ? 2 * r[1] - at(x - 1, y + dy) : at(x + 1, y + dy);
      }
    }
  }
  for (int k = 0; k < 9; ++k)
    if (std::isnan(w[k])) w[k] = focus;
  return true;
}

// Runs op(dz/dx, dz/dy, z) over the window's interior. The cells whose 3x3 lies inside the layer take a
// fast path that only checks for NaN once (any NaN among the cells used makes the gradient NaN); edge
// cells and windows touching NoData go through fill_window.
template <GradientMethod M, class Op>
void run(const SurfaceGrid& in, const Gradient& g, std::span<double> out, Op op) {
  check(in, g, out);
  const double divisor = M == GradientMethod::Horn ? 8 : 2;
  const double inv_w = 1 / (divisor * g.cell_width), inv_h = 1 / (divisor * g.cell_height);
  const int cols = in.cols;
  const int fast_x0 = std::clamp(in.x0 + 1, 1, cols - 1);
  const int fast_x1 = std::clamp(in.x1 - 1, fast_x0, cols - 1);
  for (int y = 1; y < in.rows - 1; ++y) {
    const double z = g.z_factor[y - 1];
    const double* n = in.cells + static_cast<std::size_t>(y - 1) * cols;
    const double* c = n + cols;
    const double* s = c + cols;
    double* o = out.data() + static_cast<std::size_t>(y - 1) * (cols - 2) - 1;  // o[x] for window column x
    const auto slow = [&](int x) {
      double w[9], dx, dy;
      if (!fill_window(in, g.edges, x, y, w)) {
        o[x] = kNaN;
        return;
      }
      gradient<M>(w, w + 3, w + 6, inv_w, inv_h, dx, dy);
      o[x] = op(dx, dy, z);
    };
    const bool rows_inside = y - 1 >= in.y0 && y + 1 < in.y1;
    const int a = rows_inside ? fast_x0 : cols - 1, b = rows_inside ? fast_x1 : cols - 1;
    for (int x = 1; x < a; ++x) slow(x);
    for (int x = a; x < b; ++x) {
      double dx, dy;
      gradient<M>(n + x - 1, c + x - 1, s + x - 1, inv_w, inv_h, dx, dy);
      if (std::isnan(dx + dy + c[x])) [[unlikely]]
        slow(x);
      else
        o[x] = op(dx, dy, z);
    }
    for (int x = b; x < cols - 1; ++x) slow(x);
  }
}

template <class Op>
void dispatch(const SurfaceGrid& in, const Gradient& g, std::span<double> out, Op op) {
  if (g.method == GradientMethod::Horn)
    run<GradientMethod::Horn>(in, g, out, op);
  else
    run<GradientMethod::ZevenbergenThorne>(in, g, out, op);
}

}  // namespace

void slope(const SurfaceGrid& in, const Gradient& g, std::span<double> out) {
  dispatch(in, g, out, [](double dx, double dy, double z) {
    return kDegrees * std::atan(z * std::sqrt(dx * dx + dy * dy));
  });
}

void aspect(const SurfaceGrid& in, const Gradient& g, AspectConvention convention, std::span<double> out) {
  if (convention == AspectConvention::GeoTrellis12) {
    // SurfacePoint.aspect in GeoTrellis 1.2: exactly flat is NaN; wrapped to [0, 2 pi).
    dispatch(in, g, out, [](double dx, double dy, double) {
      if (dx == 0 && dy == 0) return kNaN;
      double a = std::atan2(dy, -dx);
      if (a < 0) a += 2 * std::numbers::pi;
      const double d = kDegrees * a;
      return d >= 360 ? 0.0 : d;  // a just below 2 pi may round to 360
    });
  } else {
    // SurfacePoint.aspectAzimuth (GeoTrellis 3): the 1e-10 flat tolerance and the snap of 360 to 0.
    dispatch(in, g, out, [](double dx, double dy, double) {
      if (std::abs(dx) <= 1e-10 && std::abs(dy) <= 1e-10) return -1.0;
      double a = kDegrees * (std::atan2(dy, dx) - std::numbers::pi / 2);
      if (a < 0) a += 360;
      return std::abs(a - 360) <= 1e-10 ? 0.0 : a;
    });
  }
}

void hillshade(const SurfaceGrid& in, const Gradient& g, double azimuth, double altitude,
               HillshadeScale scale, std::span<double> out) {
  // Both sources reduce to cos(incidence) = (sin alt + cos alt (q cos az - p sin az)) / sqrt(1 + p^2 + q^2)
  // with p, q the z-scaled gradient (rows southward). The constants are formed as each source forms them
  // (GeoTrellis from zenith and the math angle 90 - azimuth), so that values on a rounding boundary agree.
  const bool gt = scale == HillshadeScale::GeoTrellis;
  const double zenith = kRadians * (90 - altitude), math_az = kRadians * (90 - azimuth);
  const double sin_alt = gt ? std::cos(zenith) : std::sin(kRadians * altitude);
  const double cos_alt = gt ? std::sin(zenith) : std::cos(kRadians * altitude);
  const double sin_az = gt ? std::cos(math_az) : std::sin(kRadians * azimuth);
  const double cos_az = gt ? std::sin(math_az) : std::cos(kRadians * azimuth);
  const double k_az = cos_alt * cos_az, k_az_x = cos_alt * sin_az;
  const auto cang = [=](double dx, double dy, double z) {
    const double p = z * dx, q = z * dy;
    return (sin_alt + q * k_az - p * k_az_x) / std::sqrt(1 + p * p + q * q);
  };
  // The roundings below work on the integer part (0 <= value < 256) rather than calling std::round or
  // std::floor, which GCC does not inline without SSE4.1 (they took 40% of the time).
  if (gt) {
    dispatch(in, g, out, [=](double dx, double dy, double z) {
      const double v = 127.0 * cang(dx, dy, z);
      if (!(v > 0)) return std::isnan(v) ? kNaN : 0.0;
      const double i = static_cast<double>(static_cast<int>(v));
      return i + static_cast<double>(v - i >= 0.5);  // Math.round (half up), without a branch
    });
  } else {
    // gdaldem: 1 + 254 cang (1 when cang <= 0) as a float, written to its Byte band rounded (+ 0.5,
    // truncated).
    dispatch(in, g, out, [=](double dx, double dy, double z) {
      const double c = 254.0 * cang(dx, dy, z);
      if (!(c > 0)) return std::isnan(c) ? kNaN : 1.0;
      const float v = static_cast<float>(1.0 + c);
      return std::min(255.0, static_cast<double>(static_cast<int>(static_cast<double>(v) + 0.5)));
    });
  }
}

double lat_lng_z_factor(double latitude, ZUnit unit) {
  // ZFactor.LAT_LNG_METERS_AT_EQUATOR and LAT_LNG_FEET_AT_EQUATOR (GeoTrellis 3.x).
  const double per_degree = unit == ZUnit::Meters ? 111320.0 : 365217.6;
  return 1 / (per_degree * std::cos(kRadians * latitude));
}

}  // namespace trellis::focal
