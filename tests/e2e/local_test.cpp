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
  SameOnEveryRankCount same;
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
    same.check(d / "out.tif", np);
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

// Sequence ops over layers with different keys: the union of the keys, each over the tiles it has;
// identical files on 1-4 ranks, and the cells of a serial computation.
TEST(Local, SequenceOpsJoinTheKeysOnAnyRankCount) {
  TempDir d;
  std::vector<double> a(64 * 64), b(96 * 64);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<double>(i % 97);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<double>(i % 89) + 1000;
  write_raster(d / "a.tif", "Int32", 64, 64, 1, {0, 1, 0, 64, 0, -1}, "EPSG:3857", -1.0, {a});
  write_raster(d / "b.tif", "Int32", 96, 64, 1, {32, 1, 0, 64, 0, -1}, "EPSG:3857", -1.0, {b});
  const std::string layout =
      "    extent: [0, 0, 128, 64]\n    layout: {layout_cols: 8, layout_rows: 4, tile_cols: 16, tile_rows: "
      "16}\n";
  const std::string job =
      "version: 1\nsteps:\n  - id: ra\n    op: read_geotiff\n    uri: a.tif\n"
      "  - id: rb\n    op: read_geotiff\n    uri: b.tif\n"
      "  - id: ta\n    op: tile_to_layout\n    input: ra\n" +
      layout + "  - id: tb\n    op: tile_to_layout\n    input: rb\n" + layout +
      "  - op: local_mean\n    inputs: {x: ta, y: tb}\n  - op: write_geotiff\n    uri: out.tif\n";
  SameOnEveryRankCount same;
  for (int np : {1, 2, 3, 4}) {
    const auto r = run_job_text(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster out = read_raster(d / "out.tif");
    ASSERT_EQ(out.cols, 128);
    for (int row = 0; row < 64; ++row)
      for (int col = 0; col < 128; ++col) {
        const bool in_a = col < 64, in_b = col >= 32;
        const double va = in_a ? a[static_cast<std::size_t>(row * 64 + col)] : 0;
        const double vb = in_b ? b[static_cast<std::size_t>(row * 96 + col - 32)] : 0;
        const double want = in_a && in_b ? std::trunc((va + vb) / 2) : (in_a ? va : vb);
        ASSERT_EQ(out.cells[0][static_cast<std::size_t>(row * 128 + col)], want) << col << "," << row;
      }
    same.check(d / "out.tif", np);
    fs::remove(d / "out.tif");
  }
}

}  // namespace
}  // namespace trellis::test
