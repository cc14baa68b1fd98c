// slope, aspect and hillshade of a real DEM (EU-DEM of São Miguel, ../shared/data) on 1-4 ranks and
// two tile sizes, against gdaldem on the same grid with the GDAL-compatible edges: slope and aspect
// within 1e-4 degrees, hillshade within +-1, every mismatch counted (the count must be 0), and the files
// identical whatever the rank count.
#include <cmath>
#include <cstdio>
#include <iostream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

// Cells where a and b disagree beyond `tol` (NoData on one side only counts); `flat` counts cells that
// are -1 in `ours` and NoData in gdaldem's (gdaldem's flat aspect is -9999, its NoData value).
int mismatches(const Raster& ours, const Raster& gdal, double tol, int* flat = nullptr) {
  int wrong = 0;
  for (std::size_t i = 0; i < ours.cells[0].size(); ++i) {
    const double a = ours.cells[0][i], b = gdal.cells[0][i];
    if (std::isnan(a) && std::isnan(b)) continue;
    if (flat && a == -1 && std::isnan(b)) {
      ++*flat;
      continue;
    }
    if (std::isnan(a) || std::isnan(b) || std::fabs(a - b) > tol) {
      if (wrong < 5)
        ADD_FAILURE() << "cell " << i % static_cast<std::size_t>(ours.cols) << ","
                      << i / static_cast<std::size_t>(ours.cols) << ": trellis " << a << ", gdaldem " << b;
      ++wrong;
    }
  }
  return wrong;
}

TEST(Surface, SaoMiguelDemEqualsGdaldemOnOneToFourRanks) {
  TRELLIS_REQUIRE_SHARED();
  const fs::path dem = *shared_dir() / "data/sao-miguel/eu_dem_v11.tif";
  TempDir ref;
  // Degrees to meters as gdaldem's -s: 111120 m per degree (its documented value for geographic DEMs).
  const std::string s = "111120";
  for (const std::string what : {"slope", "aspect", "hillshade"}) {
    const auto r = run_command("gdaldem " + what + " -q -compute_edges " +
                               (what == "aspect" ? std::string() : "-s " + s + " ") + "'" + dem.string() +
                               "' '" + (ref / (what + ".tif")).string() + "'");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  const Raster want_slope = read_raster(ref / "slope.tif"), want_aspect = read_raster(ref / "aspect.tif"),
               want_hillshade = read_raster(ref / "hillshade.tif");
  char z_text[64];
  std::snprintf(z_text, sizeof z_text, "    z_factor: %.17g\n", 1.0 / 111120.0);
  const std::string z = z_text;
  const std::string steps =
      "  - id: slope\n    op: slope\n    input: tiled\n    edges: gdal\n" + z +
      "  - op: write_geotiff\n    input: slope\n    uri: slope.tif\n"
      "  - id: aspect\n    op: aspect\n    input: tiled\n    edges: gdal\n    aspect_convention: azimuth\n"
      "  - op: write_geotiff\n    input: aspect\n    uri: aspect.tif\n"
      "  - id: hillshade\n    op: hillshade\n    input: tiled\n    edges: gdal\n    scale: gdal\n" +
      z + "  - op: write_geotiff\n    input: hillshade\n    uri: hillshade.tif\n";
  for (int tile_size : {64, 37}) {
    SameOnEveryRankCount same_slope, same_aspect, same_hillshade;
    for (int np : {1, 2, 3, 4}) {
      TempDir d;
      const auto r = run_job_text(d,
                                  "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + dem.string() +
                                      "\n  - id: tiled\n    op: tile_to_layout\n    tile_size: " +
                                      std::to_string(tile_size) + "\n" + steps,
                                  np);
      ASSERT_EQ(r.status, 0) << r.err;
      int flat = 0;
      const int slope = mismatches(read_raster(d / "slope.tif"), want_slope, 1e-4);
      const int aspect = mismatches(read_raster(d / "aspect.tif"), want_aspect, 1e-4, &flat);
      const int hillshade = mismatches(read_raster(d / "hillshade.tif"), want_hillshade, 1);
      EXPECT_EQ(slope + aspect + hillshade, 0) << "tile_size " << tile_size << " np " << np;
      if (np == 1)
        std::cout << "tile_size " << tile_size << ": " << want_slope.cols * want_slope.rows
                  << " cells; mismatches slope " << slope << ", aspect " << aspect << " (plus " << flat
                  << " flat cells: -1 here, -9999 in gdaldem), hillshade " << hillshade << "\n";
      same_slope.check(d / "slope.tif", np);
      same_aspect.check(d / "aspect.tif", np);
      same_hillshade.check(d / "hillshade.tif", np);
    }
  }
}

// z_unit on a projected layer is refused before any work, at its place, with nothing written.
TEST(Surface, ZUnitOnAProjectedLayerIsRefusedAtValidation) {
  TempDir d;
  write_raster(d / "dem.tif", "Int16", 8, 8, 1, {0, 10, 0, 80, 0, -10}, "EPSG:32631", std::nullopt,
               {std::vector<double>(64, 100)});
  for (int np : {0, 2}) {
    const auto r =
        run_job_text(d,
                     "version: 1\nsteps:\n  - op: read_geotiff\n    uri: dem.tif\n  - op: "
                     "tile_to_layout\n  - op: slope\n    z_unit: meters\n  - op: write_geotiff\n    "
                     "uri: out.tif\n",
                     np);
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("job.yaml:7:13: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("z_unit is for geographic layers"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "out.tif"));
  }
}

}  // namespace
}  // namespace trellis::test
