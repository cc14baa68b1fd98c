#pragma once
// Bilinear reprojection written out for separable transformations: where a destination column maps to
// one source column and a destination row to one source row whatever the other coordinate (a
// geographic layer to Mercator or back, the common web-map case), the source pixel of every cell
// comes from one coordinate per column and one per row, and the kernel is a few multiply-adds a
// cell. GDAL's general kernel with NoData masks took 24 ns a cell, two thirds of bench/render.sh's
// reprojection. The cells follow GDAL's 4-sample bilinear (what io::warp gives for the same source
// when it upsamples): tests/ops/reproject_separable_test.cpp compares them with io::warp.
#include <optional>
#include <vector>

#include "core/crs.hpp"
#include "core/tile.hpp"
#include "io/warp.hpp"
#include "layer/layer.hpp"

namespace trellis::ops {

// The source pixel coordinates (x = column, y = row, from the source grid's north-west corner, in
// cells) of the centres of a destination grid's columns and rows.
struct SeparableMap {
  std::vector<double> sx;  // per destination column
  std::vector<double> sy;  // per destination row
};

// The map of `dst` onto `src` through `to_src` (destination CRS -> source CRS), or nullopt when the
// transformation is not separable over dst (a corner or the centre lands more than 1e-6 cells from
// what its column and row say), fails anywhere, or does not upsample: GDAL switches to a wider kernel
// when a destination cell spans 0.95 source cells or more, so each step between neighbouring
// centres must stay under 0.9 source cells. Deterministic; not thread-safe for one `to_src` (PROJ
// objects are per thread); throws std::bad_alloc only.
std::optional<SeparableMap> separable_map(const Transform& to_src, const GridExtent& dst,
                                          const GridExtent& src);

// True when bilinear_separable computes method `m` for cell type `ct`: bilinear on float cells.
bool bilinear_natively(io::ResampleMethod m, const CellType& ct);

// `src` resampled bilinearly onto the sx.size() x sy.size() cells of `map`, every band, as GDAL's
// 4-sample bilinear kernel does: a centre outside the source is NoData; NoData source cells are left
// out and the other weights renormalised (a cell with none is NoData); at the source's edges the
// outermost cells extend. Cells of type `src.cell_type()` (bilinear_natively must hold).
// Deterministic, thread-safe; throws std::bad_alloc only.
Tile bilinear_separable(const Tile& src, const SeparableMap& map);

}  // namespace trellis::ops
