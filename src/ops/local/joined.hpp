#pragma once
// A layer made cell by cell from several layers (local, the GeoPySpark local ops, local_mask): its
// metadata, and its inputs brought together by key.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/metadata.hpp"
#include "job/context.hpp"
#include "mpi/skeletons.hpp"

namespace trellis::ops {

// The first layer's layout and CRS with `cell_type` and `bands`, over the keys and extent the layers
// share (`union_keys` false: GeoTrellis' combineValues) or any of them has (true: the sequence ops).
// Throws JobError naming two inputs whose layouts or CRSs differ. Deterministic, not collective.
LayerMetadata joined_metadata(const std::vector<std::pair<std::string, const LayerMetadata*>>& layers,
                              const CellType& cell_type, int bands, bool union_keys);

// A step's tiled inputs `names`, brought to common owners by key, and for each input the layer itself
// where no later step reads it (else null): mpi::map_aligned frees those tile by tile.
struct JoinedInputs {
  mpi::AlignedLayers aligned;
  std::vector<TiledLayer*> consumed;
};

// Collective (mpi::align_layers, in rounds of `round_mb` MiB): throws what it throws.
JoinedInputs join_inputs(job::StepContext& ctx, std::span<const std::string> names, mpi::Join join,
                         std::int64_t round_mb);

}  // namespace trellis::ops
