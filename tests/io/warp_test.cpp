// io::warp against GDAL's own gdalwarp (the binary from gdal-bin) on the same inputs and grids.
#include "io/warp.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iomanip>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/error.hpp"
#include "core/extent.hpp"
#include "core/tile.hpp"
#include "util/test_util.hpp"

namespace trellis::io {
namespace {

using test::Raster;
using test::TempDir;
namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

GridExtent grid(double xmin, double ymin, double xmax, double ymax, long cols, long rows) {
  return GridExtent{Extent{xmin, ymin, xmax, ymax}, cols, rows};
}

std::vector<double> geotransform(const GridExtent& g) {
  return {g.extent.xmin, g.cell_width(), 0.0, g.extent.ymax, 0.0, -g.cell_height()};
}

std::string num(double v) {
  if (std::isnan(v)) return "nan";
  std::ostringstream os;
  os << std::setprecision(17) << v;
  return os.str();
}

std::string gdal_type_name(CellKind k) {
  switch (k) {
    case CellKind::Bool:
    case CellKind::UInt8:
      return "Byte";
    case CellKind::Int16:
      return "Int16";
    case CellKind::UInt16:
      return "UInt16";
    case CellKind::Int32:
      return "Int32";
    case CellKind::Float32:
      return "Float32";
    case CellKind::Float64:
      return "Float64";
    case CellKind::Int8:
      break;
  }
  throw std::invalid_argument("no gdalwarp type for this kind");
}

// Smooth data with some structure and (for types with NoData) scattered NoData cells (NaN),
// plus a NoData block, within the value range of the kind.
std::vector<std::vector<double>> make_cells(const CellType& ct, int cols, int rows, int bands,
                                            unsigned seed = 1) {
  std::vector<std::vector<double>> cells(bands, std::vector<double>(static_cast<size_t>(cols) * rows));
  for (int b = 0; b < bands; ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        double v = 60 + 50 * std::sin(0.31 * c + seed) * std::cos(0.23 * r - b) + 7 * b +
                   ((c * 7 + r * 13 + static_cast<int>(seed)) % 11);
        if (ct.kind == CellKind::Bool)
          v = ((c / 3 + r / 2 + b) % 2);
        else if (!ct.is_float())
          v = std::round(v);
        else
          v += 0.125 * ((c + r) % 5);
        if (ct.kind == CellKind::Int8) v -= 60;
        if (ct.kind != CellKind::Bool && ct.has_nodata()) {
          unsigned h = (static_cast<unsigned>(c) * 73856093u) ^ (static_cast<unsigned>(r) * 19349663u) ^
                       (static_cast<unsigned>(b + static_cast<int>(seed)) * 83492791u);
          if (h % 9 == 0) v = kNaN;
          if (c >= cols / 2 && c < cols / 2 + 3 && r >= rows / 3 && r < rows / 3 + 4) v = kNaN;
        }
        cells[b][static_cast<size_t>(r) * cols + c] = v;
      }
  return cells;
}

Tile make_tile(const CellType& ct, int cols, int rows, const std::vector<std::vector<double>>& cells) {
  Tile t(ct, cols, rows, static_cast<int>(cells.size()));
  for (int b = 0; b < t.bands(); ++b)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) t.set(b, c, r, cells[b][static_cast<size_t>(r) * cols + c]);
  return t;
}

// A source both as a tile and as a GeoTIFF (NoData cells written as the NoData value).
struct Source {
  Tile tile;
  GridExtent grid;
  Crs crs;
  fs::path tif;
  WarpSource ws() const { return WarpSource{&tile, grid, crs}; }
};

Source make_source(const TempDir& tmp, const std::string& name, const CellType& ct, const GridExtent& g,
                   const Crs& crs, int bands = 1, unsigned seed = 1) {
  auto cells = make_cells(ct, static_cast<int>(g.cols), static_cast<int>(g.rows), bands, seed);
  Source s{make_tile(ct, static_cast<int>(g.cols), static_cast<int>(g.rows), cells), g, crs, tmp / name};
  std::optional<double> nd;
  if (ct.has_nodata()) nd = ct.nodata();
  auto file_cells = cells;
  for (auto& band : file_cells)
    for (auto& v : band)
      if (std::isnan(v) && nd) v = *nd;
  test::write_raster(s.tif, gdal_type_name(ct.kind), static_cast<int>(g.cols), static_cast<int>(g.rows),
                     bands, geotransform(g), crs.definition(), nd, file_cells);
  return s;
}

// gdalwarp onto exactly `dst` (-te/-ts), into a new file of `ct`'s type and NoData.
Raster gdalwarp(const TempDir& tmp, const std::vector<fs::path>& inputs, const GridExtent& dst,
                const Crs& dst_crs, const CellType& ct, ResampleMethod m, const std::string& extra = "") {
  static int counter = 0;
  fs::path out = tmp / ("ref" + std::to_string(counter++) + ".tif");
  std::ostringstream cmd;
  cmd << "gdalwarp -q -overwrite -of GTiff -te " << num(dst.extent.xmin) << ' ' << num(dst.extent.ymin) << ' '
      << num(dst.extent.xmax) << ' ' << num(dst.extent.ymax) << " -ts " << dst.cols << ' ' << dst.rows
      << " -t_srs '" << dst_crs.definition() << "' -r " << gdal_resample_name(m) << " -ot "
      << gdal_type_name(ct.kind) << " -dstnodata " << (ct.has_nodata() ? num(ct.nodata()) : "None")
      << " -wo UNIFIED_SRC_NODATA=NO " << extra;
  for (const auto& in : inputs) cmd << " '" << in.string() << "'";
  cmd << " '" << out.string() << "'";
  auto res = test::run_command(cmd.str());
  if (res.status != 0) throw std::runtime_error("gdalwarp failed: " + cmd.str() + "\n" + res.err);
  return test::read_raster(out);
}

// Number of cells where the tile differs from the raster by more than tol (NaN only matches NaN).
int count_mismatches(const Tile& t, const Raster& r, double tol, const std::string& label) {
  EXPECT_EQ(t.cols(), r.cols) << label;
  EXPECT_EQ(t.rows(), r.rows) << label;
  EXPECT_EQ(t.bands(), r.bands) << label;
  if (t.cols() != r.cols || t.rows() != r.rows || t.bands() != r.bands) return -1;
  int bad = 0;
  for (int b = 0; b < t.bands(); ++b)
    for (int row = 0; row < t.rows(); ++row)
      for (int c = 0; c < t.cols(); ++c) {
        double a = t.get(b, c, row), e = r.at(b, c, row);
        bool ok =
            (std::isnan(a) && std::isnan(e)) || (!std::isnan(a) && !std::isnan(e) && std::fabs(a - e) <= tol);
        if (!ok && ++bad <= 5)
          ADD_FAILURE() << label << ": band " << b << " cell (" << c << "," << row << "): warp " << a
                        << " gdalwarp " << e;
      }
  return bad;
}

int count_data(const Tile& t) {
  int n = 0;
  for (int b = 0; b < t.bands(); ++b)
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c) n += !t.is_nodata(b, c, r);
  return n;
}

