// reclassify on the Luxembourg DEM (SRTM, Int16 with NoData), on 1-4 ranks: every cell equals the break
// rule applied serially to the source raster, and the files are identical whatever the rank count.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(Reclassify, LuxembourgElevationClassesOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  const fs::path src = data_dir() / "elev.tif";
  const Raster in = read_raster(src);
  SameOnEveryRankCount same;
  for (int np : {1, 2, 3, 4}) {
    TempDir d;
    const auto r = run_tiled_to_out(d, src, 20,
                                    "  - op: reclassify\n    value_map: {250: 1, 350: 2, \"450, 500\": 3}\n"
                                    "    boundary_strategy: LessThan\n    replace_nodata_with: 0\n",
                                    np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster out = read_raster(d / "out.tif");
    ASSERT_EQ(out.cols, in.cols);
    EXPECT_EQ(out.gdal_type, in.gdal_type);
    // Layers are sparse: a 20x20 tile with no data cell is never made, so replace_nodata_with reaches
    // the NoData cells of the tiles the layer has (the tiles start at the raster's corner here).
    auto tile_has_data = [&](std::size_t i) {
      const int c0 = static_cast<int>(i % static_cast<std::size_t>(in.cols)) / 20 * 20,
                r0 = static_cast<int>(i / static_cast<std::size_t>(in.cols)) / 20 * 20;
      for (int r = r0; r < std::min(r0 + 20, in.rows); ++r)
        for (int c = c0; c < std::min(c0 + 20, in.cols); ++c)
          if (!std::isnan(in.cells[0][static_cast<std::size_t>(r * in.cols + c)])) return true;
      return false;
    };
    for (std::size_t i = 0; i < in.cells[0].size(); ++i) {
      const double v = in.cells[0][i];
      // less_than: the smallest break above the value; above 500: NoData.
      double want = NAN;
      if (std::isnan(v))
        want = tile_has_data(i) ? 0 : NAN;
      else if (v < 250)
        want = 1;
      else if (v < 350)
        want = 2;
      else if (v < 500)
        want = 3;
      if (std::isnan(want))
        EXPECT_TRUE(std::isnan(out.cells[0][i])) << i;
      else
        ASSERT_EQ(out.cells[0][i], want) << "cell " << i << " (" << v << ") np " << np;
    }
    same.check(d / "out.tif", np);
  }
}

}  // namespace
}  // namespace trellis::test
