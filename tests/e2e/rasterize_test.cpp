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

TEST(Rasterize, RefusedBeforeAnyWorkWhenTheLayerWouldNotFit) {
  // A polygon over most of the world at zoom 20 (about 9e11 tiles): refused at planning with the zoom
  // that would fit, on 1 and 3 ranks, and nothing written. A feature value that is not a number is
  // refused at `value_field`'s place.
  for (int np : {1, 3}) {
    TempDir d;
    write_file(d / "site.yaml", "memory_per_rank: 2GiB\n");
    const std::string job =
        "version: 1\nsteps:\n  - op: rasterize\n    geometry: \"POLYGON ((-170 -80, 170 -80, 170 80, -170 "
        "80, "
        "-170 -80))\"\n    crs: EPSG:4326\n    zoom: 20\n  - op: write_geotiff\n    uri: out.tif\n";
    const auto r = run_job_text(d, job, np, "--config '" + (d / "site.yaml").string() + "'");
    EXPECT_EQ(r.status, 2) << r.err;
    const auto lines = trellis_lines(r.err);
    ASSERT_FALSE(lines.empty()) << r.err;
    EXPECT_NE(lines[0].find("job.yaml:3:5: step 'rasterize-1' (rasterize): needs about"), std::string::npos)
        << lines[0];
    // Zoom 5 holds 1024 tiles of 512 KiB on one rank; on 3 ranks zoom 6's 4096 fit in 2 GiB each.
    EXPECT_NE(lines[0].find(np == 1 ? "zoom: 5 would fit" : "zoom: 6 would fit"), std::string::npos)
        << lines[0];
    EXPECT_LT(r.seconds, 20);
    EXPECT_FALSE(fs::exists(d / "out.tif"));
  }
  TempDir d;
  const std::string job =
      "version: 1\nsteps:\n  - op: rasterize\n    geometry: '{\"type\": \"Feature\", \"properties\": {\"v\": "
      "\"x\"}, "
      "\"geometry\": {\"type\": \"Point\", \"coordinates\": [1, 1]}}'\n    crs: EPSG:4326\n    extent: [0, "
      "0, 2, 2]\n"
      "    cols: 2\n    rows: 2\n    value_field: v\n";
  const auto r = run_job_text(d, job, 0);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(
      r.err.find(
          "job.yaml:9:18: step 'rasterize-1' (rasterize): feature 0: attribute 'v' is \"x\", not a number"),
      std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace trellis::test
