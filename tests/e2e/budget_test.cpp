// Memory is bounded (issue 9, class 1): each step's layer is estimated from the inputs' metadata
// before anything is allocated, and a job over the memory budget is refused with exit 2, one line
// naming the step, the estimate, the budget and what would fit. Layers are sparse: windows and tiles
// that hold no data are never made. Every run here is under a 4 GB address-space cap (`ulimit -v`), so
// a regression fails the test instead of taking the machine down.
#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

constexpr const char* kCap = "ulimit -v 4000000; ";

RunResult run_capped(const TempDir& d, const std::string& yaml, int np, const std::string& extra = "") {
  write_file(d / "job.yaml", yaml);
  const std::string bin = "'" + std::string(TRELLIS_BINARY) + "'";
  const std::string run = np <= 0 ? bin
                                  : std::string(TRELLIS_MPIEXEC) + " -n " + std::to_string(np) +
                                        " --oversubscribe --allow-run-as-root " + bin;
  return run_command(kCap + run + " run '" + (d / "job.yaml").string() + "' --log-level warn " + extra);
}

// Checks a refusal: exit 2 in seconds, one line at `where` (job.yaml standing for the job's path) that
// holds every one of `what`, and nothing written.
void expect_over_budget(const TempDir& d, const RunResult& r, const std::string& where,
                        const std::vector<std::string>& what) {
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_LT(r.seconds, 30);
  const auto lines = trellis_lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r.err;
  EXPECT_EQ(lines[0].find("trellis: " + (d / where).string()), 0u) << lines[0];
  for (const auto& w : what) EXPECT_NE(lines[0].find(w), std::string::npos) << w << " in " << lines[0];
  for (const auto& e : fs::directory_iterator(d.path())) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "job.yaml" || name == "site.yaml" || name.ends_with(".tif") || name.ends_with(".vrt"))
        << "written: " << name;
  }
}

// A 95 x 90 raster in EPSG:4326 (the reproductions).
void write_small(const TempDir& d) {
  write_raster(d / "small.tif", "Float32", 95, 90, 1, {10, 0.1, 0, 50, 0, -0.1}, "EPSG:4326", std::nullopt,
               {std::vector<double>(95 * 90, 5.0)});
}

const std::string kHead = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: small.tif\n";

TEST(Budget, AbsurdLayoutsAreRefusedBeforeAnyAllocation) {
  TempDir d;
  write_small(d);
  for (int np : {1, 3}) {
    SCOPED_TRACE("np " + std::to_string(np));
    const std::string ranks = "on " + std::to_string(np) + " rank(s)";
    expect_over_budget(d, run_capped(d, kHead + "  - op: tile_to_layout\n    tile_size: 65536\n", np),
                       "job.yaml:5:5: step 'tile_to_layout-2' (tile_to_layout): needs about 16",
                       {ranks, "1 tiles of 65536x65536 float32raw, 16 GiB", "over the memory budget of",
                        "`ulimit -v`", ": tile_size: 16384"});
    expect_over_budget(d,
                       run_capped(d, kHead + "  - op: tile_to_layout\n    scheme: zoom\n    zoom: 30\n", np),
                       "job.yaml:5:5: step 'tile_to_layout-2' (tile_to_layout): needs more than 16 EiB",
                       {"1521216137200790 tiles of 256x256 float32raw at zoom 30", "zoom: 1"});
    expect_over_budget(
        d,
        run_capped(d,
                   kHead + "  - op: tile_to_layout\n    extent: [10, 41, 19.5, 50]\n    layout: "
                           "{tile_cols: 256, tile_rows: 256, layout_cols: 2000000000, "
                           "layout_rows: 2000000000}\n",
                   np),
        "job.yaml:5:5: step 'tile_to_layout-2'", {"4000000000000000000 tiles of 256x256"});
    expect_over_budget(
        d, run_capped(d, kHead + "  - op: tile_to_layout\n  - op: pyramid\n    start_zoom: 30\n", np),
        "job.yaml:6:5: step 'pyramid-3' (pyramid): needs more than 16 EiB",
        {"31 levels", "the largest: 1521216137200790 tiles of 256x256 float32raw at zoom 30",
         ": start_zoom: 1"});
  }
}

