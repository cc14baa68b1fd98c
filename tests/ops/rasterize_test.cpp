// rasterize through the op: every rasterize case of ../shared/conformance/cases.json (GeoTrellis'
// PolygonRasterizerSpec, RasterizerSpec and RasterizeRDDSpec, GeoPySpark's rasterize test), each on one
// tile and on small tiles (the cells must not depend on the tiling), and random polygons against a
// brute-force point-in-polygon test.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "op_runner.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

using nlohmann::json;
using Cell = std::pair<long, long>;  // (col, row)

TiledLayer rasterize(const json& p) {
  return std::get<TiledLayer>(run_op_named("rasterize", {}, params(p)));
}

// The burnt cells (not NoData) of a layer, in the layout's grid, and every tile's key.
std::set<Cell> burnt(const TiledLayer& l, std::vector<double>* values = nullptr) {
  std::set<Cell> out;
  const long tc = l.md.layout.tile_layout.tile_cols, tr = l.md.layout.tile_layout.tile_rows;
  for (const auto& [k, t] : l.tiles)
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c)
        if (!t.is_nodata(0, c, r)) {
          out.insert({k.col * tc + c, k.row * tr + r});
          if (values) values->push_back(t.get(0, c, r));
        }
  return out;
}

// The 0.1 form of a case's raster extent, with its options.
json raster_params(const json& c, int tile_size) {
  const json& in = c["inputs"];
  json p = {{"crs", "EPSG:3857"},
            {"extent", in["raster_extent"]},
            {"cols", in["cols"]},
            {"rows", in["rows"]},
            {"tile_size", tile_size}};
  const std::string opts = c["params"].value("options", "");
  if (opts.find("PixelIsArea") != std::string::npos) p["sample_type"] = "pixel_is_area";
  if (opts.find("includePartial=false") != std::string::npos) p["include_partial"] = false;
  if (in.contains("geometry_wkt")) {
    p["geometry"] = in["geometry_wkt"];
  } else {
    std::ostringstream wkt;
    wkt.precision(17);
    wkt << "LINESTRING (";
    for (std::size_t i = 0; i < in["line"].size(); ++i)
      wkt << (i ? ", " : "") << in["line"][i][0].get<double>() << " " << in["line"][i][1].get<double>();
    wkt << ")";
    p["geometry"] = wkt.str();
  }
  return p;
}

// What a case expects, against the burnt cells of a cols x rows raster.
void check_expected(const json& want, const std::set<Cell>& got, long cols) {
  if (want.contains("cell_count")) {
    EXPECT_EQ(static_cast<long>(got.size()), want["cell_count"].get<long>());
  }
  if (want.contains("cells_included")) {
    std::set<Cell> cells;
    for (const auto& c : want["cells_included"]) cells.insert({c[0].get<long>(), c[1].get<long>()});
    EXPECT_EQ(got, cells);
  }
  // Lines: the set of cells GeoTrellis visits (the order is its callback's, not a raster's).
  if (want.contains("cells_in_order")) {
    std::set<Cell> cells;
    for (const auto& c : want["cells_in_order"]) cells.insert({c[0].get<long>(), c[1].get<long>()});
    EXPECT_EQ(got, cells);
  }
  if (want.contains("visit_order_values")) {  // values row * 10 + col
    std::set<Cell> cells;
    std::istringstream in(want["visit_order_values"].get<std::string>());
    std::string v;
    while (std::getline(in, v, ','))
      if (!v.empty()) cells.insert({std::stol(v) % cols, std::stol(v) / cols});
    EXPECT_EQ(got, cells);
  }
  if (want.contains("picture")) {
    std::set<Cell> cells;
    for (std::size_t r = 0; r < want["picture"].size(); ++r)
      for (std::size_t c = 0; c < want["picture"][r].size(); ++c)
        if (want["picture"][r][c].get<int>()) cells.insert({static_cast<long>(c), static_cast<long>(r)});
    EXPECT_EQ(got, cells);
  }
  if (want.contains("picture_rows_count")) {
    std::vector<long> rows(want["picture_rows_count"].size(), 0);
    for (const auto& [c, r] : got) rows.at(static_cast<std::size_t>(r)) += 1;
    EXPECT_EQ(rows, want["picture_rows_count"].get<std::vector<long>>());
  }
}

