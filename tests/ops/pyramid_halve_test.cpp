// The written-out kernels of aligned pyramid steps against GDAL's: io::warp of the same child in its
// pixel frame, as the pyramid calls it where halve_aligned does not apply. Random cells with NoData,
// every cell type and NoData mode the native path takes, several bands, and values chosen so that
// integer means land on .5 and on the NoData value.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "ops/pyramid/halve.hpp"

namespace trellis::ops {
namespace {

Tile random_child(const CellType& ct, int cols, int rows, int bands, std::mt19937& rng) {
  Tile t(ct, cols, rows, bands);
  std::uniform_int_distribution<int> small(-3, 3), pick(0, 9);
  std::uniform_real_distribution<double> real(-1000, 1000);
  for (int b = 0; b < bands; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const int p = pick(rng);
        double v;
        if (p == 0) {
          v = std::nan("");  // NoData
        } else if (ct.is_float()) {
          v = p < 4 ? static_cast<double>(small(rng)) : real(rng);
        } else {
          v = static_cast<double>(small(rng)) +
              (ct.kind == CellKind::UInt8 || ct.kind == CellKind::UInt16 ? 3 : 0);
        }
        if (std::isnan(v) && !ct.has_nodata() && !ct.is_float()) v = 1;  // raw integers: no NoData
        t.set(b, c, r, v);
      }
  return t;
}

// The same child through GDAL: the parent grid in the child's pixel frame (x = column, y = -row).
Tile through_gdal(const Tile& child, io::ResampleMethod m) {
  const GridExtent src_grid{{0.0, -static_cast<double>(child.rows()), static_cast<double>(child.cols()), 0.0},
                            child.cols(),
                            child.rows()};
  const GridExtent dst_grid{src_grid.extent, child.cols() / 2, child.rows() / 2};
  return io::warp(io::WarpSource{&child, src_grid, Crs{}}, dst_grid, Crs{}, child.cell_type(), m);
}

TEST(PyramidHalve, EqualsGdalsKernelForEveryCellType) {
  const std::vector<std::string> types = {
      "uint8",      "uint8raw",     "uint8ud3", "int16",      "int16raw",     "int16ud0",
      "uint16",     "uint16ud4",    "int32",    "int32raw",   "int32ud-1",    "float32",
      "float32raw", "float32ud0.0", "float64",  "float64raw", "float64ud-1.0"};
  std::mt19937 rng(42);
  for (const auto m : {io::ResampleMethod::Average, io::ResampleMethod::NearestNeighbor})
    for (const auto& name : types) {
      const CellType ct = CellType::parse(name);
      ASSERT_TRUE(halves_natively(m, ct)) << name;
      for (int trial = 0; trial < 3; ++trial) {
        const Tile child = random_child(ct, 16, 12, trial + 1, rng);
        const std::optional<Tile> mine = halve_aligned(child, m);
        ASSERT_TRUE(mine.has_value());
        const Tile gdal = through_gdal(child, m);
        ASSERT_EQ(mine->cols(), gdal.cols());
        ASSERT_EQ(mine->rows(), gdal.rows());
        // Byte for byte (NaN payloads included), so floats and roundings are compared exactly.
        EXPECT_TRUE(*mine == gdal) << name << " " << io::resample_method_name(m) << " trial " << trial;
        if (!(*mine == gdal)) {
          int shown = 0;
          for (int b = 0; b < gdal.bands() && shown < 5; ++b)
            for (int r = 0; r < gdal.rows() && shown < 5; ++r)
              for (int c = 0; c < gdal.cols() && shown < 5; ++c) {
                const double x = mine->get(b, c, r), y = gdal.get(b, c, r);
                if (!(x == y || (std::isnan(x) && std::isnan(y)))) {
                  ADD_FAILURE() << "band " << b << " cell (" << c << ", " << r << "): " << x << " vs GDAL "
                                << y << " from " << child.get(b, 2 * c, 2 * r) << " "
                                << child.get(b, 2 * c + 1, 2 * r) << " " << child.get(b, 2 * c, 2 * r + 1)
                                << " " << child.get(b, 2 * c + 1, 2 * r + 1);
                  ++shown;
                }
              }
        }
      }
    }
}

TEST(PyramidHalve, RoundsAndStepsOffNoDataAsGdal) {
  // Integer means that round (half up) onto the NoData value: GDAL moves them one step down, or up
  // from the type's lowest value.
  struct Case {
    const char* type;
    double a, b, c, d, expected;
  };
  for (const Case& k :
       {Case{"uint8ud3", 6, 0, 0, 4, 2}, Case{"uint8ud3", 2, 4, 2, 4, 2}, Case{"uint8ud0", 0, 1, 0, 0, 1},
        Case{"int16ud0", 1, -1, 1, -1, -1}, Case{"int32ud-1", -2, 0, -2, 0, -2},
        Case{"uint16ud4", 3, 5, 3, 5, 3}, Case{"int16", -3, -2, -2, -2, -2}, Case{"uint8", 1, 2, 1, 2, 2}}) {
    const CellType ct = CellType::parse(k.type);
    Tile child(ct, 2, 2);
    child.set(0, 0, 0, k.a);
    child.set(0, 1, 0, k.b);
    child.set(0, 0, 1, k.c);
    child.set(0, 1, 1, k.d);
    const std::optional<Tile> mine = halve_aligned(child, io::ResampleMethod::Average);
    ASSERT_TRUE(mine.has_value());
    EXPECT_EQ(through_gdal(child, io::ResampleMethod::Average).get(0, 0, 0), k.expected) << k.type;
    EXPECT_EQ(mine->get(0, 0, 0), k.expected) << k.type;
  }
}

TEST(PyramidHalve, LeavesOtherKernelsAndTypesToGdal) {
  EXPECT_FALSE(halves_natively(io::ResampleMethod::Bilinear, CellType::parse("float32")));
  EXPECT_FALSE(halves_natively(io::ResampleMethod::Mode, CellType::parse("int16")));
  EXPECT_FALSE(halves_natively(io::ResampleMethod::Average, CellType::parse("bool")));
  EXPECT_FALSE(halves_natively(io::ResampleMethod::Average, CellType::parse("int8")));
  EXPECT_FALSE(halve_aligned(Tile(CellType::parse("float32"), 4, 4), io::ResampleMethod::Max).has_value());
  EXPECT_FALSE(
      halve_aligned(Tile(CellType::parse("float32"), 5, 4), io::ResampleMethod::Average).has_value());
}

}  // namespace
}  // namespace trellis::ops
