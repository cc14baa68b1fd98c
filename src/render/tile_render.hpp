#pragma once
// A tile's cells as RGBA pixels: one band through a colour map, or three or four bands stretched to
// 0-255. Shared by render_png and the tile server. Pure code (no MPI, no I/O).
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "core/metadata.hpp"
#include "core/tile.hpp"
#include "render/color_map.hpp"

namespace trellis::render {

// One band through a colour map (NoData cells get the map's NoData colour).
struct BandColors {
  int band = 0;
  ColorMap map;
};

// Bands as red, green, blue (and alpha): each band's value v becomes round(255 (v - lo) / (hi - lo)),
// clamped to 0-255 (hi == lo: 255 from lo up, 0 below). A cell with NoData in any of its bands is
// transparent. Without an alpha band, data cells are opaque.
struct BandStretch {
  std::vector<int> bands;      // 3 or 4 band numbers
  std::vector<double> lo, hi;  // per band
};

using Style = std::variant<BandColors, BandStretch>;

// Fills `rgba` (tile.cols() * tile.rows() * 4 bytes, rows top to bottom) with the tile's pixels. Cells
// outside `data` (the tile's data window, in the tile's cells: core/metadata.hpp tile_data_window) are
// transparent black (0, 0, 0, 0), whatever their value. Deterministic. Throws std::out_of_range when a
// band of the style is not in the tile, and what ColorMap::map throws (a strict map).
void render_tile(const Tile& tile, const Style& style, const CellWindow& data, std::span<std::uint8_t> rgba);

// True when every pixel has alpha 0 (nothing to draw).
bool fully_transparent(std::span<const std::uint8_t> rgba);

}  // namespace trellis::render