const std::vector<ResampleMethod>& all_methods() {
  static const std::vector<ResampleMethod> v = [] {
    std::vector<ResampleMethod> out;
    for (const auto& n : resample_method_names()) out.push_back(parse_resample_method(n));
    return out;
  }();
  return v;
}

// ---------------------------------------------------------------------------------------------

TEST(WarpResampleMethod, ParsesEveryCanonicalName) {
  const std::vector<std::string> expected = {"nearest_neighbor",
                                             "bilinear",
                                             "cubic_convolution",
                                             "cubic_spline",
                                             "lanczos",
                                             "average",
                                             "mode",
                                             "median",
                                             "max",
                                             "min",
                                             "q1",
                                             "q3",
                                             "sum",
                                             "rms"};
  EXPECT_EQ(resample_method_names(), expected);
  std::set<int> algs;
  std::set<std::string> gdal_names;
  for (const auto& n : expected) {
    ResampleMethod m = parse_resample_method(n);
    EXPECT_EQ(resample_method_name(m), n);
    algs.insert(to_gdal_resample_alg(m));
    gdal_names.insert(gdal_resample_name(m));
  }
  EXPECT_EQ(algs.size(), expected.size());
  EXPECT_EQ(gdal_names.size(), expected.size());
  EXPECT_EQ(parse_resample_method("nearest_neighbor"), ResampleMethod::NearestNeighbor);
  EXPECT_EQ(parse_resample_method("cubic_convolution"), ResampleMethod::CubicConvolution);
  EXPECT_EQ(parse_resample_method("median"), ResampleMethod::Median);
  EXPECT_STREQ(gdal_resample_name(ResampleMethod::Median), "med");
  EXPECT_STREQ(gdal_resample_name(ResampleMethod::NearestNeighbor), "near");
}

