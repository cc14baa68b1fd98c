#pragma once
// In-memory layers for the ops tests.
#include <vector>

#include "core/crs.hpp"
#include "layer/layer.hpp"
#include "mpi/partition.hpp"
#include "mpi/runtime.hpp"

namespace trellis::test {

// A layer of one cols x rows tile of `bands` bands at key (0, 0) (`cells`: band after band, row-major;
// NaN for NoData), over `extent` in EPSG `epsg`.
inline TiledLayer single_tile_layer(const CellType& ct, int cols, int rows, const std::vector<double>& cells,
                                    int bands = 1, const Extent& extent = {0, 0, 33, 33}, int epsg = 4326) {
  mpi::Runtime::init(nullptr, nullptr);
  TiledLayer l;
  l.md.cell_type = ct;
  l.md.bands = bands;
  l.md.layout = {extent, {1, 1, cols, rows}};
  l.md.extent = l.md.layout.extent;
  l.md.bounds = {{0, 0, 0}, {0, 0, 0}};
  l.md.crs = Crs::from_epsg(epsg);
  l.partitioner = mpi::balance({{0, 0, 0}}, IndexKind::ZOrder, l.md.bounds);
  Tile t(ct, cols, rows, bands);
  const std::size_t per = static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows);
  for (std::size_t i = 0; i < cells.size(); ++i)
    t.set(static_cast<int>(i / per), static_cast<int>(i % per % static_cast<std::size_t>(cols)),
          static_cast<int>(i % per / static_cast<std::size_t>(cols)), cells[i]);
  l.tiles.emplace(SpaceTimeKey{0, 0, 0}, std::move(t));
  return l;
}

// A layer over `extent` cut by `tl` from one raster of tl.total_cols() x tl.total_rows() cells (`cells`:
// band after band, row-major; NaN for NoData), every tile present, in EPSG `epsg`.
inline TiledLayer grid_layer(const CellType& ct, const Extent& extent, const TileLayout& tl,
                             const std::vector<double>& cells, int bands = 1, int epsg = 4326) {
  mpi::Runtime::init(nullptr, nullptr);
  TiledLayer l;
  l.md.cell_type = ct;
  l.md.bands = bands;
  l.md.layout = {extent, tl};
  l.md.extent = extent;
  l.md.bounds = {
      {0, 0, 0},
      {static_cast<std::int32_t>(tl.layout_cols - 1), static_cast<std::int32_t>(tl.layout_rows - 1), 0}};
  l.md.crs = Crs::from_epsg(epsg);
  std::vector<SpaceTimeKey> keys;
  const long W = tl.total_cols(), H = tl.total_rows();
  for (long kr = 0; kr < tl.layout_rows; ++kr)
    for (long kc = 0; kc < tl.layout_cols; ++kc) {
      Tile t(ct, tl.tile_cols, tl.tile_rows, bands);
      for (int b = 0; b < bands; ++b)
        for (int r = 0; r < tl.tile_rows; ++r)
          for (int c = 0; c < tl.tile_cols; ++c)
            t.set(b, c, r,
                  cells[static_cast<std::size_t>(b * W * H + (kr * tl.tile_rows + r) * W + kc * tl.tile_cols +
                                                 c)]);
      const SpaceTimeKey k{static_cast<std::int32_t>(kc), static_cast<std::int32_t>(kr), 0};
      keys.push_back(k);
      l.tiles.emplace(k, std::move(t));
    }
  l.partitioner = mpi::balance(keys, IndexKind::ZOrder, l.md.bounds);
  return l;
}

}  // namespace trellis::test
