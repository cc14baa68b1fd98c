#pragma once
// TileLayerMetadata: what GeoTrellis records about a tiled layer.
#include <optional>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/key.hpp"
#include "core/layout.hpp"

namespace trellis {

struct LayerMetadata {
  CellType cell_type;
  int bands = 1;
  LayoutDefinition layout;
  Extent extent;        // the data extent
  Crs crs;
  KeyBounds bounds;     // key bounds of the layer
  bool temporal = false;
  std::optional<int> zoom;  // set for zoomed layouts (and floating layouts: 0)
};

}  // namespace trellis
