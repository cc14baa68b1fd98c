#pragma once
// The kernels of an aligned pyramid step (every parent cell exactly 2 x 2 cells of one child), written
// out instead of calling GDAL's warper per child: GDAL's setup (two MEM datasets, a transformer and a
// warp operation per child tile) cost more than the arithmetic, and 1,400 children made the pyramid of
// bench/render.sh a quarter of its time. The cells are what io::warp (GDAL's kernel, in the child's
// pixel frame) gives for the same child; tests/ops/pyramid_halve_test.cpp checks them against it for
// every cell type.
#include <optional>

#include "core/tile.hpp"
#include "io/warp.hpp"

namespace trellis::ops {

// True when halve_aligned computes method `m` for tiles of cell type `ct`.
bool halves_natively(io::ResampleMethod m, const CellType& ct);

// The tile_cols/2 x tile_rows/2 parent cells of `child` (even cols and rows), every band, by method
// `m`: average (the mean of the cell's valid children, rounded as GDAL rounds into integer types) or
// nearest (the child at the parent cell's centre, rounded down and right as GDAL's kernel does).
// NoData children are skipped; a parent with none is NoData (zero for raw types). nullopt when
// !halves_natively(m, child.cell_type()). Deterministic, thread-safe; throws std::bad_alloc only.
std::optional<Tile> halve_aligned(const Tile& child, io::ResampleMethod m);

}  // namespace trellis::ops
