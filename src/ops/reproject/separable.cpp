#include "ops/reproject/separable.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace trellis::ops {

namespace {

constexpr double kSeparableTolerance = 1e-6;  // source cells
constexpr double kMaxStep = 0.9;              // source cells between neighbouring centres

// Source pixel coordinates of destination points (x, y) in place; false when any is not finite.
bool to_pixels(const Transform& to_src, const GridExtent& src, std::vector<double>& xs,
               std::vector<double>& ys) {
  to_src.apply(xs, ys);
  const double cw = src.cell_width(), ch = src.cell_height();
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) return false;
    xs[i] = (xs[i] - src.extent.xmin) / cw;
    ys[i] = (src.extent.ymax - ys[i]) / ch;
  }
  return true;
}

bool small_steps(const std::vector<double>& v) {
  for (std::size_t i = 1; i < v.size(); ++i)
    if (!(std::fabs(v[i] - v[i - 1]) < kMaxStep)) return false;
  return true;
}

// Per destination column: the source column west of the centre (GDAL's iSrcX), its weight (dfRatioX),
// and whether the centre lies inside the source (GDAL skips a cell whose centre does not). The same
// for every band of a tile.
struct Columns {
  std::vector<int> ix;
  std::vector<double> rx;
  std::vector<char> inside;
  Columns(const std::vector<double>& sx, int w) : ix(sx.size()), rx(sx.size()), inside(sx.size()) {
    for (std::size_t i = 0; i < sx.size(); ++i) {
      const double x = sx[i];
      inside[i] = x >= 0 && static_cast<int>(x + 1e-10) < w;
      ix[i] = static_cast<int>(std::floor(x - 0.5));
      rx[i] = 1.5 - (x - ix[i]);
    }
  }
};

// One band. `masked`: the source holds NoData somewhere (any band), and GDAL takes its masked kernel,
// whose sums run in another order than its unmasked one; the two are mirrored so that the cells match
// GDAL's to the last bit.
template <class T>
void resample_band(const T* s, int w, int h, const SeparableMap& map, const Columns& cols_of,
                   const NoDataTest<T>& nodata, bool masked, T* out) {
  const int cols = static_cast<int>(map.sx.size()), rows = static_cast<int>(map.sy.size());
  for (int j = 0; j < rows; ++j) {
    const double y = map.sy[static_cast<std::size_t>(j)];
    T* o = out + static_cast<std::size_t>(j) * cols;
    if (!(y >= 0 && static_cast<int>(y + 1e-10) < h)) continue;
    const int j0 = static_cast<int>(std::floor(y - 0.5));
    const double ry = 1.5 - (y - j0);
    const bool rows_in = j0 >= 0 && j0 + 1 < h;
    for (int i = 0; i < cols; ++i) {
      if (!cols_of.inside[static_cast<std::size_t>(i)]) continue;
      const int i0 = cols_of.ix[static_cast<std::size_t>(i)];
      const double fx = cols_of.rx[static_cast<std::size_t>(i)];
      if (!masked && rows_in && i0 >= 0 && i0 + 1 < w) {
        // GDAL's unmasked interior formula.
        const T* a = s + static_cast<std::size_t>(j0) * w + i0;
        const T* b = a + w;
        const double v = (a[0] * fx + a[1] * (1.0 - fx)) * ry + (b[0] * fx + b[1] * (1.0 - fx)) * (1.0 - ry);
        o[i] = static_cast<T>(v);
        continue;
      }
      // Masked, or at an edge: each of the four cells inside the source (and valid) adds its weight.
      double sum = 0, weight = 0;
      auto add = [&](int c, int r, double m) {
        if (c < 0 || c >= w || r < 0 || r >= h) return;
        const T v = s[static_cast<std::size_t>(r) * w + c];
        if (masked && nodata(v)) return;
        weight += m;
        sum += v * m;
      };
      if (masked) {
        // GDAL's masked kernel moves a sample point west of the first column (or north of the first
        // row) onto it, with full weight.
        int c0 = i0, r0 = j0;
        double wx = fx, wy = ry;
        if (c0 == -1) c0 = 0, wx = 1;
        if (r0 == -1) r0 = 0, wy = 1;
        add(c0, r0, wx * wy);
        add(c0 + 1, r0, (1.0 - wx) * wy);
        add(c0, r0 + 1, wx * (1.0 - wy));
        add(c0 + 1, r0 + 1, (1.0 - wx) * (1.0 - wy));
      } else {
        add(i0, j0, fx * ry);
        add(i0 + 1, j0, (1.0 - fx) * ry);
        add(i0 + 1, j0 + 1, (1.0 - fx) * (1.0 - ry));
        add(i0, j0 + 1, fx * (1.0 - ry));
      }
      if (weight < 0.00001) continue;
      o[i] = static_cast<T>(weight == 1.0 ? sum : sum / weight);
    }
  }
}

}  // namespace

