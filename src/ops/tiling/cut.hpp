#pragma once
// Tiling of untiled raster layers, shared by the tiling ops and the pyramid's re-tiling.
#include <optional>

#include "core/metadata.hpp"
#include "index/key_index.hpp"
#include "io/warp.hpp"
#include "job/progress.hpp"
#include "layer/layer.hpp"
#include "mpi/exchange.hpp"
#include "ops/common/layout_args.hpp"

namespace trellis::ops {

// The metadata of the tiled layer: extent = union of the sources, finest cell size, union cell type
// (or `cell_type`), layout from the layout parameters (float, zoom, or an explicit extent + layout).
// Not collective: every rank has all source headers. Deterministic. Throws JobError when the sources
// differ in CRS or band count, or do not meet the layout.
LayerMetadata plan_layout(const RasterLayer& in, const LayoutArgs& a,
                          const std::optional<CellType>& cell_type);

// How many tiles tiling `in` to `md` makes at most: the keys each source's extent reaches (for each
// instant, no more than the layer's key bounds hold). Tiles without a data cell are not made, so a
// layer of sparse data may hold fewer. Not collective, deterministic.
std::uint64_t planned_tiles(const RasterLayer& in, const LayerMetadata& md);

// The piece of `src` (on grid `sg`) that falls in the tile `key` of `layout`: a sub-rectangle placed
// at (col_off, row_off). *any is false when the source covers no cell centre of the tile. Not
// collective; throws what GDAL's warp throws (IoError).
mpi::Piece cut_piece(const Tile& src, const GridExtent& sg, const Crs& crs, const LayoutDefinition& layout,
                     const SpaceTimeKey& key, io::ResampleMethod method, bool* any);

// Collective: splits the keys by what reading their windows costs (io::read_costs, shared by every rank),
// has each window whose blocks are its own read by the owner of its key and the others by the rank
// whose share of `in` they were, cuts them into pieces and exchanges them in rounds of about
// `round_bytes`, merging deterministically on the owners (a cell takes the data of the latest window in
// input order that has data there); then rebalances the tile counts if they ended uneven
// (mpi::rebalance). The tiles do not depend on the rank count. Throws IoError when a window cannot be
// read, PeerFailure when another rank failed.
TiledLayer tile_raster_layer(const RasterLayer& in, const LayerMetadata& md, io::ResampleMethod method,
                             IndexKind index, std::size_t round_bytes, job::Progress* progress);

}  // namespace trellis::ops
