#include "core/neighbourhood.hpp"

#include <cmath>
#include <cstdlib>

namespace trellis {

int Neighbourhood::reach() const {
  switch (shape) {
    case NeighbourhoodShape::Square:
    case NeighbourhoodShape::Nesw:
      return extent;
    case NeighbourhoodShape::Circle:
    case NeighbourhoodShape::Wedge:
      return static_cast<int>(std::ceil(radius));
    case NeighbourhoodShape::Annulus:
      return static_cast<int>(std::ceil(outer));
  }
  return 0;
}

bool Neighbourhood::includes(int dx, int dy) const {
  const double d = std::sqrt(static_cast<double>(dx) * dx + static_cast<double>(dy) * dy);
  switch (shape) {
    case NeighbourhoodShape::Square:
      return std::abs(dx) <= extent && std::abs(dy) <= extent;
    case NeighbourhoodShape::Nesw:
      return (dx == 0 && std::abs(dy) <= extent) || (dy == 0 && std::abs(dx) <= extent);
    case NeighbourhoodShape::Circle:
      return d <= radius;
    case NeighbourhoodShape::Annulus:
      return d >= inner && d <= outer;
    case NeighbourhoodShape::Wedge: {
      if (dx == 0 && dy == 0) return true;  // the focus always takes part
      if (d > radius) return false;
      double a =
          std::atan2(-static_cast<double>(dy), static_cast<double>(dx)) * 180.0 / 3.14159265358979323846;
      if (a < 0) a += 360;
      return start_angle <= end_angle ? (a >= start_angle && a <= end_angle)
                                      : (a >= start_angle || a <= end_angle);
    }
  }
  return false;
}

std::vector<std::uint8_t> Neighbourhood::mask() const {
  const int r = reach();
  std::vector<std::uint8_t> m;
  m.reserve(static_cast<std::size_t>(2 * r + 1) * static_cast<std::size_t>(2 * r + 1));
  for (int dy = -r; dy <= r; ++dy)
    for (int dx = -r; dx <= r; ++dx) m.push_back(includes(dx, dy) ? 1 : 0);
  return m;
}

}  // namespace trellis
