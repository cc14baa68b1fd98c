// write_catalog / read_catalog end to end: round trips of every cell type, multiband, every index,
// floating and zoomed layouts on 1-4 ranks (the read-back layer stitched equals the written layer
// stitched; catalog files identical across rank counts); queries open exactly the expected files;
// existing layers are refused at validation; a write killed with SIGKILL leaves no layer; the real
// GeoTrellis-written catalog is read.
#include "io/catalog/catalog.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <regex>
#include <thread>

#include "e2e/e2e_util.hpp"
#include "io/catalog/tile_codec.hpp"

namespace trellis::test {
namespace {

// Every file of a catalog folder (relative path -> bytes).
std::map<std::string, std::string> catalog_files(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = read_file(e.path());
  return out;
}

// A random raster with NoData holes.
void make_raster(const fs::path& p, const std::string& gdal_type, int cols, int rows, int bands,
                 double nodata, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> v(0, 200);
  std::vector<std::vector<double>> cells(bands, std::vector<double>(static_cast<std::size_t>(cols) * rows));
  for (auto& b : cells)
    for (auto& c : b)
      c = v(rng) < 20 ? nodata
                      : v(rng) - (gdal_type.find("Int") == 0 ? 100 : 0) + 0.25 * (gdal_type[0] == 'F');
  write_raster(p, gdal_type, cols, rows, bands, {500000, 30, 0, 4100000, 0, -30}, "EPSG:32633", nodata,
               cells);
}

int count_opened(const std::string& err) {
  std::smatch m;
  static const std::regex re("([0-9]+) tile file\\(s\\) opened");
  return std::regex_search(err, m, re) ? std::stoi(m[1]) : -1;
}

struct RoundTrip {
  const char* gdal_type;
  const char* cell_type;  // tile_to_layout's cell_type ("" : the file's)
  int bands;
  double nodata;
};

const RoundTrip kRoundTrips[] = {{"Byte", "", 1, 0},
                                 {"Byte", "int8", 1, 0},
                                 {"UInt16", "", 2, 0},
                                 {"Int16", "", 1, -9999},
                                 {"Int32", "", 3, -1},
                                 {"Float32", "", 1, -9999},
                                 {"Float64", "", 2, -9999},
                                 {"Byte", "bool", 1, 0},
                                 {"Int16", "int16raw", 1, -9999},
                                 {"Float32", "float32", 1, -9999}};

class CatalogRoundTrip : public testing::TestWithParam<RoundTrip> {};

// One cell type: every index, 1-4 ranks.
TEST_P(CatalogRoundTrip, EveryIndexOnOneToFourRanks) {
  const RoundTrip& c = GetParam();
  TempDir dir;
  make_raster(dir / "in.tif", c.gdal_type, 150, 97, c.bands, c.nodata, 7);
  for (const char* index : {"zorder", "hilbert", "rowmajor"}) {
    SameOnEveryRankCount same_stitched;
    std::map<std::string, std::string> first;
    for (int np = 1; np <= 4; ++np) {
      fs::remove_all(dir / "cat");
      std::string cell = *c.cell_type ? std::string("    cell_type: ") + c.cell_type + "\n" : "";
      const RunResult r =
          run_job_text(dir,
                       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
                       "  - id: tiled\n    op: tile_to_layout\n    tile_size: 32\n" +
                           cell +
                           "  - op: write_geotiff\n    input: tiled\n    uri: direct.tif\n"
                           "  - op: write_catalog\n    input: tiled\n    uri: cat\n    layer_name: l\n"
                           "    index_strategy: " +
                           index +
                           "\n  - id: back\n    op: read_catalog\n    uri: cat\n    layer_name: l\n"
                           "  - op: write_geotiff\n    input: back\n    uri: back.tif\n",
                       np);
      ASSERT_EQ(r.status, 0) << c.gdal_type << " " << c.cell_type << " " << index << " np=" << np << "\n"
                             << r.err;
      std::string why;
      EXPECT_TRUE(same_cells(read_raster(dir / "direct.tif"), read_raster(dir / "back.tif"), &why))
          << c.gdal_type << " " << c.cell_type << " " << index << " np=" << np << ": " << why;
      EXPECT_EQ(read_file(dir / "direct.tif"), read_file(dir / "back.tif"));
      same_stitched.check(dir / "back.tif", np);
      const auto files = catalog_files(dir / "cat");
      if (np == 1) {
        first = files;
        EXPECT_GT(files.size(), 2u);
      } else {
        EXPECT_TRUE(files == first) << c.gdal_type << " " << index << ": catalog on " << np
                                    << " ranks differs";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(CellTypes, CatalogRoundTrip, testing::ValuesIn(kRoundTrips),
                         [](const testing::TestParamInfo<RoundTrip>& i) {
                           return std::string(i.param.gdal_type) + (*i.param.cell_type ? "_" : "") +
                                  i.param.cell_type + "_" + std::to_string(i.param.bands) + "bands";
                         });

// Shared writing: noise in the west half (slow to compress), a constant in the east (fast); with check-ins
// every 20 ms (several of the fast ranks' batches of tiles, one of the slow ones': a fast rank idles
// before the slow one is done even on a loaded machine), ranks ship tiles to each other, and the catalog
// is the one rank's, file for file.
TEST(Catalog, SharedWritingWritesTheCatalogOfOneRank) {
  TempDir dir;
  const int cols = 2000, rows = 700;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> noise(-1000, 1000);
  std::vector<double> cells(static_cast<std::size_t>(cols) * rows);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      cells[static_cast<std::size_t>(r) * cols + c] = c < cols / 2 ? noise(rng) : 3.0;
  write_raster(dir / "in.tif", "Float32", cols, rows, 1, {0, 1, 0, 700, 0, -1}, "EPSG:3857", std::nullopt,
               {cells});
  auto job = [](int share_ms) {
    return "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n"
           "    tile_size: 128\n  - op: write_catalog\n    uri: cat\n    layer_name: s\n    share_ms: " +
           std::to_string(share_ms) + "\n";
  };
  auto r1 = run_job_text(dir, job(0), 1);
  ASSERT_EQ(r1.status, 0) << r1.err;
  const auto want = catalog_files(dir / "cat");
  EXPECT_GT(want.size(), 50u);
  long shipped = 0;
  for (int np : {2, 3, 4}) {
    fs::remove_all(dir / "cat");
    auto r = run_job_text(dir, job(20), np, "--log-level debug");
    ASSERT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    EXPECT_TRUE(catalog_files(dir / "cat") == want) << "np " << np << ": not the catalog of one rank";
    // Each rank's line: "write_catalog: wrote N own and M other tile file(s), B bytes; shipped K ...".
    const SharedCounts s = shared_counts(r.err, "write_catalog: wrote ");
    EXPECT_EQ(s.ranks, np) << r.err;
    EXPECT_EQ(s.foreign, s.shipped) << "np " << np << ": every shipped tile is written once";
    shipped += s.shipped;
  }
  EXPECT_GT(shipped, 0) << "no rank shipped a tile: the sharing path was not exercised";
  // Without sharing, the same catalog, each rank writing its own tiles.
  fs::remove_all(dir / "cat");
  auto r0 = run_job_text(dir, job(0), 3, "--log-level debug");
  ASSERT_EQ(r0.status, 0) << r0.err;
  EXPECT_TRUE(catalog_files(dir / "cat") == want);
  EXPECT_EQ(shared_counts(r0.err, "write_catalog: wrote ").shipped, 0);
}

// The catalog's tiles decode by an independent path: the schema stored in the metadata attribute, zlib
// and the layer's index, and the metadata says what GeoTrellis needs.
TEST(Catalog, WrittenCatalogFollowsTheSpec) {
  TempDir dir;
  make_raster(dir / "in.tif", "Int16", 100, 70, 1, -9999, 3);
  const RunResult r = run_job_text(dir,
                                   "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
                                   "  - op: tile_to_layout\n    tile_size: 32\n"
                                   "  - op: write_catalog\n    uri: file://" +
                                       (dir / "cat").string() + "\n    layer_name: dem\n",
                                   2);
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json md = read_json(dir / "cat/attributes/dem__.__0__.__metadata.json");
  ASSERT_TRUE(md.is_array());
  EXPECT_EQ(md[0], (nlohmann::json{{"name", "dem"}, {"zoom", 0}}));
  const auto& v = md[1];
  EXPECT_EQ(v["header"]["format"], "file");
  EXPECT_EQ(v["header"]["keyClass"], "geotrellis.spark.SpatialKey");
  EXPECT_EQ(v["header"]["valueClass"], "geotrellis.raster.Tile");
  EXPECT_EQ(v["header"]["path"], "dem/0");
  EXPECT_EQ(v["metadata"]["cellType"], "int16ud-9999");
  EXPECT_FALSE(v["metadata"].contains("tileLayout"));  // only inside layoutDefinition
  EXPECT_EQ(v["metadata"]["layoutDefinition"]["tileLayout"],
            (nlohmann::json{{"layoutCols", 4}, {"layoutRows", 3}, {"tileCols", 32}, {"tileRows", 32}}));
  EXPECT_EQ(v["keyIndex"]["type"], "zorder");
  const std::string crs = v["metadata"]["crs"];
  EXPECT_EQ(crs.back(), ' ');
  EXPECT_NE(crs.find("+proj=utm +zone=33"), std::string::npos) << crs;
  if (const auto shared = shared_dir()) {
    EXPECT_EQ(v["schema"].dump(),
              nlohmann::json::parse(read_file(*shared / "spec/schemas/v2-spatial-tile.json")).dump());
  }
  // Every tile: file name = zero-padded Z2 index (width of maxKey (3,2): index 14, 2 digits).
  const Raster in = read_raster(dir / "in.tif");
  int tiles = 0;
  for (const auto& e : fs::directory_iterator(dir / "cat/dem/0")) {
    const std::string name = e.path().filename().string();
    ASSERT_EQ(name.size(), 2u) << name;
    const io::catalog::TileDecoder dec(nlohmann::ordered_json::parse(
        read_file(dir / "cat/attributes/dem__.__0__.__metadata.json"))[1]["schema"]);
    const auto pairs = dec.decode(
        std::span(reinterpret_cast<const std::byte*>(read_file(e.path()).data()), fs::file_size(e.path())));
    ASSERT_EQ(pairs.size(), 1u);
    const auto& [k, t] = pairs[0];
    EXPECT_EQ(encode_index_filename(z2_index(k.col, k.row), 2), name);
    for (int r = 0; r < 32; ++r)
      for (int c = 0; c < 32; ++c) {
        const int gc = k.col * 32 + c, gr = k.row * 32 + r;
        const double want = gc < 100 && gr < 70 ? in.at(0, gc, gr) : std::nan("");
        const double got = t.get(0, c, r);
        ASSERT_TRUE((std::isnan(want) && std::isnan(got)) || want == got) << name << " " << c << "," << r;
      }
    ++tiles;
  }
  EXPECT_EQ(tiles, 12);
}

TEST(Catalog, ZoomedPyramidLevelsReadBack) {
  TempDir dir;
  make_raster(dir / "in.tif", "Float32", 300, 200, 1, -9999, 5);
  for (int np : {1, 3}) {
    fs::remove_all(dir / "cat");
    const RunResult r =
        run_job_text(dir,
                     "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
                     "  - op: tile_to_layout\n    tile_size: 64\n"
                     "  - op: reproject\n    target_crs: EPSG:3857\n    scheme: zoom\n    tile_size: 64\n"
                     "  - id: p\n    op: pyramid\n    end_zoom: 9\n"
                     "  - op: write_geotiff\n    input: p\n    uri: z{zoom}.tif\n"
                     "  - op: write_catalog\n    input: p\n    uri: cat\n    layer_name: p\n",
                     np);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto layers = io::catalog::Catalog((dir / "cat").string()).layers();
    ASSERT_GE(layers.size(), 2u);
    for (const auto& l : layers) {
      const std::string z = std::to_string(l.zoom);
      const RunResult b =
          run_job_text(dir,
                       "version: 1\nsteps:\n  - op: read_catalog\n    uri: cat\n    layer_name: p\n"
                       "    layer_zoom: " +
                           z + "\n  - op: write_geotiff\n    uri: back" + z + ".tif\n",
                       np);
      ASSERT_EQ(b.status, 0) << b.err;
      EXPECT_EQ(read_file(dir / ("back" + z + ".tif")), read_file(dir / ("z" + z + ".tif"))) << "zoom " << z;
    }
  }
}

TEST(Catalog, QueriesOpenOnlyTheirTiles) {
  TempDir dir;
  make_raster(dir / "in.tif", "Int16", 320, 320, 1, -9999, 9);
  ASSERT_EQ(run_job_text(dir,
                         "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
                         "  - id: t\n    op: tile_to_layout\n    tile_size: 32\n"
                         "  - op: write_geotiff\n    uri: all.tif\n"
                         "  - op: write_catalog\n    input: t\n    uri: cat\n    layer_name: q\n"
                         "    index_strategy: hilbert\n",
                         1)
                .status,
            0);
  // Cells are 30 m from (500000, 4100000): tile (c, r) covers x 500000 + 960 c .. + 960, y down from the top.
  struct Query {
    std::string yaml;
    int files;
    std::vector<std::pair<int, int>> missing;  // tiles (col, row) of the window the query leaves out
  };
  const Query queries[] = {
      // tiles 2..3 x 1..2: 4 tiles
      {"    extent: [502000, 4097200, 503800, 4098500]\n", 4, {}},
      // a point-sized extent inside tile (5, 5)
      {"    extent: [504900, 4094300, 504910, 4094310]\n", 1, {}},
      // a triangle whose envelope covers tiles 0..2 x 0..2; its hypotenuse dx + dy = 2900 m (from the
      // north-west corner) misses only tile (2, 2), whose nearest corner is at 3840 m
      {"    intersects: \"POLYGON ((500100 4099900, 502800 4099900, 500100 4097200, 500100 4099900))\"\n",
       8,
       {{2, 2}}},
  };
  for (int np = 1; np <= 4; ++np)
    for (const auto& q : queries) {
      const RunResult r =
          run_job_text(dir,
                       "version: 1\nsteps:\n  - op: query\n    uri: cat\n    layer_name: q\n" + q.yaml +
                           "  - op: write_geotiff\n    uri: part.tif\n",
                       np);
      ASSERT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(count_opened(r.err), q.files) << q.yaml << " np=" << np;
      // The part equals the same window of the whole.
      const Raster part = read_raster(dir / "part.tif"), all = read_raster(dir / "all.tif");
      const int c0 = static_cast<int>(std::lround((part.gt[0] - all.gt[0]) / 30)),
                r0 = static_cast<int>(std::lround((all.gt[3] - part.gt[3]) / 30));
      for (int r = 0; r < part.rows; ++r)
        for (int c = 0; c < part.cols; ++c) {
          const double a = part.at(0, c, r), b = all.at(0, c0 + c, r0 + r);
          const bool left_out =
              std::find(q.missing.begin(), q.missing.end(),
                        std::pair<int, int>((c0 + c) / 32, (r0 + r) / 32)) != q.missing.end();
          if (left_out) {
            ASSERT_TRUE(std::isnan(a)) << q.yaml << " " << c << "," << r;
          } else {
            ASSERT_TRUE((std::isnan(a) && std::isnan(b)) || a == b) << q.yaml << " " << c << "," << r;
          }
        }
    }
}

TEST(Catalog, AnExistingLayerIsRefusedAtValidationUnlessOverwrite) {
  TempDir dir;
  make_raster(dir / "in.tif", "Byte", 40, 40, 1, 0, 1);
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
      "  - op: tile_to_layout\n    tile_size: 16\n"
      "  - op: write_catalog\n    uri: cat\n    layer_name: x\n";
  ASSERT_EQ(run_job_text(dir, job, 1).status, 0);
  const auto before = catalog_files(dir / "cat");
  for (int np : {1, 2}) {
    const RunResult r = run_job_text(dir, job, np);
    EXPECT_EQ(r.status, 2) << r.err;
    const auto lines = trellis_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(lines[0].find("job.yaml:9:"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("already has layer 'x' at zoom 0"), std::string::npos) << lines[0];
    EXPECT_TRUE(catalog_files(dir / "cat") == before);
  }
  const RunResult r = run_job_text(dir, job + "    overwrite: true\n", 2);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(catalog_files(dir / "cat") == before);
}

TEST(Catalog, BadQueriesAndCollisionsAreRefusedAtValidation) {
  TempDir dir;
  make_raster(dir / "in.tif", "Byte", 40, 40, 1, 0, 1);
  ASSERT_EQ(run_job_text(dir,
                         "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n"
                         "  - op: write_catalog\n    uri: cat\n    layer_name: x\n",
                         1)
                .status,
            0);
  struct Bad {
    std::string steps;
    std::string place, message;
  };
  const Bad bads[] = {
      {"  - op: read_catalog\n    uri: cat\n    layer_name: y\n",
       "job.yaml:5:", "has no layer 'y' at zoom 0 (it has: x zoom 0)"},
      {"  - op: read_catalog\n    uri: nothere\n    layer_name: x\n", "job.yaml:4:", "does not exist"},
      {"  - op: read_catalog\n    uri: cat\n    layer_name: x\n    extent: [0, 0, 1, 1]\n",
       "job.yaml:6:", "the query meets none of the layer's tiles"},
      {"  - op: read_catalog\n    uri: gs://bucket/cat\n    layer_name: x\n",
       "job.yaml:4:", "'gs://' catalogs are not supported"},
      {"  - id: r\n    op: read_catalog\n    uri: cat\n    layer_name: x\n"
       "  - op: write_catalog\n    input: r\n    uri: cat\n    layer_name: x\n    overwrite: true\n",
       "job.yaml:9:", "an output may not overwrite an input"},
      {"  - id: r\n    op: read_catalog\n    uri: cat\n    layer_name: x\n"
       "  - op: write_catalog\n    input: r\n    uri: c2\n    layer_name: bad__.__name\n",
       "job.yaml:10:", "not a layer name"},
  };
  for (const auto& b : bads) {
    const RunResult r = run_job_text(dir, "version: 1\nsteps:\n" + b.steps, 2);
    EXPECT_EQ(r.status, 2) << b.steps << r.err;
    const auto lines = trellis_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(lines[0].find(b.place), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(b.message), std::string::npos) << lines[0];
  }
  EXPECT_FALSE(fs::exists(dir / "c2"));
}

// read_value gives one tile (as JSON and as a layer), `trellis info` lists the layers, delete_layer
// removes one zoom and then the rest. (The floating layout's pyramid: base zoom 3, then 2 and 1.)
TEST(Catalog, ReadValueInfoAndDeleteLayer) {
  TempDir dir;
  make_raster(dir / "in.tif", "Int16", 70, 50, 1, -9999, 4);
  ASSERT_EQ(run_job_text(dir,
                         "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
                         "  - id: t\n    op: tile_to_layout\n    tile_size: 16\n"
                         "  - op: write_geotiff\n    uri: all.tif\n"
                         "  - id: p\n    op: pyramid\n    input: t\n    end_zoom: 1\n"
                         "  - op: write_catalog\n    input: p\n    uri: cat\n    layer_name: v\n",
                         2)
                .status,
            0);
  const RunResult info = run_trellis("info " + (dir / "cat").string());
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("layer v zoom 3: int16ud-9999, single band, spatial, 20 tile(s) stored, layout 5x4 "
                          "tiles of 16x16 cells"),
            std::string::npos)
      << info.out;
  EXPECT_NE(info.out.find("layer v zoom 1:"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("layer v zoom 2:"), std::string::npos) << info.out;
  for (int np : {1, 3}) {
    const RunResult r =
        run_job_text(dir,
                     "version: 1\nsteps:\n  - op: read_value\n    uri: cat\n    layer_name: v\n"
                     "    zoom: 3\n    col: 4\n    row: 1\n    output: tile.json\n"
                     "  - op: write_geotiff\n    uri: tile.tif\n",
                     np);
    ASSERT_EQ(r.status, 0) << r.err;
    const nlohmann::json j = read_json(dir / "tile.json");
    EXPECT_EQ(j["col"], 4);
    EXPECT_EQ(j["row"], 1);
    EXPECT_EQ(j["cell_type"], "int16ud-9999");
    const Raster all = read_raster(dir / "all.tif"), tile = read_raster(dir / "tile.tif");
    ASSERT_EQ(tile.cols, 6);  // the data's last 6 columns (70 = 4 x 16 + 6)
    for (int r = 0; r < 16; ++r)
      for (int c = 0; c < 16; ++c) {
        const double want = c < 6 ? all.at(0, 64 + c, 16 + r) : std::nan("");
        const nlohmann::json& got = j["bands"][0][r][c];
        if (std::isnan(want)) {
          EXPECT_TRUE(got.is_null()) << c << "," << r;
        } else {
          EXPECT_EQ(got.get<double>(), want) << c << "," << r;
          EXPECT_EQ(tile.at(0, c, r), want);
        }
      }
  }
  RunResult d = run_job_text(
      dir, "version: 1\nsteps:\n  - op: delete_layer\n    uri: cat\n    layer_name: v\n    zoom: 3\n", 2);
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_FALSE(fs::exists(dir / "cat/v/3"));
  EXPECT_FALSE(fs::exists(dir / "cat/attributes/v__.__3__.__metadata.json"));
  EXPECT_TRUE(fs::exists(dir / "cat/v/1"));
  d = run_job_text(
      dir, "version: 1\nsteps:\n  - op: delete_layer\n    uri: cat\n    layer_name: v\n    zoom: 3\n", 1);
  EXPECT_EQ(d.status, 2) << d.err;
  EXPECT_NE(d.err.find("has no layer 'v' at zoom 3"), std::string::npos) << d.err;
  d = run_job_text(dir, "version: 1\nsteps:\n  - op: delete_layer\n    uri: cat\n    layer_name: v\n", 1);
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_TRUE(io::catalog::Catalog((dir / "cat").string()).layers().empty());
  EXPECT_FALSE(fs::exists(dir / "cat/v/1"));
}

// The HDF5 store (hdf5://): every cell type reads back equal to the layer written, on 1-4 ranks, ranks
// with no tile included; a pyramid is one file; h5py reads the tiles; an existing file is refused.
TEST(Catalog, Hdf5StoreRoundTripsOnOneToFourRanks) {
  TempDir dir;
  const RoundTrip cases[] = {{"Int16", "", 1, -9999},
                             {"Float32", "", 1, -9999},
                             {"UInt16", "", 2, 0},
                             {"Byte", "uint8raw", 1, 0},
                             {"Float64", "", 3, -9999}};
  for (const auto& c : cases) {
    make_raster(dir / "in.tif", c.gdal_type, 90, 70, c.bands, c.nodata, 13);
    const std::string cell = *c.cell_type ? std::string("    cell_type: ") + c.cell_type + "\n" : "";
    for (int np = 1; np <= 4; ++np) {
      fs::remove(dir / "l.h5");
      const RunResult r =
          run_job_text(dir,
                       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n"
                       "  - id: t\n    op: tile_to_layout\n    tile_size: 32\n" +
                           cell +
                           "  - op: write_geotiff\n    input: t\n    uri: direct.tif\n"
                           "  - op: write_catalog\n    input: t\n    uri: hdf5://l.h5\n    layer_name: l\n"
                           "  - id: back\n    op: read_catalog\n    uri: hdf5://l.h5\n    layer_name: l\n"
                           "  - op: write_geotiff\n    input: back\n    uri: back.tif\n",
                       np);
      ASSERT_EQ(r.status, 0) << c.gdal_type << " np=" << np << "\n" << r.err;
      EXPECT_EQ(read_file(dir / "direct.tif"), read_file(dir / "back.tif")) << c.gdal_type << " np=" << np;
      EXPECT_NE(r.err.find("HDF5 chunk(s) read"), std::string::npos);
    }
  }
  // h5py reads tile (1, 1) of the last layer: band 2, cell (3, 4) is the raster's cell (35, 36).
  const RunResult py =
      run_command("/usr/bin/python3 -c \"import h5py; g=h5py.File('" + (dir / "l.h5").string() +
                  "')['l/0']; t=g['tiles'][1,1]; print(t.shape, g.attrs['cell_type'], len(g['keys']), "
                  "repr(float(t[2,4,3])))\"");
  if (py.status == 0) {
    const Raster in = read_raster(dir / "in.tif");
    EXPECT_NE(py.out.find("(3, 32, 32) float64ud-9999.0 9"), std::string::npos) << py.out;
    const double v = in.at(2, 35, 36);
    EXPECT_NE(py.out.find(std::isnan(v) ? std::string("-9999.0") : nlohmann::json(v).dump()),
              std::string::npos)
        << py.out << " want " << v;
  } else {
    std::printf("[ info ] h5py not available: %s\n", py.err.c_str());
  }
  // A pyramid in one file; on 4 ranks a two-tile layer leaves ranks with nothing to write.
  make_raster(dir / "small.tif", "Int16", 40, 20, 1, -9999, 2);
  const std::string pyr =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: small.tif\n"
      "  - op: tile_to_layout\n    tile_size: 32\n  - id: p\n    op: pyramid\n"
      "  - op: write_catalog\n    uri: hdf5://p.h5\n    layer_name: p\n";
  RunResult r = run_job_text(dir, pyr, 4);
  ASSERT_EQ(r.status, 0) << r.err;
  const RunResult info = run_trellis("info " + (dir / "p.h5").string());
  EXPECT_NE(info.out.find("layer p zoom 1: int16ud-9999, single band, spatial, 2 tile(s) stored"),
            std::string::npos)
      << info.out;
  EXPECT_NE(info.out.find("layer p zoom 0: int16ud-9999, single band, spatial, 1 tile(s) stored"),
            std::string::npos)
      << info.out;
  r = run_job_text(dir, pyr, 2);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("exists: an HDF5 catalog is written whole"), std::string::npos) << r.err;
}

// A write killed with SIGKILL while it writes tiles leaves no layer: the metadata attribute comes last.
TEST(Catalog, AKilledWriteLeavesNoLayer) {
  TempDir dir;
  make_raster(dir / "in.tif", "Float64", 3000, 3000, 1, -9999, 11);
  write_file(
      dir / "job.yaml",
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    tile_size: 64\n"
      "  - op: write_catalog\n    uri: cat\n    layer_name: k\n");
  // Killed as soon as it has written some tile files.
  ASSERT_TRUE(run_and_kill_when(dir / "job.yaml", [&] {
    std::error_code ec;
    return fs::exists(dir / "cat/k/0", ec) &&
           std::distance(fs::directory_iterator(dir / "cat/k/0", ec), fs::directory_iterator()) > 3;
  })) << "the job ended before it could be killed, or was not killed by SIGKILL";
  EXPECT_FALSE(io::catalog::Catalog((dir / "cat").string()).layer_exists({"k", 0}));
  const RunResult r =
      run_job_text(dir, "version: 1\nsteps:\n  - op: read_catalog\n    uri: cat\n    layer_name: k\n", 1);
  EXPECT_EQ(r.status, 2) << r.err;
}

TEST(Catalog, ReadsTheGeoTrellisWrittenCatalog) {
  TRELLIS_REQUIRE_SHARED();
  TempDir dir;
  const fs::path cat = *shared_dir() / "data/geotrellis-catalog/catalog";
  // Key (10, 4): the fixture's tile 0100 (its first cell is 26119, spec 3.5).
  for (int np : {1, 2}) {
    const RunResult r =
        run_job_text(dir,
                     "version: 1\nsteps:\n  - op: query\n    uri: " + cat.string() +
                         "\n    layer_name: landsat\n    extent: [139.65, 36.75, 139.66, 36.76]\n"
                         "  - op: write_geotiff\n    uri: t.tif\n",
                     np);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(count_opened(r.err), 1);
    const Raster t = read_raster(dir / "t.tif");
    ASSERT_EQ(t.cols, 256);
    ASSERT_EQ(t.rows, 256);
    EXPECT_EQ(t.at(0, 0, 0), 26119);
    EXPECT_EQ(t.gdal_type, "UInt16");
  }
}

}  // namespace
}  // namespace trellis::test
