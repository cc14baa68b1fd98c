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

}  // namespace trellis
