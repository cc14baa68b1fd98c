#pragma once
// Polygons against tile rectangles, with GEOS (its reentrant C API): is a tile disjoint from a polygon,
// inside it, or crossed by its boundary, and the polygon clipped to the tile. One PolygonClipper per
// thread (each owns a GEOS context).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/extent.hpp"

namespace trellis::io {

class PolygonClipper {
 public:
  enum class Relation { Disjoint, Inside, Partial };

  PolygonClipper();
  ~PolygonClipper();
  PolygonClipper(const PolygonClipper&) = delete;
  PolygonClipper& operator=(const PolygonClipper&) = delete;

  // Makes feature `f` (its WKB) the current geometry (a no-op when it already is). Throws IoError when
  // GEOS cannot read it. An invalid polygon (self-intersecting ring, overlapping parts) gets no GEOS
  // predicate or clipping, whose results would be undefined: every tile it meets is Partial and clip()
  // gives the whole polygon (GDAL's rasterizer then applies its even-odd rule, as gdal_rasterize does).
  void load(std::size_t f, const std::vector<unsigned char>& wkb);
  // How the current geometry meets the rectangle `e` (Partial when GEOS cannot tell).
  Relation relate(const Extent& e);
  // The polygons of (current geometry ∩ e) as WKB; the whole geometry's polygons when it is invalid or
  // GEOS cannot clip it. Points and lines left by clipping are dropped (they hold no cell centre).
  std::vector<std::vector<unsigned char>> clip(const Extent& e);
  // Whether the current geometry's interior meets the rectangle `e` (not only its boundary): a tile that
  // merely touches a polygon holds none of it.
  bool interior_meets(const Extent& e);
  // GeoTrellis' PixelIsArea rule on `grid`: mask[row * cols + col] = 1 where cell (col, row) meets the
  // current geometry's interior (`partial`) or lies entirely inside it (its boundary included), else 0.
  // One GEOS predicate per cell of the geometry's envelope. Throws IoError on a GEOS failure.
  void burn_cell_areas(const GridExtent& grid, bool partial, std::vector<std::uint8_t>& mask);

 private:
  class Impl;
  Impl* impl_;
};

}  // namespace trellis::io
