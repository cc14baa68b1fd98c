// The map-algebra example jobs (jobs/ndvi.yaml, jobs/rasterize-states.yaml) run on real data on 1 and 3
// ranks with identical outputs; their results hang together (the classes count every NDVI cell, the
// states' cell counts equal the rasterized grid's). The ops are checked against references in
// local_test.cpp, reclassify_test.cpp, histogram_test.cpp, rasterize_test.cpp and mask_test.cpp.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

RunResult run_example(const std::string& name, const TempDir& out, int np) {
  const fs::path job = source_dir() / "jobs" / (name + ".yaml");
  return run_trellis("run '" + job.string() + "' --var DATA='" + data_dir().string() + "' --var OUT='" +
                         out.path().string() + "' --log-level warn",
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

}  // namespace
}  // namespace trellis::test
