#pragma once
// Each op family (one file in src/ops/) adds its ops to the registry.
#include "job/registry.hpp"

namespace trellis::ops {
void register_read_ops(job::Registry& reg);     // read.cpp: read_geotiff
void register_tiling_ops(job::Registry& reg);   // tiling.cpp: tile_to_layout, to_tiled_layer, cut_tiles
void register_stats_ops(job::Registry& reg);    // stats.cpp: get_min_max
void register_write_ops(job::Registry& reg);    // write.cpp: write_geotiff
}  // namespace trellis::ops
