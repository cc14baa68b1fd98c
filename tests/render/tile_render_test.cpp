// A tile's pixels: cells outside the data window are transparent whatever their value, NoData takes
// the map's NoData colour, RGB stretches follow their formula (computed here cell by cell).
#include "render/tile_render.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace trellis::render {
namespace {

std::array<int, 4> px(const std::vector<std::uint8_t>& p, int cols, int c, int r) {
  const std::size_t i = (static_cast<std::size_t>(r) * cols + c) * 4;
  return {p[i], p[i + 1], p[i + 2], p[i + 3]};
}

TEST(TileRender, PaddingIsTransparentAndNoDataTakesItsColour) {
  Tile t(CellType::parse("int16ud-9999"), 4, 3);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) t.set(0, c, r, c + r);
  t.set(0, 1, 1, std::nan(""));  // NoData
  ColorMapOptions o;
  o.no_data = 0x11223344;
  o.fallback = 0xAABBCCFF;
  const Style s = BandColors{0, ColorMap({1, 3}, {0xFF0000FF, 0x00FF00FF}, o)};
  std::vector<std::uint8_t> p(t.cells() * 4, 7);
  render_tile(t, s, CellWindow{0, 0, 3, 2}, p);                     // the last column and row are padding
  EXPECT_EQ(px(p, 4, 0, 0), (std::array<int, 4>{255, 0, 0, 255}));  // 0 <= 1
  EXPECT_EQ(px(p, 4, 2, 0), (std::array<int, 4>{0, 255, 0, 255}));  // 2 <= 3
  EXPECT_EQ(px(p, 4, 1, 1), (std::array<int, 4>{0x11, 0x22, 0x33, 0x44}));  // NoData
  EXPECT_EQ(px(p, 4, 2, 1), (std::array<int, 4>{0, 255, 0, 255}));          // 3
  EXPECT_EQ(px(p, 4, 3, 0), (std::array<int, 4>{0, 0, 0, 0}));              // padding column, value 3
  EXPECT_EQ(px(p, 4, 0, 2), (std::array<int, 4>{0, 0, 0, 0}));              // padding row, value 2
  EXPECT_FALSE(fully_transparent(p));
  render_tile(t, s, CellWindow{0, 0, 0, 0}, p);
  EXPECT_TRUE(fully_transparent(p));
  EXPECT_THROW(render_tile(t, BandColors{1, ColorMap({1}, {0xFF})}, CellWindow{0, 0, 4, 3}, p),
               std::out_of_range);
}

TEST(TileRender, StretchFollowsItsFormula) {
  Tile t(CellType::parse("float32"), 3, 1, 4);
  const double v[4][3] = {{0, 5, 10}, {100, 150, 200}, {-1, 0, 1}, {0, 127.4, 300}};
  for (int b = 0; b < 4; ++b)
    for (int c = 0; c < 3; ++c) t.set(b, c, 0, v[b][c]);
  t.set(2, 1, 0, std::nan(""));
  BandStretch st{{0, 1, 2}, {0, 100, -1}, {10, 200, 1}};
  std::vector<std::uint8_t> p(t.cells() * 4);
  render_tile(t, st, CellWindow{0, 0, 3, 1}, p);
  EXPECT_EQ(px(p, 3, 0, 0), (std::array<int, 4>{0, 0, 0, 255}));
  EXPECT_EQ(px(p, 3, 1, 0), (std::array<int, 4>{0, 0, 0, 0}));  // NoData in one band
  EXPECT_EQ(px(p, 3, 2, 0), (std::array<int, 4>{255, 255, 255, 255}));
  st.bands = {0, 1, 3, 3};
  st.lo = {0, 0, 0, 0}, st.hi = {10, 400, 255, 255};
  render_tile(t, st, CellWindow{0, 0, 3, 1}, p);
  // round(255 * 5 / 10) = 128 (half away from zero), 255 * 150 / 400 = 95.6 -> 96, 127.4 -> 127.
  EXPECT_EQ(px(p, 3, 1, 0), (std::array<int, 4>{128, 96, 127, 127}));
  EXPECT_EQ(px(p, 3, 2, 0),
            (std::array<int, 4>{255, 128, 255, 255}));  // 300 clamped; 200/400 -> 127.5 -> 128
}

}  // namespace
}  // namespace trellis::render
