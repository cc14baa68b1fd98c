// local (map algebra) on real data, on 1-4 ranks: the NDVI of the Olinda Landsat scene (bands 4 and 3
// of r-cran-stars' L7_ETMs.tif, Byte) equals the serial computation from the source raster cell for
// cell in float32 (double arithmetic stored as float32, as gdal_calc.py with A.astype(float) gives),
// and two layers with different tilings of partitioners are aligned by key. Files are identical
// whatever the rank count.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(Local, OlindaNdviOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("L7_ETMs.tif");
  const fs::path src = data_dir() / "L7_ETMs.tif";
  const Raster in = read_raster(src);
  ASSERT_EQ(in.bands, 6);
  std::string first;
  for (int np : {1, 2, 3, 4}) {
    TempDir d;
    const std::string job =
        "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src.string() +
        "\n  - id: scene\n    op: tile_to_layout\n    tile_size: 64\n"
        "  - id: dem\n    op: tile_to_layout\n    input: read_geotiff-1\n    tile_size: 64\n"
        "    partition_index: hilbert\n"
        "  - id: ndvi\n    op: local\n    inputs: {l: scene, h: dem}\n"
        "    expression: \"(l[4] - h[3]) / (l[4] + h[3])\"\n    cell_type: float32\n"
        "  - op: write_geotiff\n    uri: out.tif\n";
    const auto r = run_job_text(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster out = read_raster(d / "out.tif");
    ASSERT_EQ(out.cols, in.cols);
    ASSERT_EQ(out.rows, in.rows);
    ASSERT_EQ(out.bands, 1);
    EXPECT_EQ(out.gdal_type, "Float32");
    int zero_sums = 0;
    for (std::size_t i = 0; i < in.cells[3].size(); ++i) {
      const double nir = in.cells[3][i], red = in.cells[2][i];
      if (nir + red == 0) {
        ++zero_sums;
        EXPECT_TRUE(std::isnan(out.cells[0][i])) << i;  // x / 0 is NaN, NoData
        continue;
      }
      ASSERT_EQ(out.cells[0][i], static_cast<double>(static_cast<float>((nir - red) / (nir + red))))
          << "cell " << i << " np " << np;
    }
    const std::string bytes = read_file(d / "out.tif");
    if (np == 1)
      first = bytes;
    else
      EXPECT_TRUE(bytes == first) << "np " << np << " differs from np 1";
  }
}

// Integer layers keep GeoTrellis' Int arithmetic without `cell_type`: the Luxembourg DEM (Int16 with
// NoData) divided by 7 truncates toward zero, and NoData stays NoData, on 1 and 3 ranks.
TEST(Local, IntegerArithmeticOnTheLuxembourgDem) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  const fs::path src = data_dir() / "elev.tif";
  const Raster in = read_raster(src);
  for (int np : {1, 3}) {
    TempDir d;
    const std::string job = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src.string() +
                            "\n  - op: tile_to_layout\n    tile_size: 32\n  - op: local\n"
                            "    inputs: {dem: tile_to_layout-2}\n    expression: \"-dem / 7 + 1\"\n"
                            "  - op: write_geotiff\n    uri: out.tif\n";
    const auto r = run_job_text(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster out = read_raster(d / "out.tif");
    EXPECT_EQ(out.gdal_type, "Int16");
    for (std::size_t i = 0; i < in.cells[0].size(); ++i) {
      const double v = in.cells[0][i];
      if (std::isnan(v))
        EXPECT_TRUE(std::isnan(out.cells[0][i])) << i;
      else
        ASSERT_EQ(out.cells[0][i], static_cast<double>(-static_cast<int>(v) / 7 + 1)) << i;
    }
  }
}

}  // namespace
}  // namespace trellis::test
