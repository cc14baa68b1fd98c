// focal, slope, aspect and hillshade through the registry: every focal_* and surface case of
// ../shared/conformance/cases.json, on the tilings the cases state (single rasters, GeoTrellis' 3x2
// tiles of 3x2 cells, GeoPySpark's 2x2 tiles of 5x5), result cell types, and parameter errors.
// (tests/e2e/focal_test.cpp and surface_test.cpp run them on 1-4 ranks.)
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/neighbourhood.hpp"
#include "layers.hpp"
#include "op_runner.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

using nlohmann::json;

// The cases of ../shared/conformance/cases.json; null when ../shared is absent.
json conformance_cases() {
  const auto shared = shared_dir();
  if (!shared || !fs::exists(*shared / "conformance/cases.json")) return nullptr;
  return json::parse(read_file(*shared / "conformance/cases.json"))["cases"];
}

std::vector<double> flat_cells(const json& rows) {
  std::vector<double> out;
  for (const auto& r : rows)
    for (const auto& c : r) out.push_back(c.is_number() ? c.get<double>() : NAN);
  return out;
}

// The stitched cells of a layer (one band), row-major over the layout's grid.
std::vector<double> stitched(const TiledLayer& l) {
  const TileLayout& tl = l.md.layout.tile_layout;
  const long W = tl.total_cols();
  std::vector<double> out(static_cast<std::size_t>(W * tl.total_rows()), NAN);
  for (const auto& [k, t] : l.tiles)
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c)
        out[static_cast<std::size_t>((k.row * tl.tile_rows + r) * W + k.col * tl.tile_cols + c)] =
            t.get(0, c, r);
  return out;
}

// A case's neighbourhood as job parameters.
json neighbourhood_params(const json& n) {
  const std::string type = n.value("type", "");
  if (type == "Square") return {{"neighborhood", "square"}, {"extent", n["extent"]}};
  if (type == "Circle") return {{"neighborhood", "circle"}, {"radius", n["radius"]}};
  if (type == "Annulus")
    return {{"neighborhood", "annulus"}, {"inner", n["innerRadius"]}, {"outer", n["outerRadius"]}};
  ADD_FAILURE() << "neighbourhood " << n.dump();
  return {};
}

std::string target_of(const json& params) {
  const std::string t = params.value("target", "");
  if (t.find("NoData") != std::string::npos) return "nodata";
  if (t.find("Data") != std::string::npos) return "data";
  return "all";
}

void expect_cells(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "cell " << i << ": " << got[i] << ", want NoData";
      continue;
    }
    EXPECT_NEAR(got[i], want[i], tol) << "cell " << i;
  }
}

