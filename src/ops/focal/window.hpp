#pragma once
// What the focal and surface ops share: a buffered tile's band as a window of doubles, and the memory
// their halo exchange holds.
#include <cstdint>
#include <vector>

#include "core/key.hpp"
#include "core/metadata.hpp"
#include "core/tile.hpp"
#include "job/plan.hpp"
#include "mpi/halo.hpp"

namespace trellis::ops {

// Band `band` of `buffered` (the tile of `key` with `r` cells of its neighbours on every side, from
// mpi::buffer_tiles) as doubles, row-major; NaN for NoData and for every cell outside the layer's data
// window `data` (data_window(md): the padding of edge tiles and the cells beyond the layout are never
// data, whatever the cell type). [x0, x1) x [y0, y1) is the part of the window inside `data`.
struct Window {
  std::vector<double> cells;
  int cols = 0, rows = 0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};
// Deterministic, thread-safe. Throws std::logic_error when `buffered` is not the layout's tile size
// plus 2r.
Window buffered_window(const Tile& buffered, int band, int r, const LayerMetadata& md, const CellWindow& data,
                       const SpaceTimeKey& key);

// The shape of a focal step's value: its input's keys (with HaloKeys::Neighbours, also the keys within
// reach of them) and layout in `cell_type`, plus the working memory of the halo exchange on the busiest
// rank (every tile held again with r cells of its neighbours, and the exchange's rounds).
// Not collective; deterministic.
job::Shape focal_shape(const job::Shape& in, const CellType& cell_type, int r, std::int64_t round_mb,
                       int ranks, mpi::HaloKeys keys = mpi::HaloKeys::Existing);

}  // namespace trellis::ops
