#include "ops/focal/window.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace trellis::ops {

Window buffered_window(const Tile& buffered, int band, int r, const LayerMetadata& md, const CellWindow& data,
                       const SpaceTimeKey& key) {
  const TileLayout& tl = md.layout.tile_layout;
  if (buffered.cols() != tl.tile_cols + 2 * r || buffered.rows() != tl.tile_rows + 2 * r)
    throw std::logic_error("buffered_window: the tile is not the layout's size plus the halo");
  Window w;
  w.cols = buffered.cols();
  w.rows = buffered.rows();
  // The window's first cell in the layout's grid, and the data window in the window's cells.
  const long gc = static_cast<long>(key.col) * tl.tile_cols - r,
             gr = static_cast<long>(key.row) * tl.tile_rows - r;
  w.x0 = static_cast<int>(std::clamp(data.c0 - gc, 0L, static_cast<long>(w.cols)));
  w.x1 = static_cast<int>(std::clamp(data.c1 - gc, static_cast<long>(w.x0), static_cast<long>(w.cols)));
  w.y0 = static_cast<int>(std::clamp(data.r0 - gr, 0L, static_cast<long>(w.rows)));
  w.y1 = static_cast<int>(std::clamp(data.r1 - gr, static_cast<long>(w.y0), static_cast<long>(w.rows)));
  w.cells.assign(static_cast<std::size_t>(w.cols) * static_cast<std::size_t>(w.rows),
                 std::numeric_limits<double>::quiet_NaN());
  const CellType& ct = buffered.cell_type();
  dispatch_kind(ct.kind, [&](auto zero) {
    using T = decltype(zero);
    const T* src = buffered.band_as<T>(band);
    for (int y = w.y0; y < w.y1; ++y) {
      const std::size_t at = static_cast<std::size_t>(y) * static_cast<std::size_t>(w.cols) + w.x0;
      read_cells(src + at, static_cast<std::size_t>(w.x1 - w.x0), ct, w.cells.data() + at);
    }
  });
  return w;
}

job::Shape focal_shape(const job::Shape& in, const CellType& cell_type, int r, std::int64_t round_mb,
                       int ranks, mpi::HaloKeys keys) {
  job::Shape s = job::cellwise(in, cell_type);
  const job::PlannedLayer& l = in.layer();
  const TileLayout& tl = l.md.layout.tile_layout;
  if (keys == mpi::HaloKeys::Neighbours) {
    // At most every key within reach of a tile, and at most every key of the layer's bounds.
    const auto reach = [](int r, int n) { return static_cast<std::uint64_t>(2 * ((r + n - 1) / n) + 1); };
    const KeyBounds& b = l.md.bounds;
    const std::uint64_t all = static_cast<std::uint64_t>(b.max.col - b.min.col + 1) *
                              static_cast<std::uint64_t>(b.max.row - b.min.row + 1) * l.instants();
    s.levels[0].tiles = std::min(all, l.tiles * reach(r, tl.tile_cols) * reach(r, tl.tile_rows));
  }
  const double grow = static_cast<double>(tl.tile_cols + 2 * r) * static_cast<double>(tl.tile_rows + 2 * r) /
                      (static_cast<double>(tl.tile_cols) * static_cast<double>(tl.tile_rows));
  s.working_bytes_per_rank = static_cast<std::uint64_t>(static_cast<double>(l.bytes_per_rank(ranks)) * grow) +
                             job::round_working_bytes(round_mb);
  return s;
}

}  // namespace trellis::ops
