#pragma once
// Each op family (one file in src/ops/) adds its ops to the registry.
#include "job/registry.hpp"

namespace trellis::ops {
void register_read_ops(job::Registry& reg);       // read.cpp: read_geotiff
void register_tiling_ops(job::Registry& reg);     // tiling.cpp: tile_to_layout, to_tiled_layer, cut_tiles
void register_stats_ops(job::Registry& reg);      // stats.cpp: get_min_max
void register_write_ops(job::Registry& reg);      // write.cpp: write_geotiff
void register_pyramid_ops(job::Registry& reg);    // pyramid.cpp: pyramid
void register_reproject_ops(job::Registry& reg);  // reproject.cpp: reproject
void register_zonal_ops(job::Registry& reg);      // zonal.cpp: polygonal_summary, polygonal_min/max/sum/mean
}  // namespace trellis::ops
