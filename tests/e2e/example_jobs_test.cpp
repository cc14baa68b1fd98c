// The map-algebra and terrain example jobs (jobs/ndvi.yaml, jobs/rasterize-states.yaml, jobs/terrain.yaml)
// run on real data on 1 and 3 ranks with identical outputs; their results hang together (the classes
// count every NDVI cell, the states' cell counts equal the rasterized grid's, the terrain's rasters have
// data exactly where the DEM has). The ops are checked against references in local_test.cpp,
// reclassify_test.cpp, histogram_test.cpp, rasterize_test.cpp, mask_test.cpp, focal_test.cpp and
// surface_test.cpp.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

RunResult run_example(const std::string& name, const TempDir& out, int np) {
  const fs::path job = source_dir() / "jobs" / (name + ".yaml");
  const std::string shared = shared_dir() ? " --var SHARED='" + shared_dir()->string() + "'" : "";
  return run_trellis("run '" + job.string() + "' --var DATA='" + data_dir().string() + "' --var OUT='" +
                         out.path().string() + "'" + shared + " --log-level warn",
                     np);
}

TEST(ExampleJobs, NdviClassesAndHistogram) {
  TRELLIS_REQUIRE_DATA("L7_ETMs.tif");
  SameOnEveryRankCount classes, hist, tif;
  for (int np : {1, 3}) {
    TempDir out;
    const auto r = run_example("ndvi", out, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto h = read_json(out / "ndvi-histogram.json");
    const auto c = read_json(out / "classes.json");
    std::int64_t n = 0;
    for (const auto& bin : c) n += bin[1].get<std::int64_t>();
    EXPECT_EQ(c.size(), 4u);
    EXPECT_EQ(n, h["statistics"]["dataCells"].get<std::int64_t>());
    EXPECT_EQ(n, 349 * 352) << "every cell of the scene has an NDVI";
    const auto q = read_json(out / "ndvi-quintiles.json");
    ASSERT_EQ(q.size(), 5u);
    EXPECT_EQ(q.back(), h["statistics"]["zmax"]);
    classes.check(out / "classes.json", np);
    hist.check(out / "ndvi-histogram.json", np);
    tif.check(out / "classes.tif", np);
  }
}

TEST(ExampleJobs, RasterizeStates) {
  TRELLIS_REQUIRE_DATA("world_map.gpkg");
  SameOnEveryRankCount states, counts, europe;
  for (int np : {1, 3}) {
    TempDir out;
    const auto r = run_example("rasterize-states", out, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster s = read_raster(out / "states.tif");
    std::map<std::int64_t, std::int64_t> want;
    for (double v : s.cells[0])
      if (!std::isnan(v)) ++want[static_cast<std::int64_t>(v)];
    std::map<std::int64_t, std::int64_t> got;
    for (const auto& bin : read_json(out / "cells-per-state.json")) got[bin[0]] = bin[1];
    EXPECT_EQ(got, want);
    EXPECT_GT(got.size(), 4000u) << "most states hold a cell centre at 0.1 degree";
    states.check(out / "states.tif", np);
    counts.check(out / "cells-per-state.json", np);
    europe.check(out / "europe.tif", np);
  }
}

TEST(ExampleJobs, Terrain) {
  TRELLIS_REQUIRE_SHARED();
  const Raster dem = read_raster(*shared_dir() / "data/sao-miguel/eu_dem_v11.tif");
  SameOnEveryRankCount slope_file, aspect_file, hillshade_file;
  for (int np : {1, 3}) {
    TempDir out;
    const auto r = run_example("terrain", out, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster slope = read_raster(out / "slope.tif"), aspect = read_raster(out / "aspect.tif"),
                 hillshade = read_raster(out / "hillshade.tif");
    ASSERT_EQ(slope.cols, dem.cols);
    ASSERT_EQ(slope.rows, dem.rows);
    EXPECT_EQ(hillshade.gdal_type, "Byte");
    std::size_t land = 0;
    for (std::size_t i = 0; i < dem.cells[0].size(); ++i) {
      const bool data = !std::isnan(dem.cells[0][i]);
      land += data;
      // `target: data` keeps the sea NoData through the smoothing, and a NoData focus stays NoData.
      EXPECT_EQ(!std::isnan(slope.cells[0][i]), data) << i;
      EXPECT_EQ(!std::isnan(hillshade.cells[0][i]), data) << i;
      if (!data) continue;
      EXPECT_GE(slope.cells[0][i], 0);
      EXPECT_LT(slope.cells[0][i], 90);
      const double a = aspect.cells[0][i];
      EXPECT_TRUE(a == -1 || (a >= 0 && a < 360)) << a;
      EXPECT_GE(hillshade.cells[0][i], 1);
    }
    EXPECT_GT(land, 10000u);
    slope_file.check(out / "slope.tif", np);
    aspect_file.check(out / "aspect.tif", np);
    hillshade_file.check(out / "hillshade.tif", np);
  }
}

}  // namespace
}  // namespace trellis::test
