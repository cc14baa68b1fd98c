#include "layer/layer.hpp"

#include <algorithm>

namespace trellis {

GridExtent RasterSource::sub_grid(const GridBounds& b) const {
  const double cw = grid.cell_width(), ch = grid.cell_height();
  const Extent e{grid.extent.xmin + static_cast<double>(b.col_min) * cw,
                 grid.extent.ymax - static_cast<double>(b.row_max + 1) * ch,
                 grid.extent.xmin + static_cast<double>(b.col_max + 1) * cw,
                 grid.extent.ymax - static_cast<double>(b.row_min) * ch};
  return {e, b.width(), b.height()};
}

GridExtent RasterLayer::window_grid(const RasterWindow& w) const {
  return sources.at(w.source).sub_grid({w.col0, w.row0, w.col0 + w.cols - 1, w.row0 + w.rows - 1});
}

std::uint64_t RasterLayer::read_cache_bytes() const {
  std::vector<int> rows(sources.size(), 0);  // the tallest window of each source
  for (const auto& w : windows) rows.at(w.source) = std::max(rows[w.source], w.rows);
  std::uint64_t most = 0;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const RasterSource& s = sources[i];
    if (rows[i] == 0) continue;
    const long bc = s.block_cols > 0 ? s.block_cols : s.grid.cols;
    const long br = s.block_rows > 0 ? s.block_rows : 1;
    const long across = (s.grid.cols + bc - 1) / bc;
    const long down =
        std::min((rows[i] + br - 1) / br + 1, (s.grid.rows + br - 1) / br);  // +1: unaligned windows
    most = std::max(most, static_cast<std::uint64_t>(across) * static_cast<std::uint64_t>(down) *
                              static_cast<std::uint64_t>(bc * br) * static_cast<std::uint64_t>(s.bands) *
                              static_cast<std::uint64_t>(s.cell_type.bytes()));
  }
  return most;
}

}  // namespace trellis
