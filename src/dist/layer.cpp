#include "dist/layer.hpp"

#include "io/geotiff.hpp"

namespace trellis::dist {

GridExtent RasterLayer::window_grid(const RasterWindow& w) const {
  const GridExtent& g = sources.at(w.source).grid;
  double cw = g.cell_width(), ch = g.cell_height();
  Extent e{g.extent.xmin + static_cast<double>(w.col0) * cw, g.extent.ymax - static_cast<double>(w.row0 + w.rows) * ch,
           g.extent.xmin + static_cast<double>(w.col0 + w.cols) * cw, g.extent.ymax - static_cast<double>(w.row0) * ch};
  return {e, w.cols, w.rows};
}

Tile RasterLayer::read(const RasterWindow& w) const {
  const RasterSource& s = sources.at(w.source);
  return io::read_window(s.path, s.cell_type, s.bands, w.col0, w.row0, w.cols, w.rows);
}

}  // namespace trellis::dist
