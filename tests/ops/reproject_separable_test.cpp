// The written-out bilinear kernel of separable reprojections against GDAL's: io::warp of the same
// source onto the same grid. Geographic sources with NoData (or none) to Web Mercator grids that lie
// inside, across the edges of, and partly outside the source, for every float cell type.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "ops/reproject/separable.hpp"

namespace trellis::ops {
namespace {

constexpr double kHalf = 20037508.342789244;

double merc_y(double lat) {
  return kHalf / 180.0 * std::log(std::tan((90.0 + lat) * M_PI / 360.0)) * 180.0 / M_PI;
}

Tile random_source(const CellType& ct, int cols, int rows, double nodata_share, std::mt19937& rng,
                   int bands) {
  Tile t(ct, cols, rows, bands);
  std::uniform_real_distribution<double> v(-50, 50), u(0, 1);
  for (int b = 0; b < bands; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) t.set(b, c, r, u(rng) < nodata_share ? std::nan("") : v(rng));
  return t;
}

struct Compared {
  std::size_t cells = 0, differ = 0, one_sided = 0;
  double max_abs = 0;
};

Compared compare(const Tile& a, const Tile& b) {
  Compared c;
  for (int band = 0; band < a.bands(); ++band)
    for (int r = 0; r < a.rows(); ++r)
      for (int col = 0; col < a.cols(); ++col) {
        const double x = a.get(band, col, r), y = b.get(band, col, r);
        ++c.cells;
        if (std::isnan(x) != std::isnan(y)) {
          ++c.one_sided;
          continue;
        }
        if (std::isnan(x)) continue;
        if (x != y) ++c.differ;
        c.max_abs = std::max(c.max_abs, std::fabs(x - y));
      }
  return c;
}

TEST(ReprojectSeparable, EqualsGdalsBilinearFromGeographicToWebMercator) {
  const Crs geo = Crs::from_epsg(4326), merc = Crs::from_epsg(3857);
  const Transform to_src(merc, geo);
  std::mt19937 rng(7);
  // Source: 1/10 degree cells over 10-14 E, 40-43 N.
  const GridExtent sg{{10.0, 40.0, 14.0, 43.0}, 40, 30};
  // Destination grids: inside, across the west/north edges, across the east/south edges, beyond.
  const double x0 = 10.0 * kHalf / 180.0, y0 = merc_y(40.0);
  const double cell = 3000.0;  // m: about 1/37 degree, upsampling
  struct Grid {
    const char* what;
    double xmin, ymax;
  };
  const Grid grids[] = {{"inside", x0 + 50000, y0 + 250000},
                        {"west and north edges", x0 - 20000, merc_y(43.0) + 20000},
                        {"east and south edges", 14.0 * kHalf / 180.0 - 100000, y0 + 60000},
                        {"partly beyond", 14.0 * kHalf / 180.0 - 30000, y0 + 30000}};
  for (const char* type : {"float32", "float32raw", "float32ud-7.0", "float64", "float64ud-7.0"})
    for (const double share : {0.0, 0.15})
      for (const Grid& g : grids) {
        const CellType ct = CellType::parse(type);
        const Tile src = random_source(ct, 40, 30, share, rng, 2);
        const GridExtent dg{{g.xmin, g.ymax - 48 * cell, g.xmin + 64 * cell, g.ymax}, 64, 48};
        const std::optional<SeparableMap> map = separable_map(to_src, dg, sg);
        ASSERT_TRUE(map.has_value()) << g.what;
        ASSERT_TRUE(bilinear_natively(io::ResampleMethod::Bilinear, ct));
        const Tile mine = bilinear_separable(src, *map);
        const Tile gdal = io::warp(io::WarpSource{&src, sg, geo}, dg, merc, ct, io::ResampleMethod::Bilinear);
        const Compared c = compare(mine, gdal);
        EXPECT_EQ(c.one_sided, 0u) << type << " " << share << " " << g.what;
        EXPECT_LE(c.max_abs, 1e-9) << type << " " << share << " " << g.what << ": " << c.differ << " of "
                                   << c.cells << " differ";
      }
}

TEST(ReprojectSeparable, RefusesWhatItDoesNotCompute) {
  const Crs geo = Crs::from_epsg(4326), merc = Crs::from_epsg(3857), utm = Crs::from_epsg(32632);
  const GridExtent sg{{10.0, 40.0, 14.0, 43.0}, 40, 30};
  // Downsampling: GDAL widens its kernel.
  const double x0 = 11.0 * kHalf / 180.0, y0 = merc_y(42.0);
  const GridExtent coarse{{x0, y0 - 10 * 30000.0, x0 + 10 * 30000.0, y0}, 10, 10};
  EXPECT_FALSE(separable_map(Transform(merc, geo), coarse, sg).has_value());
  // Not separable: UTM to geographic.
  const GridExtent utm_grid{{500000, 4500000, 500000 + 64 * 1000.0, 4500000 + 48 * 1000.0}, 64, 48};
  EXPECT_FALSE(separable_map(Transform(utm, geo), utm_grid, sg).has_value());
  EXPECT_FALSE(bilinear_natively(io::ResampleMethod::Bilinear, CellType::parse("int16")));
  EXPECT_FALSE(bilinear_natively(io::ResampleMethod::CubicConvolution, CellType::parse("float32")));
}

}  // namespace
}  // namespace trellis::ops
