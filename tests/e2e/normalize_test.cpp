// normalize on the Luxembourg DEM (SRTM, Int16 with NoData), on 1-4 ranks: every cell equals the serial
// computation from the source raster, and the files are identical whatever the rank count.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(Normalize, LuxembourgElevationOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  const fs::path src = data_dir() / "elev.tif";
  const Raster in = read_raster(src);
  double lo = INFINITY, hi = -INFINITY;
  for (double v : in.cells[0])
    if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  ASSERT_LT(lo, hi);
  SameOnEveryRankCount same;
  for (int np : {1, 2, 3, 4}) {
    TempDir d;
    const auto r = run_tiled_to_out(d, src, 20, "  - op: normalize\n    new_min: 0\n    new_max: 1000\n", np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster out = read_raster(d / "out.tif");
    ASSERT_EQ(out.cols, in.cols);
    ASSERT_EQ(out.rows, in.rows);
    EXPECT_EQ(out.gdal_type, in.gdal_type);
    for (std::size_t i = 0; i < in.cells[0].size(); ++i) {
      const double v = in.cells[0][i];
      if (std::isnan(v)) {
        EXPECT_TRUE(std::isnan(out.cells[0][i])) << i;
        continue;
      }
      ASSERT_EQ(out.cells[0][i], std::trunc((v - lo) * 1000.0 / (hi - lo) + 0.0))
          << "cell " << i << " np " << np;
    }
    same.check(d / "out.tif", np);
  }
}

}  // namespace
}  // namespace trellis::test
