#pragma once
// Tiling of untiled raster layers, shared by the tiling ops (and later reproject).
#include "core/metadata.hpp"
#include "index/key_index.hpp"
#include "io/warp.hpp"
#include "job/params.hpp"
#include "job/progress.hpp"
#include "layer/layer.hpp"
#include "mpi/exchange.hpp"

namespace trellis::ops {

// The metadata of the tiled layer: extent = union of the sources, finest cell size, union cell type,
// layout from the step's parameters (float, zoom, or an explicit extent + layout). Collective-free:
// every rank has all source headers.
LayerMetadata plan_layout(const RasterLayer& in, const job::Params& p);

// The piece of `src` (on grid `sg`) that falls in the tile `key` of `layout`: a sub-rectangle placed
// at (col_off, row_off). *any is false when the source covers no cell centre of the tile.
mpi::Piece cut_piece(const Tile& src, const GridExtent& sg, const Crs& crs, const LayoutDefinition& layout,
                     const SpaceTimeKey& key, io::ResampleMethod method, bool* any);

// Collective: streams this rank's windows, cuts them into pieces and exchanges them in rounds of about
// `round_bytes`, merging deterministically on the owners.
TiledLayer tile_raster_layer(const RasterLayer& in, const LayerMetadata& md, io::ResampleMethod method,
                             IndexKind index, std::size_t round_bytes, job::Progress* progress);

}  // namespace trellis::ops
