// mask through the op: every mask case of ../shared/conformance/cases.json (GeoPySpark's mask tests and
// GeoTrellis' TileRDDMaskMethodsSpec), and on any tiling the cells kept are those rasterize burns.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "layers.hpp"
#include "op_runner.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

using nlohmann::json;

TiledLayer mask(const TiledLayer& in, const json& p) {
  return std::get<TiledLayer>(run_op("mask", in, params(p)));
}

// The sum of every cell of every tile as stored (NoData counts as its value, as numpy sums it).
double stored_sum(const TiledLayer& l) {
  double s = 0;
  for (const auto& [k, t] : l.tiles) {
    const float* d = t.band_as<float>(0);
    for (std::size_t i = 0; i < t.cells(); ++i) s += d[i];
  }
  return s;
}

// The layer stitched (band b), NaN for NoData, over the key rows present.
std::vector<std::vector<double>> stitched(const TiledLayer& l, int b) {
  const auto& tl = l.md.layout.tile_layout;
  long rmin = 1 << 30, rmax = -1;
  for (const auto& [k, t] : l.tiles) rmin = std::min<long>(rmin, k.row), rmax = std::max<long>(rmax, k.row);
  std::vector<std::vector<double>> out(static_cast<std::size_t>((rmax - rmin + 1) * tl.tile_rows),
                                       std::vector<double>(static_cast<std::size_t>(tl.total_cols()), NAN));
  for (const auto& [k, t] : l.tiles)
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c)
        out[static_cast<std::size_t>((k.row - rmin) * tl.tile_rows + r)]
           [static_cast<std::size_t>(k.col * tl.tile_cols + c)] = t.get(b, c, r);
  return out;
}

void expect_grid(const std::vector<std::vector<double>>& got, const json& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t r = 0; r < got.size(); ++r)
    for (std::size_t c = 0; c < got[r].size(); ++c) {
      if (want[r][c].is_string())
        EXPECT_TRUE(std::isnan(got[r][c])) << r << "," << c;
      else
        EXPECT_EQ(got[r][c], want[r][c].get<double>()) << r << "," << c;
    }
}

TEST(Mask, ConformanceCases) {
  const auto shared = shared_dir();
  if (!shared || !fs::exists(*shared / "conformance/cases.json")) GTEST_SKIP() << "../shared is absent";
  const auto doc = json::parse(read_file(*shared / "conformance/cases.json"));
  const CellType ud1 = CellType::parse("float32ud-1.0"), ud11 = CellType::parse("float32ud-1.1");
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("op", "") != "mask") continue;
    const std::string id = c["id"];
    SCOPED_TRACE(id);
    const json& in = c["inputs"];
    const json& want = c["expected"];
    if (id.rfind("gps-", 0) == 0) {
      // Tiles of ones, -1.0 NoData; numpy sums the returned tiles, NoData included.
      const auto& tl = in["tile_layout"];
      const TileLayout layout{tl["layoutCols"], tl["layoutRows"], tl["tileCols"], tl["tileRows"]};
      const auto& e = in["layout_extent"];
      const TiledLayer l = grid_layer(
          ud1, {e[0], e[1], e[2], e[3]}, layout,
          std::vector<double>(static_cast<std::size_t>(layout.total_cols() * layout.total_rows()), 1.0));
      json p = {{"geometry", c["params"]["geometries"]}};
      if (c["params"].value("options", "").find("PixelIsArea") != std::string::npos)
        p["sample_type"] = "pixel_is_area";
      EXPECT_EQ(stored_sum(mask(l, p)), want["sum_over_all_returned_tiles_of_cells"].get<double>());
    } else {
      // GeoTrellis: 6x4 cells 1..24 (cell 17 NoData -1.1), TileLayout(2, 2, 3, 2); the mask is the
      // rectangle (xmin + dx, ymin, xmax, ymin + dy) with dx a third of the width, dy half the height.
      std::vector<double> cells;
      for (int i = 1; i <= 24; ++i) cells.push_back(i == 18 ? NAN : i);
      const bool multiband = id == "gt-mask-layer-multiband";
      if (multiband)
        for (int i = 1; i <= 24; ++i) cells.push_back(10.0 * i);
      const TiledLayer l = grid_layer(ud11, {0, 0, 6, 4}, {2, 2, 3, 2}, cells, multiband ? 2 : 1);
      json p = {{"geometry", "POLYGON ((2 0, 6 0, 6 2, 2 2, 2 0))"}};
      if (!multiband) p["filter_empty_tiles"] = false;
      const TiledLayer out = mask(l, p);
      if (multiband) {
        EXPECT_EQ(out.tiles.size(), 2u);
        expect_grid(stitched(out, 0), want["band0"]);
        expect_grid(stitched(out, 1), want["band1"]);
      } else {
        EXPECT_EQ(out.tiles.size(), 4u);
        expect_grid(stitched(out, 0), want["stitched"]);
      }
      // Masked cells hold the tile's own NoData (-1.1f), as GeoTrellis writes them.
      EXPECT_EQ(out.tiles.begin()->second.band_as<float>(0)[0], -1.1f);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 6) << "every mask case of cases.json";
}

TEST(Mask, KeepsTheCellsRasterizeBurnsOnAnyTiling) {
  // A 40x40 int16 raster; a triangle and a line. The cells kept are those rasterize burns.
  std::vector<double> cells;
  for (int i = 0; i < 1600; ++i) cells.push_back(i % 500);
  const json g =
      json::array({"POLYGON ((3.3 2.1, 37.7 9.9, 12.2 35.5, 3.3 2.1))", "LINESTRING (0.5 39.5, 39.5 20.5)"});
  const TiledLayer burnt = std::get<TiledLayer>(run_op_named("rasterize", {},
                                                             params({{"geometry", g},
                                                                     {"crs", "EPSG:4326"},
                                                                     {"extent", {0, 0, 40, 40}},
                                                                     {"cols", 40},
                                                                     {"rows", 40},
                                                                     {"tile_size", 40}})));
  const Tile& b = burnt.tiles.at({0, 0, 0});
  for (int ts : {1, 3, 7, 40}) {
    SCOPED_TRACE("tile_size " + std::to_string(ts));
    const long n = (40 + ts - 1) / ts;
    std::vector<double> padded(static_cast<std::size_t>(n * ts * n * ts), NAN);
    for (int r = 0; r < 40; ++r)
      for (int c = 0; c < 40; ++c)
        padded[static_cast<std::size_t>(r * n * ts + c)] = cells[static_cast<std::size_t>(r * 40 + c)];
    const TiledLayer l =
        grid_layer(CellType::parse("int16"), {0, 40.0 - n * ts, n * ts * 1.0, 40}, {n, n, ts, ts}, padded);
    const auto got = stitched(mask(l, {{"geometry", g}, {"filter_empty_tiles", false}}), 0);
    for (int r = 0; r < 40; ++r)
      for (int c = 0; c < 40; ++c) {
        const double v = got[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
        if (b.is_nodata(0, c, r))
          EXPECT_TRUE(std::isnan(v)) << c << "," << r;
        else
          EXPECT_EQ(v, cells[static_cast<std::size_t>(r * 40 + c)]) << c << "," << r;
      }
  }
}

}  // namespace
}  // namespace trellis::test
