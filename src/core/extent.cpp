#include "core/extent.hpp"

#include <limits>

#include "core/cell_type.hpp"

namespace trellis {

std::string Extent::to_string() const {
  return "Extent(" + java_double_to_string(xmin) + ", " + java_double_to_string(ymin) + ", " +
         java_double_to_string(xmax) + ", " + java_double_to_string(ymax) + ")";
}

namespace {
// Like GeoTrellis: floorWithTolerance(double).toInt (JVM d2i saturates, NaN -> 0).
long floor_to_long(double v) {
  if (std::isnan(v)) return 0;
  double r = std::round(v);
  double f = std::fabs(v - r) < kGridEpsilon ? r : std::floor(v);
  if (f >= static_cast<double>(std::numeric_limits<long>::max())) return std::numeric_limits<long>::max();
  if (f <= static_cast<double>(std::numeric_limits<long>::min())) return std::numeric_limits<long>::min();
  return static_cast<long>(f);
}
}  // namespace

long GridExtent::map_to_col(double x) const {
  return floor_to_long((x - extent.xmin) / cell_width());
}

long GridExtent::map_to_row(double y) const {
  return floor_to_long((extent.ymax - y) / cell_height());
}

}  // namespace trellis
