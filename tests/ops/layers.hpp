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

}  // namespace trellis::test