std::optional<SeparableMap> separable_map(const Transform& to_src, const GridExtent& dst,
                                          const GridExtent& src) {
  if (dst.cols <= 0 || dst.rows <= 0 || src.cols <= 0 || src.rows <= 0) return std::nullopt;
  const double cw = dst.cell_width(), ch = dst.cell_height();
  auto cx = [&](double i) { return dst.extent.xmin + (i + 0.5) * cw; };
  auto cy = [&](double j) { return dst.extent.ymax - (j + 0.5) * ch; };
  const long mid_c = dst.cols / 2, mid_r = dst.rows / 2;
  SeparableMap map;
  std::vector<double> xs, ys;
  for (long i = 0; i < dst.cols; ++i)
    xs.push_back(cx(static_cast<double>(i))), ys.push_back(cy(static_cast<double>(mid_r)));
  if (!to_pixels(to_src, src, xs, ys)) return std::nullopt;
  map.sx = xs;
  xs.clear(), ys.clear();
  for (long j = 0; j < dst.rows; ++j)
    xs.push_back(cx(static_cast<double>(mid_c))), ys.push_back(cy(static_cast<double>(j)));
  if (!to_pixels(to_src, src, xs, ys)) return std::nullopt;
  map.sy = ys;
  if (!small_steps(map.sx) || !small_steps(map.sy)) return std::nullopt;
  // Separable: the corners and the centre land where their column and row say.
  const long cs[] = {0, dst.cols - 1, 0, dst.cols - 1, mid_c},
             rs[] = {0, 0, dst.rows - 1, dst.rows - 1, mid_r};
  xs.clear(), ys.clear();
  for (int k = 0; k < 5; ++k)
    xs.push_back(cx(static_cast<double>(cs[k]))), ys.push_back(cy(static_cast<double>(rs[k])));
  if (!to_pixels(to_src, src, xs, ys)) return std::nullopt;
  for (int k = 0; k < 5; ++k)
    if (std::fabs(xs[k] - map.sx[static_cast<std::size_t>(cs[k])]) > kSeparableTolerance ||
        std::fabs(ys[k] - map.sy[static_cast<std::size_t>(rs[k])]) > kSeparableTolerance)
      return std::nullopt;
  return map;
}

bool bilinear_natively(io::ResampleMethod m, const CellType& ct) {
  return m == io::ResampleMethod::Bilinear && ct.is_float();
}

Tile bilinear_separable(const Tile& src, const SeparableMap& map) {
  const CellType& ct = src.cell_type();
  Tile out(ct, static_cast<int>(map.sx.size()), static_cast<int>(map.sy.size()), src.bands());
  dispatch_kind(ct.kind, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_floating_point_v<T>) {
      const NoDataTest<T> nodata(ct);
      const std::size_t n = src.cells() * static_cast<std::size_t>(src.bands());
      const T* all = src.band_as<T>(0);
      const bool masked = std::any_of(all, all + n, nodata);
      const Columns columns(map.sx, src.cols());
      for (int b = 0; b < src.bands(); ++b)
        resample_band<T>(src.band_as<T>(b), src.cols(), src.rows(), map, columns, nodata, masked,
                         out.band_as<T>(b));
    }
  });
  return out;
}

}  // namespace trellis::ops
