// mask on real data, on 1-4 ranks: the Luxembourg DEM masked by a polygon with a hole keeps exactly the
// cells gdal_rasterize burns for that polygon on the DEM's grid (cell centres), every other cell is
// NoData, and the file is identical whatever the rank count.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(Mask, LuxembourgDemEqualsGdalRasterizeOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  const fs::path src = data_dir() / "elev.tif";
  const Raster in = read_raster(src);
  const std::string wkt =
      "POLYGON ((5.81 49.52, 6.43 49.61, 6.38 50.13, 5.93 50.02, 5.81 49.52), "
      "(6.01 49.71, 6.17 49.70, 6.12 49.83, 6.01 49.71))";
  TempDir ref;
  write_file(
      ref / "p.geojson",
      R"({"type": "Polygon", "coordinates": [[[5.81, 49.52], [6.43, 49.61], [6.38, 50.13], [5.93, 50.02],
               [5.81, 49.52]], [[6.01, 49.71], [6.17, 49.70], [6.12, 49.83], [6.01, 49.71]]]})");
  const auto g = run_command(
      "gdal_rasterize -q -burn 1 -ot Byte -init 0 -te 5.741666666666666 49.441666666666663 "
      "6.533333333333333 50.191666666666663 -ts 95 90 '" +
      (ref / "p.geojson").string() + "' '" + (ref / "burn.tif").string() + "'");
  ASSERT_EQ(g.status, 0) << g.err;
  const Raster burnt = read_raster(ref / "burn.tif");
  SameOnEveryRankCount same;
  for (int np : {1, 2, 3, 4}) {
    TempDir d;
    const auto r = run_tiled_to_out(d, src, 16, "  - op: mask\n    geometry: \"" + wkt + "\"\n", np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster out = read_raster(d / "out.tif");
    ASSERT_EQ(out.cols, 95);
    ASSERT_EQ(out.rows, 90);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < in.cells[0].size(); ++i) {
      const bool inside = burnt.cells[0][i] == 1;
      const double want = inside ? in.cells[0][i] : NAN;
      kept += inside && !std::isnan(want);
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(out.cells[0][i])) << "cell " << i << " np " << np;
      else
        EXPECT_EQ(out.cells[0][i], want) << "cell " << i << " np " << np;
    }
    EXPECT_GT(kept, 2500u) << "about a third of the DEM";
    same.check(d / "out.tif", np);
  }
}

}  // namespace
}  // namespace trellis::test
