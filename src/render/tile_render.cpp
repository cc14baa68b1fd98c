#include "render/tile_render.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace trellis::render {

namespace {

// Row r of band b as doubles (NaN for NoData).
void read_row(const Tile& t, int b, int r, double* out) {
  dispatch_kind(t.cell_type().kind, [&](auto tag) {
    using T = decltype(tag);
    read_cells(t.band_as<T>(b) + static_cast<std::size_t>(r) * t.cols(), static_cast<std::size_t>(t.cols()),
               t.cell_type(), out);
  });
}

void check_band(const Tile& t, int b) {
  if (b < 0 || b >= t.bands())
    throw std::out_of_range("band " + std::to_string(b) + " is not in the tile (" +
                            std::to_string(t.bands()) + " band(s))");
}

std::uint8_t stretch(double v, double lo, double hi) {
  if (hi <= lo) return v >= lo ? 255 : 0;
  const double s = std::round(255.0 * (v - lo) / (hi - lo));
  return static_cast<std::uint8_t>(std::clamp(s, 0.0, 255.0));
}

}  // namespace

void render_tile(const Tile& tile, const Style& style, const CellWindow& data, std::span<std::uint8_t> rgba) {
  const int cols = tile.cols(), rows = tile.rows();
  if (rgba.size() != tile.cells() * 4) throw std::invalid_argument("render_tile: the pixel buffer's size");
  std::memset(rgba.data(), 0, rgba.size());
  const long c0 = std::max(0L, data.c0), c1 = std::min<long>(cols, data.c1);
  const long r0 = std::max(0L, data.r0), r1 = std::min<long>(rows, data.r1);
  if (c1 <= c0 || r1 <= r0) return;
  const auto n = static_cast<std::size_t>(c1 - c0);
  std::vector<double> row(static_cast<std::size_t>(cols));
  if (const auto* bc = std::get_if<BandColors>(&style)) {
    check_band(tile, bc->band);
    const std::vector<std::uint8_t> is_data(n, 1);
    for (long r = r0; r < r1; ++r) {
      read_row(tile, bc->band, static_cast<int>(r), row.data());
      bc->map.map_row(std::span(row.data() + c0, n), is_data,
                      rgba.data() + (static_cast<std::size_t>(r) * cols + c0) * 4);
    }
    return;
  }
  const auto& st = std::get<BandStretch>(style);
  if (st.bands.size() != 3 && st.bands.size() != 4) throw std::invalid_argument("render_tile: 3 or 4 bands");
  for (int b : st.bands) check_band(tile, b);
  std::vector<double> values(st.bands.size() * static_cast<std::size_t>(cols));
  for (long r = r0; r < r1; ++r) {
    for (std::size_t i = 0; i < st.bands.size(); ++i)
      read_row(tile, st.bands[i], static_cast<int>(r), values.data() + i * cols);
    std::uint8_t* px = rgba.data() + static_cast<std::size_t>(r) * cols * 4;
    for (long c = c0; c < c1; ++c) {
      bool nodata = false;
      std::uint8_t out[4] = {0, 0, 0, 255};
      for (std::size_t i = 0; i < st.bands.size(); ++i) {
        const double v = values[i * cols + c];
        if (std::isnan(v)) {
          nodata = true;
          break;
        }
        out[i] = stretch(v, st.lo[i], st.hi[i]);
      }
      if (!nodata) std::memcpy(px + c * 4, out, 4);
    }
  }
}

bool fully_transparent(std::span<const std::uint8_t> rgba) {
  for (std::size_t i = 3; i < rgba.size(); i += 4)
    if (rgba[i]) return false;
  return true;
}

}  // namespace trellis::render
