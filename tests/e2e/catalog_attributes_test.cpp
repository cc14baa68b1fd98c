// write_attribute / read_attribute: a layer's JSON attributes in GeoTrellis' envelope and names, on a
// file catalog (1 and 3 ranks) and on S3; read back by the op and by reading the files themselves;
// refusals at their parameter.
#include "e2e/e2e_util.hpp"
#include "e2e/s3_server.hpp"

namespace trellis::test {
namespace {

const std::string kHead = "version: 1\nsteps:\n";

void make_input(const fs::path& p) {
  std::vector<std::vector<double>> cells(1, std::vector<double>(40 * 30));
  for (std::size_t i = 0; i < cells[0].size(); ++i) cells[0][i] = static_cast<double>(i % 17);
  write_raster(p, "Int16", 40, 30, 1, {500000, 30, 0, 4100000, 0, -30}, "EPSG:32633", -1, cells);
}

// A layer, two attributes (one inline, one from an earlier step's output file), then every attribute
// read back: the job's steps, for the catalog at `uri`.
std::string attribute_job(const std::string& uri) {
  return kHead +
         "  - id: in\n    op: read_geotiff\n    uri: in.tif\n  - id: t\n    op: tile_to_layout\n    "
         "tile_size: 16\n"
         "  - op: write_catalog\n    input: t\n    uri: " +
         uri +
         "\n    layer_name: dem\n"
         "  - op: get_min_max\n    input: t\n    output: mm.json\n"
         "  - op: write_attribute\n    uri: " +
         uri +
         "\n    layer_name: dem\n    attribute: provenance\n"
         "    value: {source: test, bands: [1, 2], scale: 0.5, note: null}\n"
         "  - op: write_attribute\n    uri: " +
         uri +
         "\n    layer_name: dem\n    attribute: range\n    value_file: mm.json\n"
         "  - op: read_attribute\n    uri: " +
         uri + "\n    layer_name: dem\n    output: all.json\n";
}

void check_values(const nlohmann::json& all) {
  EXPECT_EQ(all["provenance"],
            nlohmann::json::parse(R"({"source":"test","bands":[1,2],"scale":0.5,"note":null})"));
  EXPECT_EQ(all["range"], nlohmann::json::parse(R"({"min":0,"max":16})"));
  ASSERT_TRUE(all.contains("metadata"));
  EXPECT_EQ(all["metadata"]["metadata"]["cellType"], "int16ud-1");
}

TEST(CatalogAttributes, FileCatalogOnOneAndThreeRanks) {
  TempDir dir;
  make_input(dir / "in.tif");
  for (int np : {1, 3}) {
    fs::remove_all(dir / "cat");
    const RunResult r = run_job_text(dir, attribute_job("cat"), np);
    ASSERT_EQ(r.status, 0) << r.err;
    check_values(read_json(dir / "all.json"));
    // GeoTrellis' file attribute store: the envelope [{"name", "zoom"}, value], under its file name.
    const auto file = read_json(dir / "cat/attributes/dem__.__0__.__provenance.json");
    EXPECT_EQ(file[0], (nlohmann::json{{"name", "dem"}, {"zoom", 0}}));
    EXPECT_EQ(file[1]["source"], "test");
  }
  // One attribute alone; a missing one is refused at its parameter, naming those there are.
  RunResult r = run_job_text(dir,
                             kHead +
                                 "  - op: read_attribute\n    uri: cat\n    layer_name: dem\n"
                                 "    attribute: range\n    output: range.json\n",
                             2);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_json(dir / "range.json"), nlohmann::json::parse(R"({"min":0,"max":16})"));
  r = run_job_text(
      dir, kHead + "  - op: read_attribute\n    uri: cat\n    layer_name: dem\n    attribute: nope\n", 2);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("job.yaml:6:16: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("has no attribute 'nope' (it has: metadata, provenance, range)"), std::string::npos)
      << r.err;
  // Refused at validation: GeoTrellis' own names, both or neither of value and value_file, HDF5.
  struct Bad {
    std::string step, message;
  };
  const Bad bads[] = {
      {"    attribute: metadata\n    value: 1\n", "GeoTrellis' own attribute"},
      {"    attribute: a__b\n    value: 1\n", "not an attribute name"},
      {"    attribute: x\n", "give exactly one of `value` and `value_file`"},
      {"    attribute: x\n    value: 1\n    value_file: mm.json\n", "give exactly one"},
  };
  for (const Bad& b : bads) {
    r = run_job_text(dir, kHead + "  - op: write_attribute\n    uri: cat\n    layer_name: dem\n" + b.step, 1);
    EXPECT_EQ(r.status, 2) << b.step << r.err;
    EXPECT_NE(r.err.find(b.message), std::string::npos) << r.err;
  }
  r = run_job_text(
      dir,
      kHead +
          "  - op: write_attribute\n    uri: nothere\n    layer_name: dem\n    attribute: x\n    value: 1\n",
      1);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("job.yaml:4:10: "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "nothere"));
}

TEST(CatalogAttributes, S3Catalog) {
  TRELLIS_REQUIRE_S3(server);
  TempDir dir;
  make_input(dir / "in.tif");
  const RunResult r =
      run_job_text(dir, attribute_job(std::string("s3://") + S3Server::kBucket + "/attrs"), 2);
  ASSERT_EQ(r.status, 0) << r.err;
  check_values(read_json(dir / "all.json"));
  // GeoTrellis' S3 attribute store: _attributes/<attribute>__<layer>__<zoom>.json.
  const auto objects = server.objects("attrs");
  ASSERT_TRUE(objects.count("_attributes/provenance__dem__0.json"));
  ASSERT_TRUE(objects.count("_attributes/range__dem__0.json"));
  const auto value = nlohmann::json::parse(objects.at("_attributes/range__dem__0.json"));
  EXPECT_EQ(value[0], (nlohmann::json{{"name", "dem"}, {"zoom", 0}}));
  EXPECT_EQ(value[1], nlohmann::json::parse(R"({"min":0,"max":16})"));
}

}  // namespace
}  // namespace trellis::test
