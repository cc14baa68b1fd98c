#pragma once
// Reprojection of tiled layers (the `reproject` op): the target grid planning, shared with tests and
// any op that needs the grid gdalwarp would pick.
#include <string>

#include "core/crs.hpp"
#include "core/extent.hpp"
#include "core/metadata.hpp"
#include "job/params.hpp"

namespace trellis::ops {

// WebMercator's latitude limit: a geographic layer going to a Mercator CRS is clipped to it first.
inline constexpr double kMercatorMaxLatitude = 85.0511287798;

// The grid GDAL's GDALSuggestedWarpOutput2 (what gdalwarp picks without -te/-tr/-ts) gives for `src`
// (a grid in `src_crs`) in `dst_srs` (anything GDAL's DST_SRS option takes). Collective-free.
// Throws JobError when GDAL cannot compute it.
GridExtent suggested_warp_output(const GridExtent& src, const Crs& src_crs, const std::string& dst_srs);

// The target of a reprojection, planned from the input metadata and the step's parameters alone
// (identical on every rank): CRS, layout, zoom, cell type, bands, and for `scheme: float` the extent
// (GDAL's suggested output for the whole layer). `extent_from_footprint` tells that the extent (and
// always the key bounds) come from the footprints of the tiles (zoomed and explicit layouts).
struct ReprojectTarget {
  LayerMetadata md;
  bool extent_from_footprint = true;
};
ReprojectTarget plan_reproject(const LayerMetadata& in, const job::Params& p);

}  // namespace trellis::ops
