#pragma once
// Reprojection of tiled layers (the `reproject` op): its arguments and the target planning, shared with
// tests and with any op that needs the grid gdalwarp would pick.
#include <cstdint>
#include <optional>

#include "core/crs.hpp"
#include "core/metadata.hpp"
#include "index/key_index.hpp"
#include "io/warp.hpp"
#include "ops/common/layout_args.hpp"

namespace trellis::ops {

// WebMercator's latitude limit: a geographic layer going to a Mercator CRS is clipped to it first.
inline constexpr double kMercatorMaxLatitude = 85.0511287798;

struct ReprojectArgs : LayoutArgs {
  Crs target_crs;
  io::ResampleMethod resample_method = io::ResampleMethod::NearestNeighbor;
  std::optional<IndexKind> partition_index;  // default: the input's
  std::int64_t round_mb = 64;
  int share_ms = 250;
};

// The extent and cell size GDAL suggests for the whole layer in `target` (what `gdalwarp -t_srs` picks;
// scheme: float's grid, and where the tiles of a zoomed or explicit target lie). Not collective,
// deterministic. Throws JobError when the layer's extent is empty or beyond the Mercator limit.
struct TargetGrid {
  Extent extent;
  CellSize cs;
};
TargetGrid suggested_grid(const LayerMetadata& in, const Crs& target);

// The target of a reprojection, planned from the input metadata and the arguments alone (identical on
// every rank): CRS, layout, zoom, cell type, bands, and for `scheme: float` the extent (GDAL's suggested
// output for the whole layer). `extent_from_footprint` tells that the extent (and always the key
// bounds) come from the footprints of the tiles (zoomed and explicit layouts).
struct ReprojectTarget {
  LayerMetadata md;
  bool extent_from_footprint = true;
};
// Not collective, deterministic. Throws JobError when the layer has no data window, lies beyond the
// Mercator limit, or GDAL cannot compute the grid.
ReprojectTarget plan_reproject(const LayerMetadata& in, const ReprojectArgs& a);

}  // namespace trellis::ops
