#pragma once
// The distributed reprojection of a tiled layer (the `reproject` op's work; reprojector.cpp says how).
#include <cstddef>

#include "index/key_index.hpp"
#include "io/warp.hpp"
#include "job/log.hpp"
#include "job/progress.hpp"
#include "layer/layer.hpp"
#include "ops/reproject/reproject.hpp"

namespace trellis::ops {

// Collective. The layer reprojected to `target` with GDAL's kernel `method`, balanced on the `index`
// curve; source tiles travel in rounds of about `round_bytes` per rank; every `share_seconds` (0: never)
// the ranks share the warping. With `consumable` (== &in, no later step reads it) the input's tiles are
// freed as soon as they are no longer needed. Deterministic: the cells do not depend on the rank count
// or on which rank warps a tile. `log` (if given) gets each rank's timings at debug level. Throws
// JobError when the layer does not meet the target layout, IoError from GDAL, PeerFailure.
TiledLayer reproject_layer(const TiledLayer& in, const ReprojectTarget& target, io::ResampleMethod method,
                           IndexKind index, std::size_t round_bytes, double share_seconds,
                           TiledLayer* consumable, job::Progress* progress, const job::Logger* log);

}  // namespace trellis::ops