TEST(Focal, EveryFocalConformanceCase) {
  const json cases = conformance_cases();
  if (cases.is_null()) GTEST_SKIP() << "../shared is absent";
  int checked = 0;
  for (const auto& c : cases) {
    const std::string op = c.value("op", ""), id = c.value("id", "");
    // (focal_neighborhood cases, the shapes themselves, are tests/core/neighbourhood_test.cpp.)
    if (op.rfind("focal_", 0) != 0 || op == "focal_neighborhood" || c.value("group", "") != "focal") continue;
    SCOPED_TRACE(id);
    const json& in = c["inputs"];
    const json& want = c["expected"];
    const json& p = c["params"];
    json args = {{"operation", op.substr(6)}};
    if (in.contains("step1_added")) {
      // GeoTrellis' cursor cases: a neighbourhood's state after cells come and go. The same values as one
      // neighbourhood: a row holding them, under a square that covers it.
      for (const auto& [step, values] :
           {std::pair{"step1", in["step1_added"]}, std::pair{"step2", json::array({1, 4, 10, 10})}}) {
        std::vector<double> cells;
        for (const auto& v : values) cells.push_back(v.get<double>());
        args.update({{"neighborhood", "square"}, {"extent", static_cast<int>(cells.size())}});
        const int n = static_cast<int>(cells.size());
        const auto out = std::get<TiledLayer>(
            run_op("focal", single_tile_layer(CellType::parse("int32"), n, 1, cells), params(args)));
        EXPECT_DOUBLE_EQ(out.tiles.begin()->second.get(0, 0, 0), want[step].get<double>()) << step;
      }
      ++checked;
      continue;
    }
    args.update(neighbourhood_params(p["neighborhood"]));
    args["target"] = target_of(p);
    const double tol = p.value("tolerance", 0.0);
    if (in.contains("tile_cells")) {
      // GeoPySpark: 2x2 identical tiles of 5x5, float32ud-1.0; the expected cell of each tile.
      const std::vector<double> tile = flat_cells(in["tile_cells"]);
      std::vector<double> cells(100);
      for (int r = 0; r < 10; ++r)
        for (int col = 0; col < 10; ++col)
          cells[static_cast<std::size_t>(r * 10 + col)] = tile[static_cast<std::size_t>(r % 5 * 5 + col % 5)];
      const TiledLayer l = grid_layer(CellType::parse(in["metadata_cellType"].get<std::string>()),
                                      {0, 0, 33, 33}, {2, 2, 5, 5}, cells);
      const auto out = std::get<TiledLayer>(run_op("focal", l, params(args)));
      std::smatch m;
      const std::string assertion = want["assertion"];
      ASSERT_TRUE(std::regex_search(assertion, m, std::regex(R"(cells\[0\]\[(\d)\]\[(\d)\])")));
      const int row = std::stoi(m[1]), col = std::stoi(m[2]);
      for (const auto& [key, v] : want["derived_exact_by_tile"].items()) {
        std::smatch km;
        ASSERT_TRUE(std::regex_search(key, km, std::regex(R"(\((\d),(\d)\))")));
        const SpaceTimeKey k{std::stoi(km[1]), std::stoi(km[2]), 0};
        const Tile& t = out.tiles.at(k);
        // NoData reads back as the layer's NoData value, -1 (GeoPySpark's numpy arrays).
        const double got = std::isnan(t.get(0, col, row)) ? -1.0 : t.get(0, col, row);
        EXPECT_EQ(got, v.get<double>()) << key;
      }
      ++checked;
      continue;
    }
    const int cols = in["cols"], rows = in["rows"];
    const std::vector<double> cells = flat_cells(in["cells"]);
    const std::string ct_text = in.value("cell_type", "");
    const CellType ct = CellType::parse(ct_text.find("Double") != std::string::npos ? "float64" : "int32");
    const bool tiled = in.value("layer", "").find("TileLayout(3, 2, 3, 2)") != std::string::npos;
    const TiledLayer l = tiled ? grid_layer(ct, {-180, -90, 180, 90}, {3, 2, 3, 2}, cells)
                               : single_tile_layer(ct, cols, rows, cells);
    const auto out = std::get<TiledLayer>(run_op("focal", l, params(args)));
    std::vector<double> got = stitched(out);
    if (p.contains("bounds")) {
      // GeoTrellis' analysis bounds: the result over the bounds only, neighbours from the whole raster.
      std::smatch m;
      const std::string b = p["bounds"];
      ASSERT_TRUE(std::regex_search(b, m, std::regex(R"(GridBounds\((\d),(\d),(\d),(\d)\))")));
      const int c0 = std::stoi(m[1]), r0 = std::stoi(m[2]), c1 = std::stoi(m[3]), r1 = std::stoi(m[4]);
      std::vector<double> crop;
      for (int r = r0; r <= r1; ++r)
        for (int col = c0; col <= c1; ++col) crop.push_back(got[static_cast<std::size_t>(r * cols + col)]);
      got = crop;
    }
    expect_cells(got, flat_cells(want["cells"]), tol);
    ++checked;
  }
  EXPECT_EQ(checked, 52);
}

// The shapes themselves (GeoTrellis' NeighborhoodSpec pictures): Neighbourhood::mask() against the
// included cells (included_mask) or the masked ones (masked_xy, as (x, y)).
TEST(Focal, EveryNeighbourhoodConformanceCase) {
  const json cases = conformance_cases();
  if (cases.is_null()) GTEST_SKIP() << "../shared is absent";
  int checked = 0;
  for (const auto& c : cases) {
    if (c.value("op", "") != "focal_neighborhood") continue;
    SCOPED_TRACE(c.value("id", ""));
    const json& n = c["params"]["neighborhood"];
    Neighbourhood nb;
    const std::string type = n["type"];
    if (type == "Circle") nb = {.shape = NeighbourhoodShape::Circle, .radius = n["radius"]};
    if (type == "Annulus")
      nb = {.shape = NeighbourhoodShape::Annulus, .inner = n["innerRadius"], .outer = n["outerRadius"]};
    if (type == "Wedge")
      nb = {.shape = NeighbourhoodShape::Wedge,
            .radius = n["radius"],
            .start_angle = n["startAngle"],
            .end_angle = n["endAngle"]};
    const int side = 2 * nb.reach() + 1;
    std::vector<std::uint8_t> want(static_cast<std::size_t>(side * side), 1);
    if (c["expected"].contains("included_mask")) {
      want = {};
      for (const auto& row : c["expected"]["included_mask"])
        for (const auto& v : row) want.push_back(static_cast<std::uint8_t>(v.get<int>()));
    } else {
      for (const auto& xy : c["expected"]["masked_xy"])
        want[static_cast<std::size_t>(xy[1].get<int>() * side + xy[0].get<int>())] = 0;
    }
    EXPECT_EQ(nb.mask(), want);
    ++checked;
  }
  EXPECT_EQ(checked, 3);
}

