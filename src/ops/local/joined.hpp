#pragma once
// The metadata of a layer made cell by cell from several layers (local and the GeoPySpark local ops).
#include <string>
#include <utility>
#include <vector>

#include "core/metadata.hpp"

namespace trellis::ops {

// The first layer's layout and CRS with `cell_type` and `bands`, over the keys and extent the layers
// share (`union_keys` false: GeoTrellis' combineValues) or any of them has (true: the sequence ops).
// Throws JobError naming two inputs whose layouts or CRSs differ. Deterministic, not collective.
LayerMetadata joined_metadata(const std::vector<std::pair<std::string, const LayerMetadata*>>& layers,
                              const CellType& cell_type, int bands, bool union_keys);

}  // namespace trellis::ops
