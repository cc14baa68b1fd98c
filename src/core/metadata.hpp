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
  Extent extent;  // the data extent
  Crs crs;
  KeyBounds bounds;  // key bounds of the layer
  bool temporal = false;
  std::optional<int> zoom;  // set for zoomed layouts (and floating layouts: 0)
};

// A rectangle of cells of a layout's grid: columns [c0, c1), rows [r0, r1).
struct CellWindow {
  long c0 = 0, r0 = 0, c1 = 0, r1 = 0;
  bool empty() const { return c1 <= c0 || r1 <= r0; }
  long cols() const { return c1 - c0; }
  long rows() const { return r1 - r0; }
};

// The cells of the layout's grid that cover the layer's data extent, snapped outward (with GeoTrellis'
// tolerance) and clipped to the layout: what write_geotiff stitches and reproject warps.
CellWindow data_window(const LayerMetadata& md);
// The part of the layer's data window (`data`, from data_window(md)) in tile `key`, in the tile's own
// cells: the tile's cells that are the layer's data. The others (the padding of edge tiles) are never
// data, whatever the cell type, and no reduction counts them.
CellWindow tile_data_window(const LayerMetadata& md, const CellWindow& data, const SpaceTimeKey& key);

}  // namespace trellis