TEST(WarpResampleMethod, RejectsUnknownNames) {
  for (const char* bad : {"", "nearest", "NearestNeighbor", "cubic", "gauss", "Bilinear "})
    EXPECT_THROW(parse_resample_method(bad), JobError) << bad;
  try {
    parse_resample_method("nearest");
    FAIL();
  } catch (const JobError& e) {
    EXPECT_NE(std::string(e.what()).find("nearest_neighbor"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'nearest'"), std::string::npos) << e.what();
  }
}

// Same CRS, same cells, nearest neighbour: exactly the source, for every kind and NoData mode.
TEST(WarpIdentity, NearestOnTheSameGridGivesTheSourceCells) {
  const Crs crs = Crs::from_epsg(4326);
  const GridExtent g = grid(10.0, 40.0, 13.0, 42.25, 24, 18);
  for (const char* name :
       {"float32", "float64", "float32ud-9999.0", "float64raw", "int32", "int32ud-5", "int16", "int16raw",
        "uint16", "uint16ud7", "uint8", "uint8raw", "int8", "int8ud3", "bool"}) {
    const CellType ct = CellType::parse(name);
    for (int bands : {1, 3}) {
      Tile src = make_tile(ct, 24, 18, make_cells(ct, 24, 18, bands, 5));
      for (int threads : {1, 2}) {
        Tile out = warp(WarpSource{&src, g, crs}, g, crs, ct, ResampleMethod::NearestNeighbor, threads);
        EXPECT_TRUE(out == src) << name << " bands " << bands << " threads " << threads;
      }
    }
  }
}

// A window of the source on the same lattice: the source's cells, shifted.
TEST(WarpIdentity, AlignedSubWindowIsACrop) {
  const Crs crs = Crs::from_epsg(3857);
  const CellType ct = CellType::parse("int16ud-999");
  const GridExtent g = grid(0, 0, 300, 200, 30, 20);  // 10 m cells
  Tile src = make_tile(ct, 30, 20, make_cells(ct, 30, 20, 2));
  const GridExtent win = grid(50, 30, 170, 150, 12, 12);  // cols 5..16, rows 5..16
  for (ResampleMethod m : {ResampleMethod::NearestNeighbor, ResampleMethod::Mode, ResampleMethod::Max}) {
    Tile out = warp(WarpSource{&src, g, crs}, win, crs, ct, m);
    for (int b = 0; b < 2; ++b)
      for (int r = 0; r < 12; ++r)
        for (int c = 0; c < 12; ++c) {
          double a = out.get(b, c, r), e = src.get(b, c + 5, r + 5);
          if (std::isnan(e))
            EXPECT_TRUE(std::isnan(a)) << resample_method_name(m) << " " << c << "," << r;
          else
            EXPECT_EQ(a, e) << resample_method_name(m) << " " << c << "," << r;
        }
  }
}

// Downsampling by 2 with `average`: the mean of the valid cells of each 2x2 block.
TEST(WarpResample, AverageOfTwoByTwoBlocks) {
  const Crs crs = Crs::from_epsg(32633);
  const CellType ct = CellType::parse("float64");
  const GridExtent g = grid(500000, 5000000, 500160, 5000120, 16, 12);
  Tile src = make_tile(ct, 16, 12, make_cells(ct, 16, 12, 1, 3));
  const GridExtent half = grid(500000, 5000000, 500160, 5000120, 8, 6);
  Tile out = warp(WarpSource{&src, g, crs}, half, crs, ct, ResampleMethod::Average);
  int checked = 0;
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 8; ++c) {
      double sum = 0;
      int n = 0;
      for (int dr = 0; dr < 2; ++dr)
        for (int dc = 0; dc < 2; ++dc) {
          double v = src.get(0, 2 * c + dc, 2 * r + dr);
          if (!std::isnan(v)) sum += v, ++n;
        }
      if (n == 0) {
        EXPECT_TRUE(std::isnan(out.get(0, c, r))) << c << "," << r;
      } else {
        EXPECT_NEAR(out.get(0, c, r), sum / n, 1e-9) << c << "," << r;
        ++checked;
      }
    }
  EXPECT_GT(checked, 30);
}

// Every method, same CRS: downsampling by 2 (aligned) and a shifted, finer grid partly outside.
TEST(WarpVsGdalwarp, SameCrsEveryMethod) {
  TempDir tmp;
  const Crs crs = Crs::from_epsg(4326);
  const CellType ct = CellType::parse("float32");
  Source s = make_source(tmp, "src.tif", ct, grid(5.0, 44.0, 9.0, 47.0, 40, 30), crs);
  const std::vector<GridExtent> dsts = {
      grid(5.0, 44.0, 9.0, 47.0, 20, 15),      // /2 aligned (pyramid)
      grid(4.83, 43.71, 8.37, 46.59, 47, 29),  // shifted, finer, partly outside
      grid(5.4, 44.3, 8.6, 46.7, 9, 7),        // coarse, non-integer factor
  };
  for (ResampleMethod m : all_methods())
    for (size_t i = 0; i < dsts.size(); ++i) {
      const std::string label = resample_method_name(m) + " grid " + std::to_string(i);
      Tile out = warp(s.ws(), dsts[i], crs, ct, m);
      Raster ref = gdalwarp(tmp, {s.tif}, dsts[i], crs, ct, m);
      EXPECT_EQ(count_mismatches(out, ref, 1e-6, label), 0) << label;
      EXPECT_GT(count_data(out), 0) << label;
    }
}

// Reprojection EPSG:4326 -> EPSG:3857 and -> UTM 33N, integer data with a user-defined NoData.
TEST(WarpVsGdalwarp, ReprojectsLikeGdalwarp) {
  TempDir tmp;
  const Crs wgs84 = Crs::from_epsg(4326);
  const CellType ct = CellType::parse("int16ud-999");
  Source s = make_source(tmp, "src.tif", ct, grid(13.5, 45.0, 16.5, 47.4, 60, 48), wgs84, 2);
  struct Target {
    Crs crs;
    GridExtent grid;
  };
  const std::vector<Target> targets = {
      {Crs::from_epsg(3857), grid(1.52e6, 5.65e6, 1.83e6, 6.0e6, 53, 61)},
      {Crs::from_epsg(3857), grid(1.45e6, 5.6e6, 1.9e6, 6.05e6, 20, 20)},  // coarser, larger than the source
      {Crs::from_epsg(32633), grid(350000, 5000000, 620000, 5250000, 45, 50)},
  };
  for (ResampleMethod m : all_methods())
    for (size_t i = 0; i < targets.size(); ++i) {
      const std::string label = resample_method_name(m) + " target " + std::to_string(i);
      Tile out = warp(s.ws(), targets[i].grid, targets[i].crs, ct, m);
      Raster ref = gdalwarp(tmp, {s.tif}, targets[i].grid, targets[i].crs, ct, m);
      EXPECT_EQ(count_mismatches(out, ref, 1e-6, label), 0) << label;
      EXPECT_GT(count_data(out), 0) << label;
    }
}

// NoData handling across kinds: NaN floats, user-defined integer NoData, constant NoData, raw types,
// and conversions between source and destination kinds.
TEST(WarpVsGdalwarp, NoDataAndCellTypes) {
  TempDir tmp;
  const Crs wgs84 = Crs::from_epsg(4326), merc = Crs::from_epsg(3857);
  const GridExtent sg = grid(-3.0, 50.0, 1.0, 53.0, 32, 24);
  const GridExtent same = grid(-2.73, 50.4, 0.61, 52.8, 41, 27);
  const GridExtent mg = grid(-3.1e5, 6.48e6, 1.2e5, 6.98e6, 37, 44);
  struct Case {
    const char* src;
    const char* dst;
  };
  for (Case cs : std::vector<Case>{{"float32", "float32"},
                                   {"float64", "float32"},
                                   {"int32ud-9999", "int32ud-9999"},
                                   {"int32", "float64"},
                                   {"uint8", "uint8"},
                                   {"uint16ud0", "int16ud-1"},
                                   {"int16", "float32ud-3.5"},
                                   {"uint8raw", "uint8raw"},
                                   {"int16raw", "float32"},
                                   {"uint16raw", "int32raw"},
                                   {"float32", "int16raw"}}) {
    const CellType sct = CellType::parse(cs.src), dct = CellType::parse(cs.dst);
    Source s = make_source(tmp, std::string(cs.src) + ".tif", sct, sg, wgs84, 2, 9);
    for (ResampleMethod m :
         {ResampleMethod::NearestNeighbor, ResampleMethod::Bilinear, ResampleMethod::CubicConvolution,
          ResampleMethod::Average, ResampleMethod::Mode, ResampleMethod::Sum}) {
      for (int t = 0; t < 2; ++t) {
        // gdalwarp takes ~0.3 s to start: the same-CRS grid only with half of the methods.
        if (t == 0 && (m == ResampleMethod::NearestNeighbor || m == ResampleMethod::CubicConvolution ||
                       m == ResampleMethod::Mode))
          continue;
        const GridExtent& dg = t == 0 ? same : mg;
        const Crs& dc = t == 0 ? wgs84 : merc;
        const std::string label =
            std::string(cs.src) + " -> " + cs.dst + " " + resample_method_name(m) + (t ? " 3857" : " same");
        Tile out = warp(s.ws(), dg, dc, dct, m);
        EXPECT_EQ(out.cell_type(), dct);
        Raster ref = gdalwarp(tmp, {s.tif}, dg, dc, dct, m);
        EXPECT_EQ(count_mismatches(out, ref, 1e-6, label), 0) << label;
        EXPECT_GT(count_data(out), static_cast<int>(out.cells())) << label;  // 2 bands, mostly data
      }
    }
  }
}

// A raw float source: NaN cells are NoData (Tile::get reads them as NaN) — gdalwarp -srcnodata nan.
TEST(WarpVsGdalwarp, RawFloatNaNIsNotData) {
  TempDir tmp;
  const Crs crs = Crs::from_epsg(4326);
  const CellType ct = CellType::parse("float32raw");
  const GridExtent sg = grid(0, 0, 2, 2, 20, 20);
  auto cells = make_cells(ct, 20, 20, 1);
  for (int i = 0; i < 400; i += 7) cells[0][i] = kNaN;
  Tile src = make_tile(ct, 20, 20, cells);
  fs::path tif = tmp / "raw.tif";
  test::write_raster(tif, "Float32", 20, 20, 1, geotransform(sg), "EPSG:4326", std::nullopt, cells);
  const GridExtent dg = grid(0.13, 0.07, 1.91, 1.77, 13, 17);
  const CellType dct = CellType::parse("float32");
  for (ResampleMethod m : {ResampleMethod::Bilinear, ResampleMethod::Average, ResampleMethod::Lanczos}) {
    Tile out = warp(WarpSource{&src, sg, crs}, dg, crs, dct, m);
    Raster ref = gdalwarp(tmp, {tif}, dg, crs, dct, m, "-srcnodata nan");
    EXPECT_EQ(count_mismatches(out, ref, 1e-6, resample_method_name(m)), 0) << resample_method_name(m);
  }
}

// A float `ud` tile's NaN cells read as NoData (Tile::get) and are not used as data either.
TEST(WarpCellTypes, NaNInAFloatUdTileIsNoData) {
  const Crs crs = Crs::from_epsg(4326);
  const CellType ct = CellType::parse("float32ud-9999.0");
  const GridExtent sg = grid(0, 0, 1, 1, 12, 12);
  Tile with_nan = make_tile(ct, 12, 12, make_cells(ct, 12, 12, 1));
  Tile with_nd = with_nan;
  for (int i = 0; i < 144; i += 5) {
    with_nan.band_as<float>(0)[i] = std::numeric_limits<float>::quiet_NaN();
    with_nd.band_as<float>(0)[i] = -9999.0f;
  }
  ASSERT_TRUE(with_nan.is_nodata(0, 5, 0));
  const GridExtent dg = grid(0.03, 0.05, 0.97, 0.91, 9, 10);
  for (ResampleMethod m : {ResampleMethod::Bilinear, ResampleMethod::CubicSpline, ResampleMethod::Average}) {
    Tile a = warp(WarpSource{&with_nan, sg, crs}, dg, crs, ct, m);
    Tile b = warp(WarpSource{&with_nd, sg, crs}, dg, crs, ct, m);
    EXPECT_TRUE(a == b) << resample_method_name(m);
    EXPECT_GT(count_data(a), 40) << resample_method_name(m);
  }
}

// warp_into composites: cells outside the source, and cells where the source only has NoData, keep
// their prior value; covered cells get gdalwarp's value.
TEST(WarpInto, KeepsPriorValuesWhereTheSourceHasNoData) {
  TempDir tmp;
  const Crs wgs84 = Crs::from_epsg(4326), merc = Crs::from_epsg(3857);
  for (const char* name : {"float32", "int16ud-999", "uint16raw"}) {
    const CellType ct = CellType::parse(name);
    Source s = make_source(tmp, std::string(name) + ".tif", ct, grid(2.0, 48.0, 4.0, 49.5, 30, 24), wgs84);
    for (ResampleMethod m :
         {ResampleMethod::NearestNeighbor, ResampleMethod::Bilinear, ResampleMethod::Average}) {
      // The destination reaches past the source's east and south edges.
      const GridExtent dg = grid(2.6e5, 6.05e6, 5.6e5, 6.3e6, 40, 33);
      Tile dst(ct, 40, 33, 1);
      for (int r = 0; r < 33; ++r)
        for (int c = 0; c < 40; ++c) dst.set(0, c, r, 7);
      warp_into(s.ws(), dst, dg, merc, m);
      Raster ref = gdalwarp(tmp, {s.tif}, dg, merc, ct, m);
      int kept = 0, written = 0;
      for (int r = 0; r < 33; ++r)
        for (int c = 0; c < 40; ++c) {
          double e = ref.at(0, c, r), a = dst.get(0, c, r);
          // gdalwarp's NoData (or 0 for the raw type: the data is never 0) marks "not written".
          const bool not_written = std::isnan(e) || (!ct.has_nodata() && e == 0);
          if (not_written) {
            EXPECT_EQ(a, 7) << name << " " << resample_method_name(m) << " (" << c << "," << r << ")";
            ++kept;
          } else {
            EXPECT_NEAR(a, e, 1e-6) << name << " " << resample_method_name(m) << " (" << c << "," << r << ")";
            ++written;
          }
        }
      EXPECT_GT(kept, 100) << name;
      EXPECT_GT(written, 300) << name;
      // The east edge is beyond the source (4.0 E is about 445 km in EPSG:3857): kept.
      EXPECT_EQ(dst.get(0, 39, 10), 7) << name;
    }
  }
}

// Two overlapping sources warped one after the other = gdalwarp with both inputs (later wins).
TEST(WarpInto, MosaicOfTwoSourcesMatchesGdalwarp) {
  TempDir tmp;
  const Crs wgs84 = Crs::from_epsg(4326), utm = Crs::from_epsg(32633);
  const CellType ct = CellType::parse("float32");
  Source a = make_source(tmp, "a.tif", ct, grid(14.0, 45.0, 15.2, 46.0, 24, 20), wgs84, 1, 1);
  Source b = make_source(tmp, "b.tif", ct, grid(15.0, 45.3, 16.0, 46.3, 25, 26), wgs84, 1, 2);
  const GridExtent dg = grid(420000, 4990000, 590000, 5130000, 51, 47);
  for (ResampleMethod m :
       {ResampleMethod::NearestNeighbor, ResampleMethod::Bilinear, ResampleMethod::Average}) {
    Tile out(ct, 51, 47, 1);
    warp_into(a.ws(), out, dg, utm, m);
    warp_into(b.ws(), out, dg, utm, m);
    Raster ref = gdalwarp(tmp, {a.tif, b.tif}, dg, utm, ct, m);
    EXPECT_EQ(count_mismatches(out, ref, 1e-6, resample_method_name(m)), 0) << resample_method_name(m);
  }
}

// Int8 (no GDAL 3.6 type: warped through Int16) equals the Int16 warp of the same data, clamped.
TEST(WarpCellTypes, Int8MatchesInt16Clamped) {
  const Crs wgs84 = Crs::from_epsg(4326), merc = Crs::from_epsg(3857);
  const GridExtent sg = grid(0, 0, 1, 1, 16, 16);
  const GridExtent dg = grid(1.0e4, 1.0e4, 1.0e5, 1.0e5, 11, 13);
  const CellType i8 = CellType::parse("int8"), i16 = CellType::parse("int16ud-128");
  auto cells = make_cells(i8, 16, 16, 1);
  // Extremes next to each other make cubic/lanczos overshoot the Int8 range.
  for (int r = 0; r < 16; ++r)
    for (int c = 6; c < 10; ++c)
      if (!std::isnan(cells[0][r * 16 + c])) cells[0][r * 16 + c] = (c % 2) ? 127 : -127;
  Tile s8 = make_tile(i8, 16, 16, cells), s16 = make_tile(i16, 16, 16, cells);
  int clamped = 0;
  for (ResampleMethod m : all_methods()) {
    Tile o8 = warp(WarpSource{&s8, sg, wgs84}, dg, merc, i8, m);
    Tile o16 = warp(WarpSource{&s16, sg, wgs84}, dg, merc, i16, m);
    for (int r = 0; r < 13; ++r)
      for (int c = 0; c < 11; ++c) {
        double e = o16.get(0, c, r), a = o8.get(0, c, r);
        if (std::isnan(e)) {
          EXPECT_TRUE(std::isnan(a)) << resample_method_name(m);
          continue;
        }
        double ce = std::min(127.0, std::max(-127.0, e));  // -128 is NoData: GDAL moves off it
        clamped += ce != e;
        EXPECT_EQ(a, ce) << resample_method_name(m) << " (" << c << "," << r << ")";
      }
  }
  EXPECT_GT(clamped, 0);
}

// Bool is warped as Byte and stays 0/1 (sum of several cells stored as 1).
TEST(WarpCellTypes, BoolStaysZeroOrOne) {
  const Crs crs = Crs::from_epsg(3857);
  const CellType b = CellType::parse("bool");
  const GridExtent sg = grid(0, 0, 160, 160, 16, 16);
  Tile src = make_tile(b, 16, 16, make_cells(b, 16, 16, 1));
  const GridExtent dg = grid(0, 0, 160, 160, 5, 5);
  for (ResampleMethod m : all_methods()) {
    Tile out = warp(WarpSource{&src, sg, crs}, dg, crs, b, m);
    std::set<std::uint8_t> seen;
    for (std::size_t i = 0; i < out.cells(); ++i) seen.insert(out.band_as<std::uint8_t>(0)[i]);
    for (auto v : seen) EXPECT_LE(v, 1) << resample_method_name(m);
  }
  Tile sum = warp(WarpSource{&src, sg, crs}, grid(0, 0, 160, 160, 4, 4), crs, b, ResampleMethod::Sum);
  EXPECT_EQ(sum.get(0, 0, 0), 1);
}

// Concurrent calls on different tiles (as OpenMP threads would make) give the serial results.
TEST(WarpThreads, ConcurrentCallsMatchSerial) {
  const Crs wgs84 = Crs::from_epsg(4326), merc = Crs::from_epsg(3857), utm = Crs::from_epsg(32632);
  const CellType ct = CellType::parse("float32");
  constexpr int kTiles = 16;
  std::vector<Tile> srcs;
  std::vector<GridExtent> sgrids;
  for (int i = 0; i < kTiles; ++i) {
    srcs.push_back(make_tile(ct, 32, 32, make_cells(ct, 32, 32, 2, static_cast<unsigned>(i))));
    sgrids.push_back(grid(6 + 0.25 * i, 45, 6.5 + 0.25 * i, 45.5, 32, 32));
  }
  auto run = [&](int i) {
    const bool to_utm = i % 2 == 1;
    const GridExtent dg = to_utm ? grid(250000 + 20000.0 * i, 4990000, 300000 + 20000.0 * i, 5040000, 30, 30)
                                 : grid(6.7e5 + 2.8e4 * i, 5.62e6, 7.3e5 + 2.8e4 * i, 5.7e6, 30, 30);
    return warp(WarpSource{&srcs[i], sgrids[i], wgs84}, dg, to_utm ? utm : merc, ct,
                i % 3 == 0 ? ResampleMethod::CubicConvolution : ResampleMethod::Bilinear);
  };
  std::vector<Tile> serial;
  for (int i = 0; i < kTiles; ++i) serial.push_back(run(i));
  for (int repeat = 0; repeat < 3; ++repeat) {
    std::vector<Tile> parallel(kTiles);
    std::vector<std::thread> pool;
    for (int t = 0; t < 4; ++t)
      pool.emplace_back([&, t] {
        for (int i = t; i < kTiles; i += 4) parallel[i] = run(i);
      });
    for (auto& th : pool) th.join();
    for (int i = 0; i < kTiles; ++i) EXPECT_TRUE(parallel[i] == serial[i]) << "tile " << i;
  }
  for (int i = 0; i < kTiles; ++i) EXPECT_GT(count_data(serial[i]), 0) << "tile " << i;
}

// GDAL's own threads (NUM_THREADS) give the same result.
TEST(WarpThreads, KernelThreadsGiveTheSameResult) {
  const Crs wgs84 = Crs::from_epsg(4326), merc = Crs::from_epsg(3857);
  const CellType ct = CellType::parse("float64");
  Tile src = make_tile(ct, 120, 90, make_cells(ct, 120, 90, 1));
  const GridExtent sg = grid(-10, 35, 2, 44, 120, 90);
  const GridExtent dg = grid(-1.0e6, 4.3e6, 1.0e5, 5.4e6, 150, 160);
  Tile one = warp(WarpSource{&src, sg, wgs84}, dg, merc, ct, ResampleMethod::Lanczos, 1);
  Tile two = warp(WarpSource{&src, sg, wgs84}, dg, merc, ct, ResampleMethod::Lanczos, 2);
  EXPECT_TRUE(one == two);
  EXPECT_GT(count_data(one), 1000);
}

// A GridTransform built once and placed per warp gives the cells of GDAL's transformer built for each
// warp: windows of a geographic frame warped to windows of a Web Mercator frame (tiles of a layout).
TEST(WarpPlacement, AReusedTransformGivesTheCellsOfOneBuiltPerWarp) {
  const Crs wgs84 = Crs::from_epsg(4326), merc = Crs::from_epsg(3857);
  const CellType ct = CellType::parse("float32ud-9999");
  // Source frame: 0.05-degree cells from (-12, 52), 400 x 300; destination frame: 5 km cells from
  // (-1.3e6, 6.8e6), 240 x 300 (over the source's interior).
  const GridFrame sf{-12.0, 52.0, 0.05, 0.05, 400, 300};
  const GridFrame df{-1.3e6, 6.8e6, 5000.0, 5000.0, 240, 300};
  const Tile whole = make_tile(ct, 400, 300, make_cells(ct, 400, 300, 1, 3));
  auto window = [](const GridFrame& f, long c0, long r0, long cols, long rows) {
    return grid(f.xmin + c0 * f.cell_width, f.ymax - (r0 + rows) * f.cell_height,
                f.xmin + (c0 + cols) * f.cell_width, f.ymax - r0 * f.cell_height, cols, rows);
  };
  const GridTransform tr(wgs84, sf, merc, df);
  int compared = 0;
  for (auto m : {ResampleMethod::NearestNeighbor, ResampleMethod::Bilinear, ResampleMethod::CubicConvolution})
    for (long dr0 : {0L, 100L, 200L})
      for (long dc0 : {0L, 80L, 160L}) {
        // A source window around what the destination tile needs (the whole frame would do; a window
        // tests the offsets).
        const long sc0 = dc0 * 9 / 10, sr0 = dr0 / 2;
        const Tile part = whole.crop(static_cast<int>(sc0), static_cast<int>(sr0), 200, 200);
        const WarpSource src{&part, window(sf, sc0, sr0, 200, 200), wgs84};
        const GridExtent dg = window(df, dc0, dr0, 80, 100);
        const FramePlacement pl{&tr, sc0, sr0, dc0, dr0};
        Tile fresh = warp(src, dg, merc, ct, m);
        Tile reused = warp(src, dg, merc, ct, m, 1, &pl);
        ASSERT_GT(count_data(fresh), 4000) << "tile " << dc0 << "," << dr0;
        int differ = 0;
        double worst = 0;
        for (int r = 0; r < 100; ++r)
          for (int c = 0; c < 80; ++c) {
            const double a = fresh.get(0, c, r), b = reused.get(0, c, r);
            if (std::isnan(a) != std::isnan(b))
              ++differ;
            else if (!std::isnan(a) && a != b)
              ++differ, worst = std::max(worst, std::fabs(a - b));
          }
        // Only the rounding of the geotransforms differs: no cell changes, or a handful by a rounding.
        EXPECT_LE(differ, 8) << "tile " << dc0 << "," << dr0;
        EXPECT_LE(worst, m == ResampleMethod::NearestNeighbor ? 20.0 : 1e-3) << "tile " << dc0 << "," << dr0;
        ++compared;
      }
  EXPECT_EQ(compared, 27);
  // The placement's CRSs must be the warp's.
  const Tile part = whole.crop(0, 0, 100, 100);
  const FramePlacement pl{&tr, 0, 0, 0, 0};
  EXPECT_THROW(warp(WarpSource{&part, window(sf, 0, 0, 100, 100), wgs84}, window(df, 0, 0, 10, 10),
                    Crs::from_epsg(32631), ct, ResampleMethod::Bilinear, 1, &pl),
               std::invalid_argument);
}

TEST(WarpErrors, InconsistentShapesAreRejected) {
  const Crs crs = Crs::from_epsg(4326);
  const CellType ct = CellType::parse("float32");
  Tile src(ct, 10, 10, 1);
  const GridExtent g = grid(0, 0, 1, 1, 10, 10);
  EXPECT_THROW(warp(WarpSource{&src, grid(0, 0, 1, 1, 10, 11), crs}, g, crs, ct, ResampleMethod::Bilinear),
               std::invalid_argument);
  Tile dst(ct, 5, 5, 1);
  EXPECT_THROW(warp_into(WarpSource{&src, g, crs}, dst, g, crs, ResampleMethod::Bilinear),
               std::invalid_argument);
  Tile dst2(ct, 10, 10, 2);
  EXPECT_THROW(warp_into(WarpSource{&src, g, crs}, dst2, g, crs, ResampleMethod::Bilinear),
               std::invalid_argument);
  EXPECT_THROW(warp(WarpSource{nullptr, g, crs}, g, crs, ct, ResampleMethod::Bilinear),
               std::invalid_argument);
  EXPECT_THROW(warp(WarpSource{&src, g, Crs()}, g, crs, ct, ResampleMethod::Bilinear), std::invalid_argument);
  EXPECT_THROW(warp_into(WarpSource{&src, g, crs}, src, g, crs, ResampleMethod::Bilinear),
               std::invalid_argument);
}

// A transformation GDAL cannot build becomes an IoError carrying GDAL's message.
TEST(WarpErrors, GdalFailureBecomesIoError) {
  const Crs wgs84 = Crs::from_epsg(4326);
  Crs local;
  try {
    local = Crs::from_wkt(
        R"(ENGCRS["local grid",EDATUM["site"],CS[Cartesian,2],AXIS["x",east,LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]])");
  } catch (const JobError& e) {
    GTEST_SKIP() << "Crs does not take an engineering CRS: " << e.what();
  }
  const CellType ct = CellType::parse("float32");
  Tile src(ct, 10, 10, 1);
  try {
    warp(WarpSource{&src, grid(0, 0, 1, 1, 10, 10), wgs84}, grid(0, 0, 100, 100, 10, 10), local, ct,
         ResampleMethod::Bilinear);
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("warp"), std::string::npos) << msg;
    EXPECT_GT(msg.size(), 40u) << msg;  // carries GDAL's message
  }
}

// Same frame, disjoint extents: nothing is written.
TEST(WarpInto, DisjointExtentsWriteNothing) {
  const Crs crs = Crs::from_epsg(3857);
  const CellType ct = CellType::parse("int32");
  Tile src = make_tile(ct, 8, 8, make_cells(ct, 8, 8, 1));
  Tile dst(ct, 8, 8, 1);
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 8; ++c) dst.set(0, c, r, 42);
  Tile before = dst;
  warp_into(WarpSource{&src, grid(0, 0, 80, 80, 8, 8), crs}, dst, grid(80, 0, 160, 80, 8, 8), crs,
            ResampleMethod::CubicConvolution);
  EXPECT_TRUE(dst == before);
}

}  // namespace
}  // namespace trellis::io
