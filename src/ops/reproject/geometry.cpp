#include "ops/reproject/geometry.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace trellis::ops {

std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

long lfloor(double v) {
  if (std::isnan(v)) return 0;
  constexpr double kLim = 4.0e18;
  return static_cast<long>(std::floor(std::clamp(v, -kLim, kLim)));
}

void sample_extent(const Extent& e, int edge, int inner, std::vector<double>& xs, std::vector<double>& ys) {
  xs.clear();
  ys.clear();
  for (int i = 0; i <= edge; ++i) {
    double t = static_cast<double>(i) / edge;
    double x = e.xmin + t * e.width(), y = e.ymin + t * e.height();
    xs.insert(xs.end(), {x, x, e.xmin, e.xmax});
    ys.insert(ys.end(), {e.ymin, e.ymax, y, y});
  }
  for (int i = 1; i <= inner; ++i)
    for (int j = 1; j <= inner; ++j) {
      xs.push_back(e.xmin + e.width() * i / (inner + 1));
      ys.push_back(e.ymin + e.height() * j / (inner + 1));
    }
}

std::optional<Extent> points_envelope(const std::vector<double>& xs, const std::vector<double>& ys,
                                      double period) {
  const double inf = std::numeric_limits<double>::infinity();
  Extent raw{inf, inf, -inf, -inf};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    raw.xmin = std::min(raw.xmin, xs[i]);
    raw.xmax = std::max(raw.xmax, xs[i]);
    raw.ymin = std::min(raw.ymin, ys[i]);
    raw.ymax = std::max(raw.ymax, ys[i]);
  }
  if (!(raw.xmin <= raw.xmax)) return std::nullopt;
  if (period > 0 && raw.width() > 0) {
    const double mid = raw.center_x();
    Extent shifted{inf, raw.ymin, -inf, raw.ymax};
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
      double x = xs[i] < mid ? xs[i] + period : xs[i];
      shifted.xmin = std::min(shifted.xmin, x);
      shifted.xmax = std::max(shifted.xmax, x);
    }
    // Only a compact footprint is unwrapped: points sampled all around the world have a gap somewhere too.
    if (shifted.width() < raw.width() && shifted.width() < 0.5 * period) return shifted;
  }
  return raw;
}

GridExtent window_grid(const LayoutDefinition& L, long c0, long r0, long c1, long r1) {
  CellSize cs = L.cell_size();
  return GridExtent{{L.extent.xmin + static_cast<double>(c0) * cs.width,
                     L.extent.ymax - static_cast<double>(r1) * cs.height,
                     L.extent.xmin + static_cast<double>(c1) * cs.width,
                     L.extent.ymax - static_cast<double>(r0) * cs.height},
                    c1 - c0,
                    r1 - r0};
}

double kernel_radius(io::ResampleMethod m) {
  switch (m) {
    case io::ResampleMethod::CubicConvolution:
    case io::ResampleMethod::CubicSpline:
      return 2;
    case io::ResampleMethod::Lanczos:
      return 3;
    default:
      return 1;
  }
}

}  // namespace trellis::ops