// The surface cases: cell size from params.cellSize, expected values at (col,row).
TEST(Focal, EverySurfaceConformanceCase) {
  const json cases = conformance_cases();
  if (cases.is_null()) GTEST_SKIP() << "../shared is absent";
  int checked = 0;
  for (const auto& c : cases) {
    const std::string op = c.value("op", ""), id = c.value("id", "");
    if (c.value("group", "") != "surface") continue;
    SCOPED_TRACE(id);
    const json& in = c["inputs"];
    const json& p = c["params"];
    const int cols = in["cols"], rows = in["rows"];
    const std::string ct_text = in.value("cell_type", "");
    const CellType ct = CellType::parse(ct_text.find("Double") != std::string::npos ? "float64"
                                        : ct_text.find("Byte") != std::string::npos ? "int8"
                                                                                    : "int32");
    const double cw = p["cellSize"][0], ch = p["cellSize"][1];
    const TiledLayer l =
        single_tile_layer(ct, cols, rows, flat_cells(in["cells"]), 1, {0, 0, cw * cols, ch * rows}, 32631);
    json args = json::object();
    std::string name = op.substr(6);
    if (name == "slope" || name == "hillshade") args["z_factor"] = p.value("zFactor", 1.0);
    if (name == "hillshade") args.update({{"azimuth", p["azimuth"]}, {"altitude", p["altitude"]}});
    if (name == "aspect") {
      // GeoTrellis 1.2 (GeoPySpark 0.1/0.2) or 2+ (azimuth): the case's source says which.
      const std::string conv = p.value("convention", ""), ref = c["source"].value("ref", "");
      args["aspect_convention"] =
          conv.find("<= 1.2") != std::string::npos || ref == "v1.2.0" ? "geotrellis" : "azimuth";
    }
    const auto out = std::get<TiledLayer>(run_op(name, l, params(args)));
    const Tile& t = out.tiles.begin()->second;
    const json& e = c["expected"].contains("aspect_deg_at_(col,row)")
                        ? c["expected"]["aspect_deg_at_(col,row)"]
                        : c["expected"];
    for (const auto& [at, v] : e.items()) {
      std::smatch m;
      if (!std::regex_search(at, m, std::regex(R"(\((\d),(\d)\))"))) continue;
      EXPECT_NEAR(t.get(0, std::stoi(m[1]), std::stoi(m[2])), v.get<double>(), 1e-9) << at;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST(Focal, ResultCellTypesFollowGeoTrellis) {
  const TiledLayer l = single_tile_layer(CellType::parse("int16"), 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const std::map<std::string, std::string> want = {{"sum", "int16"},
                                                   {"min", "int16"},
                                                   {"max", "int16"},
                                                   {"mean", "float64"},
                                                   {"median", "int32"},
                                                   {"mode", "int32"},
                                                   {"standard_deviation", "float64"},
                                                   {"variance", "float64"}};
  for (const auto& [op, ct] : want) {
    const auto out = std::get<TiledLayer>(
        run_op("focal", l, params({{"operation", op}, {"neighborhood", "square"}, {"extent", 1}})));
    EXPECT_EQ(out.md.cell_type, CellType::parse(ct)) << op;
    EXPECT_EQ(out.tiles.begin()->second.cell_type(), CellType::parse(ct)) << op;
  }
  const auto f = std::get<TiledLayer>(run_op(
      "focal", l,
      params({{"operation", "sum"}, {"neighborhood", "square"}, {"extent", 1}, {"cell_type", "float32"}})));
  EXPECT_EQ(f.md.cell_type, CellType::parse("float32"));
  EXPECT_EQ(f.tiles.begin()->second.get(0, 1, 1), 45);
  const auto s = std::get<TiledLayer>(run_op("slope", l, params(json::object())));
  EXPECT_EQ(s.md.cell_type, CellType::parse("float64"));
  const auto h = std::get<TiledLayer>(run_op("hillshade", l, params({{"scale", "gdal"}})));
  EXPECT_EQ(h.md.cell_type, CellType::parse("uint8"));
}

TEST(Focal, RefusesWhatWouldHaveNoMeaning) {
  const TiledLayer l =
      single_tile_layer(CellType::parse("int16"), 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, {0, 0, 3, 3}, 32631);
  try {
    run_op("slope", l, params({{"z_unit", "meters"}}));
    ADD_FAILURE() << "z_unit on a projected layer was accepted";
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("z_unit is for geographic layers"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trellis::test
