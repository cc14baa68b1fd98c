#pragma once
#include <algorithm>
#include <cmath>
#include <string>

namespace trellis {

struct Extent {
  double xmin = 0, ymin = 0, xmax = 0, ymax = 0;

  double width() const { return xmax - xmin; }
  double height() const { return ymax - ymin; }
  bool empty() const { return !(xmax > xmin && ymax > ymin); }
  bool intersects(const Extent& o) const {
    return xmin < o.xmax && o.xmin < xmax && ymin < o.ymax && o.ymin < ymax;
  }
  bool contains(const Extent& o) const {
    return o.xmin >= xmin && o.xmax <= xmax && o.ymin >= ymin && o.ymax <= ymax;
  }
  bool contains_point(double x, double y) const { return x >= xmin && x <= xmax && y >= ymin && y <= ymax; }
  Extent intersection(const Extent& o) const {
    return {std::max(xmin, o.xmin), std::max(ymin, o.ymin), std::min(xmax, o.xmax), std::min(ymax, o.ymax)};
  }
  Extent combine(const Extent& o) const {
    return {std::min(xmin, o.xmin), std::min(ymin, o.ymin), std::max(xmax, o.xmax), std::max(ymax, o.ymax)};
  }
  double center_x() const { return (xmin + xmax) / 2; }
  double center_y() const { return (ymin + ymax) / 2; }
  bool operator==(const Extent& o) const = default;
  std::string to_string() const;
};

struct CellSize {
  double width = 0, height = 0;
  bool operator==(const CellSize& o) const = default;
};

// A regular grid over an extent: cols x rows cells, row 0 at the north (GeoTrellis RasterExtent /
// GridExtent).
struct GridExtent {
  Extent extent;
  long cols = 0, rows = 0;

  double cell_width() const { return extent.width() / static_cast<double>(cols); }
  double cell_height() const { return extent.height() / static_cast<double>(rows); }
  CellSize cell_size() const { return {cell_width(), cell_height()}; }
  // Map coordinates of the centre of cell (col, row).
  double grid_to_map_x(long col) const {
    return extent.xmin + (static_cast<double>(col) + 0.5) * cell_width();
  }
  double grid_to_map_y(long row) const {
    return extent.ymax - (static_cast<double>(row) + 0.5) * cell_height();
  }
  // GeoTrellis mapToGrid: floor with a 1e-7 tolerance toward the nearest integer.
  long map_to_col(double x) const;
  long map_to_row(double y) const;
  bool operator==(const GridExtent& o) const = default;
};

// GeoTrellis GridExtent.epsilon: a grid coordinate within this of an integer snaps to it.
inline constexpr double kGridEpsilon = 0.0000001;
inline long floor_with_tolerance(double v) {
  double r = std::round(v);
  if (std::fabs(v - r) < kGridEpsilon) return static_cast<long>(r);
  return static_cast<long>(std::floor(v));
}

}  // namespace trellis
