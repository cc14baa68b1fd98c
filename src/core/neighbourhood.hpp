#pragma once
// Focal neighbourhoods (GeoTrellis' Square, Circle, Nesw, Wedge, Annulus; semantics.md): which cells
// around a focus cell take part, as offsets (dx right, dy down) within `reach()` of the focus.
#include <cstdint>
#include <span>
#include <vector>

#include "core/enum_names.hpp"

namespace trellis {

enum class NeighbourhoodShape { Square, Circle, Nesw, Wedge, Annulus };
inline constexpr EnumName<NeighbourhoodShape> kNeighbourhoodShapes[] = {
    {NeighbourhoodShape::Square, "square"},
    {NeighbourhoodShape::Circle, "circle"},
    {NeighbourhoodShape::Nesw, "nesw"},
    {NeighbourhoodShape::Wedge, "wedge"},
    {NeighbourhoodShape::Annulus, "annulus"}};
inline std::span<const EnumName<NeighbourhoodShape>> enum_names(NeighbourhoodShape) {
  return kNeighbourhoodShapes;
}

struct Neighbourhood {
  NeighbourhoodShape shape = NeighbourhoodShape::Square;
  int extent = 1;                         // Square, Nesw: cells on each side of the focus
  double radius = 0;                      // Circle, Wedge
  double start_angle = 0, end_angle = 0;  // Wedge: degrees counter-clockwise from east (y up)
  double inner = 0, outer = 0;            // Annulus radii

  // Cells from the focus to the farthest cell that can take part (the halo a focal op needs).
  int reach() const;
  // Whether the cell at (dx, dy) from the focus takes part. Deterministic.
  bool includes(int dx, int dy) const;
  // includes() over the (2 reach + 1)^2 square, row by row from dy = -reach: 1 or 0.
  std::vector<std::uint8_t> mask() const;
  bool operator==(const Neighbourhood&) const = default;
};

}  // namespace trellis
