// convert_data_type on the Luxembourg DEM (SRTM, Int16 with NoData), on 1-4 ranks: to uint8, values wrap
// as the JVM narrows them, a wrapped 0 is uint8's NoData, NoData stays NoData; files are identical
// whatever the rank count.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(ConvertDataType, LuxembourgElevationToUint8OnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  const fs::path src = data_dir() / "elev.tif";
  const Raster in = read_raster(src);
  SameOnEveryRankCount same;
  for (int np : {1, 2, 3, 4}) {
    TempDir d;
    const auto r = run_tiled_to_out(d, src, 32, "  - op: convert_data_type\n    new_type: uint8\n", np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster out = read_raster(d / "out.tif");
    EXPECT_EQ(out.gdal_type, "Byte");
    for (std::size_t i = 0; i < in.cells[0].size(); ++i) {
      const double v = in.cells[0][i];
      const double wrapped = std::isnan(v) ? NAN : static_cast<double>(static_cast<int>(v) & 0xff);
      if (std::isnan(wrapped) || wrapped == 0)
        EXPECT_TRUE(std::isnan(out.cells[0][i])) << i;
      else
        ASSERT_EQ(out.cells[0][i], wrapped) << "cell " << i << " np " << np;
    }
    same.check(d / "out.tif", np);
  }
}

}  // namespace
}  // namespace trellis::test