TEST(Rasterize, ConformanceCases) {
  const auto shared = shared_dir();
  if (!shared || !fs::exists(*shared / "conformance/cases.json")) GTEST_SKIP() << "../shared is absent";
  const auto doc = json::parse(read_file(*shared / "conformance/cases.json"));
  int checked = 0;
  for (const auto& c : doc["cases"]) {
    if (c.value("op", "") != "rasterize") continue;
    const std::string id = c["id"];
    SCOPED_TRACE(id);
    const json& in = c["inputs"];
    const json& want = c["expected"];
    if (id == "gps-rasterize-zoom11-nan") {
      // GeoPySpark 0.2: rasterize([polygon], "EPSG:3857", 11, 1): one tile, every cell NaN.
      const TiledLayer l = rasterize({{"geometry", in["geometry_wkt"]},
                                      {"crs", "EPSG:3857"},
                                      {"zoom", c["params"]["zoom"]},
                                      {"fill_value", c["params"]["fill_value"]}});
      ASSERT_EQ(l.tiles.size(), 1u);
      EXPECT_EQ(l.md.cell_type.name(), "float64");
      EXPECT_EQ(l.md.layout.tile_layout.layout_cols, 2048);
      EXPECT_TRUE(burnt(l).empty());
      ++checked;
      continue;
    }
    if (id == "gt-rasterize-zbuffer-1") {
      // Features (geometry, value, zindex): the highest zindex wins; sum of the 16x16 tile.
      json features = json::array();
      for (const auto& f : in["features"])
        features.push_back({{"type", "Feature"},
                            {"properties", {{"value", f[1]}, {"zindex", f[2]}}},
                            {"geometry", nullptr},
                            {"wkt", in[f[0].get<std::string>()]}});
      json fc = {{"type", "FeatureCollection"}, {"features", json::array()}};
      for (auto& f : features) {
        // WKT squares to GeoJSON rings.
        std::string w = f["wkt"];
        std::istringstream s(w.substr(w.find("((") + 2));
        json ring = json::array();
        double x = 0, y = 0;
        char sep = 0;
        while (s >> x >> y) {
          ring.push_back({x, y});
          s >> sep;
          if (sep != ',') break;
        }
        fc["features"].push_back({{"type", "Feature"},
                                  {"properties", f["properties"]},
                                  {"geometry", {{"type", "Polygon"}, {"coordinates", {ring}}}}});
      }
      const auto& tl = in["layout"]["tileLayout"];
      const TiledLayer l = rasterize(
          {{"geometry", fc.dump()},
           {"crs", "EPSG:3857"},
           {"extent", in["layout"]["extent"]},
           {"layout",
            {{"layout_cols", tl[0]}, {"layout_rows", tl[1]}, {"tile_cols", tl[2]}, {"tile_rows", tl[3]}}},
           {"value_field", "value"},
           {"zindex_field", "zindex"}});
      std::vector<double> values;
      burnt(l, &values);
      double sum = 0;
      for (double v : values) sum += v;
      EXPECT_EQ(sum, want["sum_of_tile_toArray"].get<double>());
      ++checked;
      continue;
    }
    const long cols = in["cols"], rows = in["rows"];
    const std::set<Cell> whole = burnt(rasterize(raster_params(c, static_cast<int>(std::max(cols, rows)))));
    check_expected(want, whole, cols);
    for (int ts : {1, 3, 7}) {
      SCOPED_TRACE("tile_size " + std::to_string(ts));
      EXPECT_EQ(burnt(rasterize(raster_params(c, ts))), whole);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 22) << "every rasterize case of cases.json";
}

// Ray casting through a cell centre (no centre lies on an edge: the vertices are not on the lattice).
bool inside(const std::vector<std::pair<double, double>>& ring, double x, double y) {
  bool in = false;
  for (std::size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    const auto [xi, yi] = ring[i];
    const auto [xj, yj] = ring[j];
    if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

TEST(Rasterize, RandomPolygonsEqualBruteForceOnAnyTiling) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int n = 0; n < 20; ++n) {
    // A star-shaped polygon (simple) around a random centre, vertices off the cell lattice.
    const double cx = 20 + 24 * u(rng), cy = 20 + 24 * u(rng);
    const int k = 5 + n % 11;
    std::vector<std::pair<double, double>> ring;
    for (int i = 0; i < k; ++i) {
      const double a = 2 * M_PI * (i + 0.8 * u(rng)) / k, r = 3 + 25 * u(rng);
      ring.push_back({cx + r * std::cos(a) + 1e-7, cy + r * std::sin(a) + 3e-7});
    }
    std::ostringstream wkt;
    wkt.precision(17);
    wkt << "POLYGON ((";
    for (const auto& [x, y] : ring) wkt << x << " " << y << ", ";
    wkt << ring[0].first << " " << ring[0].second << "))";
    std::set<Cell> want;
    for (long r = 0; r < 64; ++r)
      for (long c = 0; c < 64; ++c)
        if (inside(ring, c + 0.5, 64 - r - 0.5)) want.insert({c, r});
    for (int ts : {1, 3, 7, 64}) {
      SCOPED_TRACE("polygon " + std::to_string(n) + ", tile_size " + std::to_string(ts));
      const json p = {{"geometry", wkt.str()},
                      {"crs", "EPSG:3857"},
                      {"extent", {0, 0, 64, 64}},
                      {"cols", 64},
                      {"rows", 64},
                      {"tile_size", ts}};
      EXPECT_EQ(burnt(rasterize(p)), want);
    }
  }
}

TEST(Rasterize, ValuesCellTypeAndPadding) {
  // Two overlapping squares with values; the later one wins; int16 cells; a 5x5 raster on 4x4 tiles
  // (the padding of the edge tiles stays NoData though the square reaches beyond the extent).
  const json fc = json::parse(R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"v": 7}, "geometry": {"type": "Polygon", "coordinates": [[[0,0],[3,0],[3,3],[0,3],[0,0]]]}},
    {"type": "Feature", "properties": {"v": 9.9}, "geometry": {"type": "Polygon", "coordinates": [[[2,2],[9,2],[9,9],[2,9],[2,2]]]}}]})");
  const TiledLayer l = rasterize({{"geometry", fc.dump()},
                                  {"crs", "EPSG:3857"},
                                  {"extent", {0, 0, 5, 5}},
                                  {"cols", 5},
                                  {"rows", 5},
                                  {"tile_size", 4},
                                  {"value_field", "v"},
                                  {"cell_type", "int16"}});
  EXPECT_EQ(l.md.cell_type.name(), "int16");
  EXPECT_EQ(l.tiles.size(), 3u) << "tile (1, 1) meets no square within the layout";
  std::map<Cell, double> cells;
  const long ts = 4;
  for (const auto& [k, t] : l.tiles)
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c)
        if (!t.is_nodata(0, c, r)) cells[{k.col * ts + c, k.row * ts + r}] = t.get(0, c, r);
  EXPECT_EQ(cells.size(), 9u + 9u - 1u) << "the union of the squares within 5x5";
  EXPECT_EQ(cells.at({0, 4}), 7);  // only the first square
  EXPECT_EQ(cells.at({2, 2}), 9);  // both: the later one, truncated to int16
  EXPECT_EQ(cells.count({5, 0}), 0u) << "padding";
}

