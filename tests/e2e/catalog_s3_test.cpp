// Catalogs and GeoTIFFs on S3, against a real S3-compatible server on loopback (s3_server.hpp): a layer
// written to s3:// holds the same tiles, byte for byte, as the same layer in a file catalog, under
// GeoTrellis' S3 names, on 1-4 ranks; it reads back cell for cell; queries read only the tiles they
// need; info and delete_layer work on it; read_geotiff and write_geotiff take s3:// and /vsis3/ paths;
// every refusal happens at validation with its place in the job.
#include <regex>

#include "core/error.hpp"
#include "e2e/e2e_util.hpp"
#include "e2e/s3_server.hpp"
#include "io/object_store.hpp"

namespace trellis::test {
namespace {

// A random raster of `bands` bands with NoData holes, in UTM.
void make_input(const fs::path& p, const std::string& gdal_type, int cols, int rows, int bands) {
  std::vector<std::vector<double>> cells(bands, std::vector<double>(static_cast<std::size_t>(cols) * rows));
  unsigned x = 12345;
  for (auto& b : cells)
    for (auto& c : b) {
      x = x * 1103515245u + 12345u;
      c = (x >> 16) % 10 == 0 ? 0 : 1 + static_cast<double>((x >> 8) % 1000);
    }
  write_raster(p, gdal_type, cols, rows, bands, {500000, 30, 0, 4100000, 0, -30}, "EPSG:32633", 0, cells);
}

// Every file of a folder (relative path -> bytes).
std::map<std::string, std::string> files_under(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = read_file(e.path());
  return out;
}

int count_read(const std::string& err, const std::string& what) {
  std::smatch m;
  const std::regex re("([0-9]+) " + what);
  return std::regex_search(err, m, re) ? std::stoi(m[1]) : -1;
}

const std::string kHead = "version: 1\nsteps:\n";

std::string s3(const std::string& key) {
  return std::string("s3://") + S3Server::kBucket + "/" + key;
}

// The same multiband layer to a file catalog and to S3 on 1-4 ranks: the tile objects are the file
// catalog's tile files byte for byte, named as GeoTrellis' S3 store names them; the metadata attribute
// differs only in its header; the layer reads back cell for cell.
TEST(S3Catalog, SameTilesAsAFileCatalogOnOneToFourRanks) {
  TRELLIS_REQUIRE_S3(server);
  TempDir dir;
  make_input(dir / "in.tif", "UInt16", 150, 97, 2);
  std::map<std::string, std::string> first;
  for (int np = 1; np <= 4; ++np) {
    const std::string prefix = "cats/np" + std::to_string(np);
    fs::remove_all(dir / "cat");
    const RunResult r = run_job_text(
        dir,
        kHead +
            "  - id: in\n    op: read_geotiff\n    uri: in.tif\n"
            "  - id: tiled\n    op: tile_to_layout\n    input: in\n    tile_size: 32\n"
            "  - op: write_geotiff\n    input: tiled\n    uri: direct.tif\n"
            "  - op: write_catalog\n    input: tiled\n    uri: cat\n    layer_name: l\n    index_strategy: "
            "hilbert\n"
            "  - op: write_catalog\n    input: tiled\n    uri: " +
            s3(prefix) +
            "\n    layer_name: l\n    index_strategy: hilbert\n"
            "  - id: back\n    op: read_catalog\n    uri: " +
            s3(prefix) + "\n    layer_name: l\n  - op: write_geotiff\n    input: back\n    uri: back.tif\n",
        np);
    ASSERT_EQ(r.status, 0) << "np=" << np << "\n" << r.err;
    EXPECT_EQ(read_file(dir / "direct.tif"), read_file(dir / "back.tif")) << "np=" << np;

    const auto files = files_under(dir / "cat");
    const auto objects = server.objects(prefix);
    ASSERT_EQ(objects.size(), files.size()) << "np=" << np;
    std::size_t tiles = 0;
    for (const auto& [name, bytes] : files) {
      if (name.rfind("attributes/", 0) == 0) continue;
      ASSERT_TRUE(objects.count(name)) << name << " is not on S3";
      EXPECT_TRUE(objects.at(name) == bytes) << name << " differs";
      ++tiles;
    }
    EXPECT_EQ(tiles, 20u);  // 5 x 4 tiles of 32 cells
    // GeoTrellis' S3AttributeStore names: _attributes/<attribute>__<name>__<zoom>.json.
    ASSERT_TRUE(objects.count("_attributes/metadata__l__0.json"));
    const auto s3md = nlohmann::json::parse(objects.at("_attributes/metadata__l__0.json"));
    const auto filemd = nlohmann::json::parse(files.at("attributes/l__.__0__.__metadata.json"));
    EXPECT_EQ(s3md[0], filemd[0]);
    EXPECT_EQ(s3md[1]["header"], (nlohmann::json{{"keyClass", "geotrellis.spark.SpatialKey"},
                                                 {"valueClass", "geotrellis.raster.MultibandTile"},
                                                 {"bucket", S3Server::kBucket},
                                                 {"key", prefix + "/l/0"},
                                                 {"layerType", "AvroLayerType"},
                                                 {"format", "s3"}}));
    for (const char* part : {"metadata", "keyIndex", "schema"})
      EXPECT_EQ(s3md[1][part], filemd[1][part]) << part;
    // Tile objects are identical whatever the number of ranks.
    std::map<std::string, std::string> tiles_only;
    for (const auto& [k, v] : objects)
      if (k.rfind("_attributes/", 0) != 0) tiles_only[k] = v;
    if (np == 1)
      first = tiles_only;
    else
      EXPECT_TRUE(tiles_only == first) << "tile objects on " << np << " ranks differ from 1 rank";
  }
}

// A pyramid on S3: `trellis info` lists it, a query reads exactly the tiles a file catalog opens for
// it, and delete_layer removes one zoom, then all, leaving no object behind.
TEST(S3Catalog, QueryInfoAndDelete) {
  TRELLIS_REQUIRE_S3(server);
  TempDir dir;
  make_input(dir / "in.tif", "Float32", 300, 200, 1);
  RunResult r =
      run_job_text(dir,
                   kHead +
                       "  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    tile_size: 64\n"
                       "  - op: reproject\n    target_crs: EPSG:3857\n    scheme: zoom\n    tile_size: 64\n"
                       "  - id: p\n    op: pyramid\n    end_zoom: 9\n"
                       "  - op: write_catalog\n    input: p\n    uri: cat\n    layer_name: p\n"
                       "  - op: write_catalog\n    input: p\n    uri: " +
                       s3("pyr") + "\n    layer_name: p\n",
                   2);
  ASSERT_EQ(r.status, 0) << r.err;

  const RunResult info = run_trellis("info " + s3("pyr"));
  ASSERT_EQ(info.status, 0) << info.err;
  const RunResult file_info = run_trellis("info " + (dir / "cat").string());
  EXPECT_NE(info.out.find("catalog:    " + s3("pyr")), std::string::npos) << info.out;
  // The same layers, zooms and tile counts as the file catalog's.
  auto layer_lines = [](const std::string& out) { return out.substr(out.find('\n') + 1); };
  EXPECT_EQ(layer_lines(info.out), layer_lines(file_info.out));
  EXPECT_NE(info.out.find("layer p zoom 9:"), std::string::npos) << info.out;

  // The most detailed zoom, and a query meeting part of it.
  std::string zoom;
  int stored = 0;
  const std::regex line("layer p zoom ([0-9]+): .*, ([0-9]+) tile\\(s\\) stored");
  for (auto it = std::sregex_iterator(info.out.begin(), info.out.end(), line); it != std::sregex_iterator();
       ++it)
    zoom = (*it)[1], stored = std::stoi((*it)[2]);
  ASSERT_GT(stored, 4) << info.out;
  int opened[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const std::string uri = i == 0 ? std::string("cat") : s3("pyr");
    r = run_job_text(dir,
                     kHead + "  - op: read_catalog\n    uri: " + uri +
                         "\n    layer_name: p\n    layer_zoom: " + zoom +
                         "\n    extent: [15.0, 36.99, 15.03, 37.01]\n    query_crs: EPSG:4326\n"
                         "  - op: write_geotiff\n    uri: " +
                         (i == 0 ? "q-file.tif" : "q-s3.tif") + "\n",
                     1);
    ASSERT_EQ(r.status, 0) << r.err;
    opened[i] = count_read(r.err, i == 0 ? "tile file\\(s\\) opened" : "tile object\\(s\\) read");
  }
  EXPECT_EQ(read_file(dir / "q-file.tif"), read_file(dir / "q-s3.tif"));
  EXPECT_EQ(opened[0], opened[1]);
  EXPECT_GT(opened[1], 0);
  EXPECT_LT(opened[1], stored);

  r = run_job_text(
      dir, kHead + "  - op: delete_layer\n    uri: " + s3("pyr") + "\n    layer_name: p\n    zoom: 9\n", 2);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& [key, bytes] : server.objects("pyr")) {
    EXPECT_EQ(key.rfind("p/9/", 0), std::string::npos) << key << " left behind";
    EXPECT_EQ(key.find("__p__9.json"), std::string::npos) << key << " left behind";
  }
  EXPECT_FALSE(server.objects("pyr").empty());
  r = run_job_text(dir, kHead + "  - op: delete_layer\n    uri: " + s3("pyr") + "\n    layer_name: p\n", 1);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(server.objects("pyr").empty());
  EXPECT_NE(run_trellis("info " + s3("pyr")).out.find("(no layer)"), std::string::npos);
}

// write_geotiff to s3:// gives the object a local write_geotiff gives as a file; read_geotiff reads
// it back by s3://, by /vsis3/ and by its "folder" prefix.
TEST(S3GeoTiff, WriteAndReadBack) {
  TRELLIS_REQUIRE_S3(server);
  TempDir dir;
  make_input(dir / "in.tif", "Int16", 200, 130, 1);
  RunResult r = run_job_text(dir,
                             kHead +
                                 "  - id: t\n    op: read_geotiff\n    uri: in.tif\n"
                                 "  - id: tiled\n    op: tile_to_layout\n    input: t\n    tile_size: 64\n"
                                 "  - op: write_geotiff\n    input: tiled\n    uri: local.tif\n"
                                 "  - op: write_geotiff\n    input: tiled\n    uri: " +
                                 s3("tifs/a.tif") + "\n",
                             2);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(server.objects("tifs").count("a.tif"));
  EXPECT_TRUE(server.objects("tifs").at("a.tif") == read_file(dir / "local.tif"));

  for (const std::string& uri :
       {s3("tifs/a.tif"), std::string("/vsis3/") + S3Server::kBucket + "/tifs/a.tif", s3("tifs/")}) {
    fs::remove(dir / "back.tif");
    r = run_tiled_to_out(dir, uri, 64, "", 2);
    ASSERT_EQ(r.status, 0) << uri << "\n" << r.err;
    std::string why;
    EXPECT_TRUE(same_cells(read_raster(dir / "local.tif"), read_raster(dir / "out.tif"), &why))
        << uri << ": " << why;
  }
}

// Everything knowable from the job and the store is refused at validation: exit 2, one line with the
// parameter's place, nothing written.
TEST(S3Catalog, RefusedAtValidation) {
  TRELLIS_REQUIRE_S3(server);
  TempDir dir;
  make_input(dir / "in.tif", "Byte", 64, 64, 1);
  RunResult r = run_job_text(
      dir,
      kHead +
          "  - op: read_geotiff\n    uri: in.tif\n  - id: t\n    op: tile_to_layout\n    tile_size: 32\n"
          "  - op: write_catalog\n    uri: " +
          s3("c") + "\n    layer_name: x\n  - op: write_geotiff\n    input: t\n    uri: " + s3("x.tif") +
          "\n",
      1);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto before = server.objects("");

  struct Bad {
    std::string job, place, message;
  };
  const std::string read_tiled =
      "  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    tile_size: 32\n";
  const std::vector<Bad> bads = {
      {read_tiled + "  - op: write_catalog\n    uri: s3://no-such-bucket/c\n    layer_name: y\n",
       "8:10:", "S3 bucket 'no-such-bucket' at 127.0.0.1:"},
      {read_tiled + "  - op: write_geotiff\n    uri: s3://no-such-bucket/y.tif\n",
       "8:10:", "S3 bucket 'no-such-bucket'"},
      {read_tiled + "  - op: write_catalog\n    uri: " + s3("c") + "\n    layer_name: x\n",
       "9:17:", "already has layer 'x' at zoom 0"},
      {read_tiled + "  - op: write_catalog\n    uri: " + s3("c") + "\n    layer_name: a__b\n",
       "9:17:", "without '__' (S3 catalogs split attribute names on it)"},
      {"  - op: read_geotiff\n    uri: " + s3("missing.tif") +
           "\n  - op: tile_to_layout\n    tile_size: 32\n  - op: write_geotiff\n    uri: o.tif\n",
       "4:10:", "input '" + s3("missing.tif") + "' does not exist"},
      {"  - op: read_catalog\n    uri: " + s3("c") +
           "\n    layer_name: z\n  - op: write_geotiff\n    uri: o.tif\n",
       "5:17:", "has no layer 'z' at zoom 0 (it has: x zoom 0)"},
      {"  - op: read_geotiff\n    uri: " + s3("x.tif") +
           "\n  - op: tile_to_layout\n    tile_size: 32\n  - op: write_geotiff\n    uri: /vsis3/" +
           S3Server::kBucket + "/x.tif\n",
       "8:10:", "an output may not overwrite an input"},
  };
  for (const Bad& b : bads) {
    r = run_job_text(dir, kHead + b.job, 2);
    EXPECT_EQ(r.status, 2) << b.job << "\n" << r.err;
    const auto lines = trellis_lines(r.err);
    ASSERT_FALSE(lines.empty()) << r.err;
    EXPECT_NE(lines.back().find("/job.yaml:" + b.place), std::string::npos) << lines.back();
    EXPECT_NE(lines.back().find(b.message), std::string::npos) << lines.back();
    EXPECT_TRUE(server.objects("") == before) << b.job << ": the store changed";
    EXPECT_FALSE(fs::exists(dir / "o.tif"));
  }

  // A store that cannot be reached is refused too.
  server.stop();
  r = run_job_text(dir,
                   kHead + "  - op: read_catalog\n    uri: " + s3("c") +
                       "\n    layer_name: x\n  - op: write_geotiff\n    uri: o.tif\n",
                   2);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("job.yaml:4:10: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot be listed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "o.tif"));
}

// A sparse layer (tiles with no data cell are not stored; here a column of tiles inside its bounds)
// reads back from S3 as from a file catalog: the missing tiles are absent, not errors.
TEST(S3Catalog, SparseLayerReadsBack) {
  TRELLIS_REQUIRE_S3(server);
  TempDir dir;
  std::vector<std::vector<double>> cells(1, std::vector<double>(128 * 96));
  for (int r = 0; r < 96; ++r)
    for (int c = 0; c < 128; ++c)
      cells[0][static_cast<std::size_t>(r) * 128 + c] = c >= 32 && c < 64 ? 0 : 1 + (r * c) % 50;
  write_raster(dir / "in.tif", "Int16", 128, 96, 1, {500000, 30, 0, 4100000, 0, -30}, "EPSG:32633", 0, cells);
  const RunResult r = run_job_text(
      dir,
      kHead +
          "  - op: read_geotiff\n    uri: in.tif\n  - id: t\n    op: tile_to_layout\n"
          "    tile_size: 32\n  - op: write_geotiff\n    input: t\n    uri: direct.tif\n"
          "  - op: write_catalog\n    input: t\n    uri: " +
          s3("sparse") +
          "\n    layer_name: s\n"
          "  - id: back\n    op: read_catalog\n    uri: " +
          s3("sparse") + "\n    layer_name: s\n  - op: write_geotiff\n    input: back\n    uri: back.tif\n",
      2);
  ASSERT_EQ(r.status, 0) << r.err;
  std::size_t tiles = 0;
  for (const auto& [key, bytes] : server.objects("sparse")) tiles += key.rfind("s/0/", 0) == 0;
  EXPECT_EQ(tiles, 9u);  // 4 x 3 tiles, but column 1 (cells 32-63) is all NoData
  std::string why;
  EXPECT_TRUE(same_cells(read_raster(dir / "direct.tif"), read_raster(dir / "back.tif"), &why)) << why;
}

// GDAL opens a missing object, and one on a store that does not answer, without an error: the object
// store functions tell the two apart.
TEST(S3Catalog, AMissingObjectIsNotAnUnreachableStore) {
  TRELLIS_REQUIRE_S3(server);
  const std::string here = std::string("/vsis3/") + S3Server::kBucket + "/probe/here";
  const std::string missing = std::string("/vsis3/") + S3Server::kBucket + "/probe/missing";
  const std::string bytes = "tile";
  io::vsi_write(here, std::as_bytes(std::span(bytes.data(), bytes.size())));
  const auto got = io::vsi_read(here);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(got->data()), got->size()), bytes);
  EXPECT_FALSE(io::vsi_read(missing).has_value());
  EXPECT_FALSE(io::vsi_exists(missing));
  EXPECT_EQ(io::vsi_list(std::string("/vsis3/") + S3Server::kBucket + "/probe"),
            std::vector<std::string>{"here"});
  server.stop();
  EXPECT_THROW(io::vsi_read(missing), IoError);
  EXPECT_THROW(io::vsi_read(here), IoError);
  EXPECT_THROW(io::vsi_exists(here), IoError);
  EXPECT_THROW(io::vsi_list(std::string("/vsis3/") + S3Server::kBucket + "/probe"), IoError);
}

// A write killed with SIGKILL while it uploads tiles leaves no layer: the metadata attribute comes last.
TEST(S3Catalog, AKilledWriteLeavesNoLayer) {
  TRELLIS_REQUIRE_S3(server);
  TempDir dir;
  make_input(dir / "in.tif", "Float64", 1500, 1500, 1);
  write_file(dir / "job.yaml",
             kHead +
                 "  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    tile_size: 32\n"
                 "  - op: write_catalog\n    uri: " +
                 s3("killed") + "\n    layer_name: k\n");
  // Killed as soon as some tile objects are on the server.
  ASSERT_TRUE(run_and_kill_when(dir / "job.yaml", [&] { return server.objects("killed").size() > 3; }))
      << "the job ended before it could be killed, or was not killed by SIGKILL";
  for (const auto& [key, bytes] : server.objects("killed"))
    EXPECT_EQ(key.rfind("_attributes/", 0), std::string::npos) << key << " was written";
  const RunResult r = run_job_text(
      dir, kHead + "  - op: read_catalog\n    uri: " + s3("killed") + "\n    layer_name: k\n", 1);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("has no layer 'k' at zoom 0 (it has: none)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace trellis::test
