#include "core/metadata.hpp"

#include <algorithm>

namespace trellis {

CellWindow data_window(const LayerMetadata& md) {
  const LayoutDefinition& L = md.layout;
  const GridExtent g = L.grid();
  const double cw = g.cell_width(), ch = g.cell_height();
  const Extent e = md.extent.intersection(L.extent);
  CellWindow w;
  w.c0 = std::clamp(floor_with_tolerance((e.xmin - L.extent.xmin) / cw), 0L, g.cols);
  w.r0 = std::clamp(floor_with_tolerance((L.extent.ymax - e.ymax) / ch), 0L, g.rows);
  w.c1 = std::clamp(-floor_with_tolerance(-(e.xmax - L.extent.xmin) / cw), w.c0,
                    g.cols);  // ceil, same tolerance
  w.r1 = std::clamp(-floor_with_tolerance(-(L.extent.ymax - e.ymin) / ch), w.r0, g.rows);
  return w;
}

CellWindow tile_data_window(const LayerMetadata& md, const CellWindow& data, const SpaceTimeKey& key) {
  const long tc = md.layout.tile_layout.tile_cols, tr = md.layout.tile_layout.tile_rows;
  const long x0 = static_cast<long>(key.col) * tc, y0 = static_cast<long>(key.row) * tr;
  CellWindow w;
  w.c0 = std::clamp(data.c0 - x0, 0L, tc);
  w.c1 = std::clamp(data.c1 - x0, w.c0, tc);
  w.r0 = std::clamp(data.r0 - y0, 0L, tr);
  w.r1 = std::clamp(data.r1 - y0, w.r0, tr);
  return w;
}

}  // namespace trellis