TEST(Rasterize, PointsAndFourConnectedLines) {
  const json base = {
      {"crs", "EPSG:3857"}, {"extent", {0, 0, 10, 10}}, {"cols", 10}, {"rows", 10}, {"tile_size", 3}};
  json p = base;
  p["geometry"] = "MULTIPOINT ((0.5 9.5), (3 3), (9.99 0.01))";  // (3, 3) is a corner: the cell below right
  EXPECT_EQ(burnt(rasterize(p)), (std::set<Cell>{{0, 0}, {3, 7}, {9, 9}}));
  p = base;
  p["geometry"] = "LINESTRING (0.5 9.5, 3.5 6.5)";
  EXPECT_EQ(burnt(rasterize(p)), (std::set<Cell>{{0, 0}, {1, 1}, {2, 2}, {3, 3}}));
  p["connectivity"] = 4;
  EXPECT_EQ(burnt(rasterize(p)), (std::set<Cell>{{0, 0}, {1, 0}, {1, 1}, {2, 1}, {2, 2}, {3, 2}, {3, 3}}));
}

TEST(Rasterize, RefusesWhatTheJobGetsWrong) {
  const json base = {{"geometry", "POINT (1 1)"}, {"crs", "EPSG:3857"}};
  EXPECT_THROW(rasterize(base), JobError) << "no grid";
  json p = base;
  p["zoom"] = 3;
  p["extent"] = {0, 0, 1, 1};
  EXPECT_THROW(rasterize(p), JobError);
  p = base;
  p["extent"] = {0, 0, 1, 1};
  p["cols"] = 2;
  p["rows"] = 2;
  p["connectivity"] = 6;
  EXPECT_THROW(rasterize(p), JobError);
  p["connectivity"] = 8;
  // Parameters that would have no effect together are refused.
  json q = p;
  q["value_field"] = "v";
  q["fill_value"] = 3;
  EXPECT_THROW(rasterize(q), JobError) << "fill_value with value_field";
  q = base;
  q["extent"] = {0, 0, 1, 1};
  q["layout"] = {{"layout_cols", 1}, {"layout_rows", 1}, {"tile_cols", 4}, {"tile_rows", 4}};
  EXPECT_NO_THROW(rasterize(q));
  q["tile_size"] = 8;
  EXPECT_THROW(rasterize(q), JobError) << "tile_size with an explicit layout";
  p["value_field"] = "missing";
  try {
    rasterize(p);
    ADD_FAILURE() << "no error";
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("feature 0 has no attribute 'missing'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace trellis::test
