#pragma once
// Burning geometries onto the tiles of a layout, GeoTrellis' Rasterizer rules (semantics.md,
// "Rasterize"), shared by rasterize and mask.
//
// - Polygons, PixelIsPoint (default): a cell is burnt iff its centre is inside. A tile inside the polygon
//   is burnt whole; a tile its boundary crosses gets the polygon clipped to the tile (GEOS) and its cell
//   centres burnt by GDAL's scanline rasterizer (io::burn_cell_centres, with the tie rules there).
// - Polygons, PixelIsArea: cells meeting the interior (include_partial) or entirely inside (GEOS).
// - Lines: Bresenham between the cells of consecutive vertices, 8-connected or 4-connected, in the
//   layout's grid (so a line crosses tile edges as it would cross one raster); shared vertices are
//   visited once.
// - Points: the cell holding the point (floor; a point on a cell corner belongs to the cell to its
//   lower right).
// Every rule works in the whole layout's grid: the cells a geometry burns do not depend on the tiling.
#include <cstdint>
#include <vector>

#include "core/enum_names.hpp"
#include "core/extent.hpp"
#include "core/key.hpp"
#include "core/layout.hpp"
#include "io/geos.hpp"
#include "io/vector.hpp"
#include "job/progress.hpp"

namespace trellis::ops {

enum class SampleType { PixelIsPoint, PixelIsArea };
inline constexpr EnumName<SampleType> kSampleTypeNames[] = {{SampleType::PixelIsPoint, "pixel_is_point"},
                                                            {SampleType::PixelIsArea, "pixel_is_area"}};
inline std::span<const EnumName<SampleType>> enum_names(SampleType) {
  return kSampleTypeNames;
}

struct BurnOptions {
  SampleType sample = SampleType::PixelIsPoint;
  bool include_partial = true;  // PixelIsArea only
  bool four_connected = false;  // lines
};

// One geometry, taken apart, with the envelope of all its parts.
struct BurnShape {
  io::GeometryParts parts;
  Extent envelope;
};

// The keys of `L` whose tiles a shape may burn: its envelope's, clipped to the layout (a point or line
// on a tile's east or south edge burns the next tile: the bounds reach one key further there).
GridBounds shape_keys(const LayoutDefinition& L, const BurnShape& s);

// The cells of one tile a shape burns: the whole tile, or runs of cells [c0, c1) of a row.
struct BurntCells {
  struct Run {
    std::int32_t row = 0, c0 = 0, c1 = 0;
  };
  bool meets = false;  // a polygon's interior meets the tile, or a line or point burns one of its cells
  bool whole = false;  // every cell
  std::vector<Run> runs;

  // Calls f(row, c0, c1) for each run of burnt cells of a tile `cols` x `rows`, in row-major order.
  template <class F>
  void for_each_run(long cols, long rows, F&& f) const {
    if (whole) {
      for (long r = 0; r < rows; ++r) f(r, 0L, cols);
      return;
    }
    for (const Run& r : runs) f(static_cast<long>(r.row), static_cast<long>(r.c0), static_cast<long>(r.c1));
  }
};

// Burns shapes onto tiles of one layout. Not thread-safe: one per thread (it owns a GEOS context, which
// keeps the last polygon loaded: burn a shape's tiles one after the other).
class TileBurner {
 public:
  TileBurner(const LayoutDefinition& L, const BurnOptions& o);

  // The cells of tile (col, row) that shape `s` (number `index`: GEOS' cache key) burns. Deterministic.
  // Throws IoError when GEOS or GDAL fail.
  BurntCells burn(std::size_t index, const BurnShape& s, long col, long row);

 private:
  // Returns true when a polygon covers the whole tile.
  bool burn_polygons(std::size_t index, const BurnShape& s, const GridExtent& tile, bool& meets,
                     std::vector<std::uint8_t>& mask);
  void clear_window(long cols, long c0, long r0, long c1, long r1);
  void burn_line(const std::vector<io::Point2>& line, long col0, long row0, bool& meets,
                 std::vector<std::uint8_t>& mask) const;

  LayoutDefinition layout_;
  GridExtent grid_;  // the whole layout as one grid
  BurnOptions opt_;
  io::PolygonClipper geos_;
  std::vector<std::uint8_t> mask_;  // the tile's burnt cells (all zero between calls)
  std::vector<std::uint8_t> part_;  // pixel_is_area: one polygon's cells, before they join the mask
};

// The burns of one tile: the shapes whose envelope reaches it, in burn order, with their cells.
struct TileBurns {
  SpaceTimeKey key;
  std::vector<std::pair<std::size_t, BurntCells>> burns;  // (shape index, cells)
  bool meets() const {
    for (const auto& b : burns)
      if (b.second.meets) return true;
    return false;
  }
};

// Burns the shapes `order` (indexes into `shapes`, in burn order) on the tiles `keys` (sorted, unique)
// of layout L: one TileBurns per key some shape's envelope reaches, sorted by key. The (shape, tile)
// pairs run in parallel (OpenMP), shape by shape so that each thread keeps its polygon prepared across
// a shape's tiles; `progress` counts them. Not collective; deterministic.
// Throws what TileBurner::burn throws.
std::vector<TileBurns> burn_tiles(const LayoutDefinition& L, const BurnOptions& o,
                                  const std::vector<BurnShape>& shapes, const std::vector<std::size_t>& order,
                                  const std::vector<SpaceTimeKey>& keys, job::Progress& progress);

}  // namespace trellis::ops
