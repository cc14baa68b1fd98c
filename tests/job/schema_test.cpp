// Typed parameters (job/schema.hpp) and each structured parameter type (job/types/): values bound to
// struct members at load time, and errors with FILE:LINE:COL (and did-you-mean where it applies).
#include "job/schema.hpp"

#include <gtest/gtest.h>

#include "job/op.hpp"
#include "job/types/bands.hpp"
#include "job/types/colour_map.hpp"
#include "job/types/expression.hpp"
#include "job/types/geometry.hpp"
#include "job/types/layout.hpp"
#include "job/types/neighbourhood.hpp"
#include "job/types/value_map.hpp"
#include "job_test_util.hpp"

namespace trellis::job {
namespace {

using test::TempDir;
using testing::expect_job_error;

enum class Mode { Fast, Exact };
constexpr EnumName<Mode> kModes[] = {{Mode::Fast, "fast"}, {Mode::Exact, "exact"}};
std::span<const EnumName<Mode>> enum_names(Mode) {
  return kModes;
}

struct ProbeArgs {
  int size = 256;
  Mode mode = Mode::Fast;
  std::optional<Extent> extent;
  std::optional<TileLayout> layout;
  std::optional<Crs> crs;
  std::optional<CellType> cell_type;
  std::optional<GeometrySources> geometry;
  std::optional<PolygonSources> polygons;
  std::optional<ValueMap> value_map;
  std::optional<ColourMap> colours;
  std::optional<BandList> bands;
  std::optional<std::int64_t> a, b;
  std::int64_t round_mb = 64;
  std::optional<io::Compression> compression;
  Neighbourhood neighbourhood;
};

void declare_probe(Schema<ProbeArgs>& s) {
  using A = ProbeArgs;
  s.add("size", &A::size, "a size").range(1, 4096);
  s.add("mode", &A::mode, "an enumeration");
  s.add("extent", &A::extent, "an extent");
  s.add("layout", &A::layout, "a tile layout");
  s.add("crs", &A::crs, "a CRS");
  s.add("cell_type", &A::cell_type, "a cell type");
  s.add("geometry", &A::geometry, "geometries");
  s.add("polygons", &A::polygons, "polygons");
  s.add("value_map", &A::value_map, "a value map");
  s.add("colours", &A::colours, "a colour map");
  s.add("bands", &A::bands, "bands");
  s.add("a", &A::a, "one of a group");
  s.add("b", &A::b, "the other");
  s.add("round_mb", &A::round_mb, "rounds").range(1, 1024).site_default(&SiteDefaults::round_mb);
  s.add("compression", &A::compression, "a codec").site_default(&SiteDefaults::compression);
  s.together({"extent", "layout"}, "an explicit layout");
  s.excludes("geometry", "polygons");
}

struct NeighbourhoodArgs {
  Neighbourhood n;
  std::int64_t round_mb = 64;
};

struct CalcArgs {
  Expression expression;
};

Registry make_registry() {
  Registry reg;
  reg.add(make_op<ProbeArgs>({.name = "probe", .inputs = Inputs::None, .produces = ValueKind::Result},
                             declare_probe,
                             [](StepContext&, const ProbeArgs&) -> StepValue { return Result{}; }));
  reg.add(make_op<NeighbourhoodArgs>(
      {.name = "focal", .inputs = Inputs::None, .produces = ValueKind::Result},
      [](Schema<NeighbourhoodArgs>& s) {
        declare_neighbourhood(s, &NeighbourhoodArgs::n);
        // A field after a composite: its spec and its field have different positions.
        s.add("round_mb", &NeighbourhoodArgs::round_mb, "rounds").site_default(&SiteDefaults::round_mb);
      },
      [](StepContext&, const NeighbourhoodArgs&) -> StepValue { return Result{}; }));
  reg.add(make_op<CalcArgs>(
      {.name = "calc", .inputs = Inputs::Named, .produces = ValueKind::Result},
      [](Schema<CalcArgs>& s) { s.add("expression", &CalcArgs::expression, "an expression").required(); },
      [](StepContext&, const CalcArgs&) -> StepValue { return Result{}; }));
  return reg;
}

class SchemaTest : public ::testing::Test {
 protected:
  Job load(const std::string& steps) {
    return load_job_from_string("version: 1\nsteps:\n" + steps, "job.yaml", tmp.str(), {}, reg);
  }
  template <class Args>
  const Args& args(const Job& j, std::size_t i = 0) {
    return std::any_cast<const Args&>(j.steps.at(i).args);
  }
  void expect_error(const std::string& steps, const std::string& prefix,
                    std::initializer_list<std::string> frags) {
    expect_job_error([&] { load(steps); }, prefix, frags);
  }
  Registry reg = make_registry();
  TempDir tmp;
};

TEST_F(SchemaTest, BindsValuesAndDefaultsToMembers) {
  const Job j = load(
      "  - op: probe\n    mode: Exact\n    extent: [0, 1, 2, 3]\n    layout: {layout_cols: 2, layout_rows: "
      "1, "
      "tile_cols: 4, tile_rows: 4}\n    crs: EPSG:3857\n    cell_type: int16ud-9999\n    bands: [2, 0]\n");
  const ProbeArgs& a = args<ProbeArgs>(j);
  EXPECT_EQ(a.size, 256);
  EXPECT_EQ(a.mode, Mode::Exact);
  EXPECT_EQ(*a.extent, (Extent{0, 1, 2, 3}));
  EXPECT_EQ(*a.layout, (TileLayout{2, 1, 4, 4}));
  EXPECT_EQ(a.crs->epsg(), 3857);
  EXPECT_EQ(a.cell_type->name(), "int16ud-9999");
  EXPECT_EQ(a.bands->bands, (std::vector<int>{2, 0}));
  EXPECT_FALSE(a.geometry);
  // The declaration gives the registry's specs: types, defaults from the struct, site defaults.
  const OpSpec* op = reg.find("probe");
  EXPECT_EQ(op->params[0].default_value->to_string(), "256");
  EXPECT_EQ(op->params[1].choices, (std::vector<std::string>{"fast", "exact"}));
  EXPECT_EQ(shown_type(op->params[2]), "extent");
  EXPECT_EQ(op->params[13].site_default, "memory_per_rank");
  EXPECT_EQ(op->params[14].site_default, "compression");
}

TEST_F(SchemaTest, SiteDefaultsAfterACompositeReachTheirMember) {
  SiteDefaults site;
  site.round_mb = 7;
  Job j = load("  - op: focal\n    neighborhood: square\n    extent: 2\n");
  std::any a = j.steps[0].args;
  j.steps[0].spec->schema->apply_site(a, j.steps[0].params, site);
  EXPECT_EQ(std::any_cast<const NeighbourhoodArgs&>(a).round_mb, 7);
  EXPECT_EQ(std::any_cast<const NeighbourhoodArgs&>(a).n.extent, 2);
}

TEST_F(SchemaTest, SiteDefaultsApplyOnlyWhereTheJobIsSilent) {
  SiteDefaults site;
  site.round_mb = 5000;  // clamped to the declared range
  site.compression = io::Compression::Zstd;
  Job j = load("  - op: probe\n");
  std::any a = j.steps[0].args;
  const auto notes = j.steps[0].spec->schema->apply_site(a, j.steps[0].params, site);
  EXPECT_EQ(std::any_cast<const ProbeArgs&>(a).round_mb, 1024);
  EXPECT_EQ(std::any_cast<const ProbeArgs&>(a).compression, io::Compression::Zstd);
  EXPECT_EQ(notes, (std::vector<std::string>{"round_mb 1024", "compression zstd"}));
  j = load("  - op: probe\n    round_mb: 8\n    compression: lzw\n");
  a = j.steps[0].args;
  EXPECT_TRUE(j.steps[0].spec->schema->apply_site(a, j.steps[0].params, site).empty());
  EXPECT_EQ(std::any_cast<const ProbeArgs&>(a).round_mb, 8);
}

TEST_F(SchemaTest, GroupsAreDeclared) {
  expect_error("  - op: probe\n    extent: [0, 0, 1, 1]\n", "job.yaml:3:5: step 'probe-1' (probe): ",
               {"`extent` and `layout` go together (an explicit layout); give both or neither"});
  expect_error(
      "  - op: probe\n    geometry: \"POINT (1 1)\"\n    polygons: \"POLYGON ((0 0, 1 0, 1 1, 0 0))\"\n",
      "job.yaml:5:15: ", {"`polygons` cannot be combined with `geometry`"});
}

TEST_F(SchemaTest, Enumerations) {
  expect_error("  - op: probe\n    mode: exakt\n", "job.yaml:4:11: ",
               {"parameter 'mode' must be fast or exact; got 'exakt'", "(did you mean 'exact'?)"});
}

TEST_F(SchemaTest, Extent) {
  expect_error(
      "  - op: probe\n    extent: [0, 0, 1]\n    layout: {layout_cols: 1, layout_rows: 1, tile_cols: 1, "
      "tile_rows: 1}\n",
      "job.yaml:4:13: step 'probe-1' (probe): parameter 'extent': ", {"[xmin, ymin, xmax, ymax]"});
  expect_error(
      "  - op: probe\n    extent: {xmin: 0, ymin: 0, xmax: 1, ymax: 1, zmax: 2}\n    layout: {layout_cols: "
      "1, "
      "layout_rows: 1, tile_cols: 1, tile_rows: 1}\n",
      "job.yaml:4:56: ", {"unknown extent field 'zmax'"});
  expect_error(
      "  - op: probe\n    extent: [0, 0, 0, 1]\n    layout: {layout_cols: 1, layout_rows: 1, tile_cols: 1, "
      "tile_rows: 1}\n",
      "job.yaml:4:13: ", {"extent is empty"});
}

TEST_F(SchemaTest, TileLayout) {
  expect_error(
      "  - op: probe\n    extent: [0, 0, 1, 1]\n    layout: {layout_cols: 1, layout_rows: 1, tile_cols: 0, "
      "tile_rows: 1}\n",
      "job.yaml:5:57: step 'probe-1' (probe): parameter 'layout': ", {"'tile_cols'"});
  expect_error(
      "  - op: probe\n    extent: [0, 0, 1, 1]\n    layout: {layout_cols: 1, layout_rows: 1, tile_cols: 1}\n",
      "job.yaml:5:13: ", {"'tile_rows'"});
}

TEST_F(SchemaTest, CrsAndCellType) {
  expect_error("  - op: probe\n    crs: EPSG:999999\n",
               "job.yaml:4:10: step 'probe-1' (probe): parameter 'crs': ", {});
  expect_error("  - op: probe\n    cell_type: int17\n",
               "job.yaml:4:16: step 'probe-1' (probe): parameter 'cell_type': ", {"int17"});
}

TEST_F(SchemaTest, GeometrySources) {
  tmp.write("not.gpkg", "not a geopackage");
  expect_error("  - op: probe\n    geometry: \"POLYGON ((0 0, 1 0\"\n",
               "job.yaml:4:15: ", {"not a valid WKT"});
  expect_error("  - op: probe\n    geometry: {uri: not.gpkg, lyr: x}\n",
               "job.yaml:4:36: ", {"parameter 'geometry': unknown key 'lyr'"});
  expect_error("  - op: probe\n    geometry: {uri: nowhere.gpkg}\n", "job.yaml:4:21: ", {"not found"});
  expect_error("  - op: probe\n    polygons: \"LINESTRING (0 0, 1 1)\"\n", "job.yaml:4:15: ", {"Polygon"});
  const Job j = load("  - op: probe\n    geometry: [\"POINT (1 2)\", {type: Point, coordinates: [3, 4]}]\n");
  const auto& g = *args<ProbeArgs>(j).geometry;
  ASSERT_EQ(g.sources.size(), 2u);
  EXPECT_FALSE(g.single);
  EXPECT_EQ(g.sources[0].src.kind, io::GeometrySource::Kind::Wkt);
  EXPECT_EQ(g.sources[1].src.kind, io::GeometrySource::Kind::GeoJson);
  EXPECT_EQ(g.sources[1].mark.str(), "job.yaml:4:31");
}

TEST_F(SchemaTest, ValueMap) {
  const Job j = load("  - op: probe\n    value_map: {0: 1, \"2, 3\": 5, 10: nodata}\n");
  const auto& m = *args<ProbeArgs>(j).value_map;
  ASSERT_EQ(m.entries.size(), 4u);
  EXPECT_EQ(m.entries[1], (ValueMap::Entry{2, 5}));
  EXPECT_EQ(m.entries[2], (ValueMap::Entry{3, 5}));
  EXPECT_EQ(m.entries[3], (ValueMap::Entry{10, std::nullopt}));
  expect_error("  - op: probe\n    value_map: {0: 1, ten: 2}\n",
               "job.yaml:4:28: step 'probe-1' (probe): parameter "
               "'value_map': ",
               {"the break 'ten'"});
  expect_error("  - op: probe\n    value_map: {0: 1, \"0, 1\": 2}\n", "job.yaml:4:31: ", {"given twice"});
  expect_error("  - op: probe\n    value_map: {0: red}\n", "job.yaml:4:20: ", {"a number or nodata"});
}

TEST_F(SchemaTest, ColourMap) {
  const Job j = load(
      "  - op: probe\n    colours: {breaks: {0: \"#000000\", 1: \"#ff000080\", 2: 0x00ff00ff}, boundary: "
      "GreaterThan, no_data_color: \"#ffffff\"}\n");
  const auto& c = *args<ProbeArgs>(j).colours;
  ASSERT_EQ(c.breaks.size(), 3u);
  EXPECT_EQ(c.breaks[0].colour, (Rgba{0, 0, 0, 255}));
  EXPECT_EQ(c.breaks[1].colour, (Rgba{255, 0, 0, 128}));
  EXPECT_EQ(c.breaks[2].colour, (Rgba{0, 255, 0, 255}));
  EXPECT_EQ(c.boundary, ClassBoundary::GreaterThan);
  EXPECT_EQ(c.no_data, (Rgba{255, 255, 255, 255}));
  expect_error("  - op: probe\n    colours: {0: \"#00000\"}\n",
               "job.yaml:4:18: step 'probe-1' (probe): parameter "
               "'colours': ",
               {"must be a colour"});
  expect_error("  - op: probe\n    colours: {breaks: {0: \"#000000\"}, boundary: less_then}\n",
               "job.yaml:4:49: ", {"unknown boundary 'less_then'", "did you mean 'less_than'"});
  expect_error("  - op: probe\n    colours: {breaks: {0: \"#000000\"}, fallbak: \"#000000\"}\n",
               "job.yaml:4:48: ", {"unknown key 'fallbak'", "did you mean 'fallback'"});
}

TEST_F(SchemaTest, BandList) {
  expect_error("  - op: probe\n    bands: [0, -1]\n",
               "job.yaml:4:16: ", {"band numbers are integers from 0"});
  expect_error("  - op: probe\n    bands: []\n", "job.yaml:4:12: ", {"non-empty list"});
}

TEST_F(SchemaTest, Neighbourhood) {
  Job j = load("  - op: focal\n    neighborhood: circle\n    radius: 2.5\n");
  EXPECT_EQ(args<NeighbourhoodArgs>(j).n, (Neighbourhood{NeighbourhoodShape::Circle, 1, 2.5}));
  j = load("  - op: focal\n    neighbourhood: Annulus\n    param_1: 1\n    param_2: 3\n");
  const Neighbourhood& a = args<NeighbourhoodArgs>(j).n;
  EXPECT_EQ(a.shape, NeighbourhoodShape::Annulus);
  EXPECT_EQ(a.inner, 1.0);
  EXPECT_EQ(a.outer, 3.0);
  j = load("  - op: focal\n    neighborhood: {shape: wedge, radius: 3, start_angle: 0, end_angle: 90}\n");
  EXPECT_EQ(args<NeighbourhoodArgs>(j).n.end_angle, 90.0);
  j = load("  - op: focal\n    neighborhood: square\n    param_1: 2.7\n");  // GeoPySpark's int(param_1)
  EXPECT_EQ(args<NeighbourhoodArgs>(j).n.extent, 2);
  expect_error("  - op: focal\n    neighborhood: sqaure\n    extent: 1\n",
               "job.yaml:4:19: step 'focal-1' (focal): parameter 'neighborhood': ",
               {"unknown neighborhood 'sqaure'", "did you mean 'square'"});
  expect_error("  - op: focal\n    neighborhood: circle\n",
               "job.yaml:3:5: ", {"a circle neighborhood needs `radius` (or param_1)"});
  expect_error("  - op: focal\n    neighborhood: square\n    extent: 1\n    radius: 2\n",
               "job.yaml:6:13: step 'focal-1' (focal): parameter 'radius': ",
               {"does not apply to a square neighborhood"});
  expect_error("  - op: focal\n    neighborhood: circle\n    radius: 2\n    param_1: 2\n",
               "job.yaml:6:14: ", {"give `radius` or `param_1`, not both"});
  expect_error("  - op: focal\n    neighborhood: square\n    extent: 1.5\n", "job.yaml:5:13: ", {"integer"});
  expect_error("  - op: focal\n    neighborhood: circle\n    radius: -1\n",
               "job.yaml:5:13: ", {"must be between 0 and 10000"});
}

TEST_F(SchemaTest, Expression) {
  const std::string head =
      "  - id: a\n    op: probe\n  - id: b\n    op: probe\n  - op: calc\n    inputs: {nir: a, red: b}\n";
  Job j = load(head + "    expression: \"(nir - red) / (nir + red[1])\"\n");
  const Expression& e = args<CalcArgs>(j, 2).expression;
  EXPECT_EQ(e.inputs_used(), (std::vector<std::string>{"nir", "red"}));
  EXPECT_EQ(e.root().name, "/");
  // The column inside the expression (quoted: one past the quote).
  expect_error(head + "    expression: \"(nri - red) / (nir + red)\"\n",
               "job.yaml:9:19: step 'calc-3' (calc): parameter 'expression': ",
               {"unknown name 'nri' (did you mean 'nir'?)"});
  expect_error(head + "    expression: nir + sqr(red)\n",
               "job.yaml:9:23: ", {"unknown function 'sqr'", "'sqrt'"});
  expect_error(head + "    expression: pow(nir)\n", "job.yaml:9:17: ", {"pow() takes 2 argument(s), got 1"});
  expect_error(head + "    expression: (nir + red\n", "job.yaml:9:27: ", {"missing ')'"});
  expect_error(head + "    expression: nir[0]\n",
               "job.yaml:9:21: ", {"a band number is a whole number from 1"});
}

}  // namespace
}  // namespace trellis::job
