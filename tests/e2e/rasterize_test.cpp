// rasterize on real data, on 1-4 ranks: Natural Earth's 4,556 states and provinces (qgis-common's
// world_map.gpkg) burnt with their feature ids on a global 0.1 degree grid equal gdal_rasterize's
// default (cell-centre) burn cell for cell, and the file is identical whatever the rank count.
#include <cmath>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

TEST(Rasterize, StatesEqualGdalRasterizeOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("world_map.gpkg");
  const fs::path src = data_dir() / "world_map.gpkg";
  TempDir ref;
  // gdal_rasterize -a needs a field: the feature id through SQLite's SQL.
  const auto g = run_command(
      "gdal_rasterize -q -a v -te -180 -90 180 90 -ts 3600 1800 -ot Int32 -a_nodata -2147483648 -init "
      "-2147483648 -dialect SQLite -sql 'select fid + 0 as v, geom from states_provinces' '" +
      src.string() + "' '" + (ref / "gdal.tif").string() + "'");
  ASSERT_EQ(g.status, 0) << g.err;
  const Raster want = read_raster(ref / "gdal.tif");
  SameOnEveryRankCount same;
  for (int np : {1, 2, 3, 4}) {
    TempDir d;
    const std::string job =
        "version: 1\nsteps:\n  - op: rasterize\n    geometry: {uri: '" + src.string() +
        "', layer: states_provinces}\n    crs: EPSG:4326\n    extent: [-180, -90, 180, 90]\n"
        "    cols: 3600\n    rows: 1800\n    tile_size: 200\n    value_field: fid\n"
        "    cell_type: int32\n  - op: write_geotiff\n    uri: out.tif\n";
    const auto r = run_job_text(d, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const Raster got = read_raster(d / "out.tif");
    ASSERT_EQ(got.cols, 3600);
    ASSERT_EQ(got.rows, 1800);
    std::size_t burnt = 0, differ = 0;
    for (std::size_t i = 0; i < want.cells[0].size(); ++i) {
      const double a = got.cells[0][i], b = want.cells[0][i];
      const bool an = std::isnan(a), bn = std::isnan(b);
      burnt += !bn;
      if (an != bn || (!an && a != b)) ++differ;
    }
    EXPECT_GT(burnt, 2000000u) << "the states cover about a third of the globe";
    // No cell centre of this grid lies exactly on an edge of the states: every cell agrees.
    EXPECT_EQ(differ, 0u) << "np " << np;
    same.check(d / "out.tif", np);
  }
}

}  // namespace
}  // namespace trellis::test