// The global reprojection, smaller: a 0.5 degree global raster to Web Mercator. `scheme: zoom`
// measures the cell at the south-west corner and picks zoom 5 (1024 tiles); over a 128 MiB budget the
// step is refused and a zoom that fits is named. Without a budget it runs, with a warning naming the
// zoom that matches the data at the layer's centre.
TEST(Budget, AGlobalReprojectionNamesTheZoomThatFits) {
  TempDir d;
  write_raster(d / "g.tif", "Float32", 720, 360, 1, {-180, 0.5, 0, 90, 0, -0.5}, "EPSG:4326", std::nullopt,
               {std::vector<double>(720 * 360, 3.0)});
  write_file(d / "site.yaml", "memory_per_rank: 128MiB\n");
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: g.tif\n  - op: tile_to_layout\n  - op: reproject\n"
      "    target_crs: EPSG:3857\n    scheme: zoom\n  - op: get_min_max\n    output: mm.json\n";
  for (int np : {1, 3}) {
    SCOPED_TRACE("np " + std::to_string(np));
    expect_over_budget(
        d, run_capped(d, job, np, "--config '" + (d / "site.yaml").string() + "'"),
        "job.yaml:6:5: step 'reproject-3' (reproject): needs about",
        {"1024 tiles of 256x256 float32raw at zoom 5, 256 MiB", "over the memory budget of 128 MiB",
         "(memory_per_rank, " + (d / "site.yaml").string() + ":1:18): zoom: "});
    const auto r = run_capped(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("scheme: zoom picked zoom 5, whose grid over the layer holds"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("zoom 2 matches the data at the layer's centre"), std::string::npos) << r.err;
    EXPECT_EQ(read_json(d / "mm.json")["min"].get<double>(), 3);
    fs::remove(d / "mm.json");
  }
}

// A 1,000,000 x 1,000,000 VRT holding two 300 x 200 rasters in opposite corners: reading, tiling and
// summarising it costs what its data costs (GDAL's data coverage says where the data is).
TEST(Budget, ASparseVrtCostsWhatItsDataCosts) {
  TempDir d;
  write_raster(d / "a.tif", "Float32", 300, 200, 1, {0, 1, 0, 200, 0, -1}, "EPSG:3857", std::nullopt,
               {std::vector<double>(300 * 200, 7.0)});
  write_raster(d / "b.tif", "Float32", 300, 200, 1, {0, 1, 0, 200, 0, -1}, "EPSG:3857", std::nullopt,
               {std::vector<double>(300 * 200, 9.0)});
  auto source = [](const char* file, int x, int y) {
    return std::string("<SimpleSource><SourceFilename relativeToVRT=\"1\">") + file +
           "</SourceFilename><SourceBand>1</SourceBand><SrcRect xOff=\"0\" yOff=\"0\" xSize=\"300\" "
           "ySize=\"200\"/><DstRect xOff=\"" +
           std::to_string(x) + "\" yOff=\"" + std::to_string(y) +
           "\" xSize=\"300\" ySize=\"200\"/></SimpleSource>";
  };
  write_file(d / "big.vrt",
             "<VRTDataset rasterXSize=\"1000000\" rasterYSize=\"1000000\"><SRS>EPSG:3857</SRS>"
             "<GeoTransform>0, 1, 0, 1000000, 0, -1</GeoTransform>"
             "<VRTRasterBand dataType=\"Float32\" band=\"1\"><NoDataValue>-1</NoDataValue>" +
                 source("a.tif", 0, 999800) + source("b.tif", 999700, 0) + "</VRTRasterBand></VRTDataset>\n");
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: big.vrt\n  - id: tiled\n    op: tile_to_layout\n"
      "  - op: get_min_max\n    output: mm.json\n  - op: polygonal_summary\n    input: tiled\n"
      "    geometry: \"POLYGON ((0 0, 1000000 0, 1000000 1000000, 0 1000000, 0 0))\"\n"
      "    stats: [count]\n    output: zone.json\n";
  for (int np : {1, 3}) {
    SCOPED_TRACE("np " + std::to_string(np));
    const auto r = run_capped(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_LT(r.seconds, 60);
    const auto mm = read_json(d / "mm.json");
    EXPECT_EQ(mm["min"].get<double>(), 7);
    EXPECT_EQ(mm["max"].get<double>(), 9);
    EXPECT_EQ(read_json(d / "zone.json")[0]["count"].get<long>(), 2 * 300 * 200);
  }
}

}  // namespace
}  // namespace trellis::test
