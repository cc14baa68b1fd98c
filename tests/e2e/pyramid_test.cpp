// pyramid -> write_geotiff {zoom}: every level is checked against an independent resampling of the
// written level below by gdalwarp (same grid, every kernel), against brute-force NoData-aware kernels,
// against the pyramid conformance cases, and across 1-4 ranks (identical files).
#include <gdal.h>
#include <gdal_utils.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

struct Method {
  const char* name;  // trellis' resample_method
  const char* gdal;  // gdalwarp -r
};

const Method kMethods[] = {{"nearest_neighbor", "near"},
                           {"bilinear", "bilinear"},
                           {"cubic_convolution", "cubic"},
                           {"cubic_spline", "cubicspline"},
                           {"lanczos", "lanczos"},
                           {"average", "average"},
                           {"mode", "mode"},
                           {"median", "med"},
                           {"max", "max"},
                           {"min", "min"},
                           {"q1", "q1"},
                           {"q3", "q3"},
                           {"sum", "sum"},
                           {"rms", "rms"}};

const Method& method(const std::string& name) {
  for (const auto& m : kMethods)
    if (name == m.name) return m;
  throw std::runtime_error("unknown method " + name);
}

std::string fmt(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// A job: read `src`, tile it (`tiling` holds the tile_to_layout parameters), then one pyramid per method,
// each written to <method>/z{zoom}.tif.
std::string pyramid_job(const std::string& src, const std::string& tiling,
                        const std::vector<std::string>& methods, const std::string& pyramid_extra = "") {
  std::string j = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src + "\n    max_tile_size: 61\n" +
                  "  - id: tiled\n    op: tile_to_layout\n" + tiling;
  for (const auto& m : methods) {
    j += "  - id: p_" + m + "\n    op: pyramid\n    input: tiled\n    resample_method: " + m + "\n" +
         pyramid_extra;
    j += "  - op: write_geotiff\n    input: p_" + m + "\n    uri: " + m + "/z{zoom}.tif\n";
  }
  return j;
}

// The zooms written under dir (files z<N>.tif), highest first.
std::vector<int> zooms_in(const fs::path& dir) {
  std::vector<int> z;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string s = e.path().stem().string();
    if (s.size() > 1 && s[0] == 'z' && s.find_first_not_of("0123456789", 1) == std::string::npos &&
        e.path().extension() == ".tif")
      z.push_back(std::stoi(s.substr(1)));
  }
  std::sort(z.rbegin(), z.rend());
  return z;
}

struct Agreement {
  long cells = 0;          // cells compared
  long nodata_differ = 0;  // NoData in one, data in the other
  long differ = 0;         // data in both, different values
  double max_abs = 0;      // largest |difference| among those
  double max_rel = 0;      // largest |difference| / |reference value|
  bool aligned = true;     // the level's cells are 2 x 2 cells of the level below
  bool integer = false;    // an integer cell type
};

// gdalwarp (GDAL's library behind the command, in-process: no process start per level) of the level
// below onto the level's grid. Both grids are taken in the lower file's pixel frame (x = column,
// y = -row): the same grids, without the rounding noise of the layouts' geotransforms.
Raster gdalwarp_reference(const Raster& got, const fs::path& below, const Method& m, const fs::path& work,
                          bool* aligned) {
  GDALAllRegister();
  Raster lo = read_raster(below);
  auto snap = [](double v) {  // exact binary fractions (halves, quarters, ...) where the grids have them
    const double h = std::round(v * 1024) / 1024;
    return std::fabs(v - h) < 1e-6 ? h : v;
  };
  const double u0 = snap((got.gt[0] - lo.gt[0]) / lo.gt[1]), v0 = snap((got.gt[3] - lo.gt[3]) / lo.gt[5]);
  const double sx = snap(got.gt[1] / lo.gt[1]), sy = snap(got.gt[5] / lo.gt[5]);
  *aligned = sx == 2 && sy == 2 && u0 == std::round(u0) && v0 == std::round(v0);
  const fs::path src = work / "ref-src.tif", ref = work / "ref.tif";
  // Outside its file, the level below is NoData (the pyramid's levels are NoData outside the layer's
  // extent): the reference source gets a border of NoData cells wide enough for every kernel. (GDAL's
  // lanczos kernel treats cells beyond a raster's edge differently from NoData cells.)
  const int pad = lo.nodata[0] ? 8 : 0;
  const int pc = lo.cols + 2 * pad, pr = lo.rows + 2 * pad;
  std::vector<std::vector<double>> cells(lo.bands);
  for (int b = 0; b < lo.bands; ++b) {
    const double nd = lo.nodata[b].value_or(0);
    cells[b].assign(static_cast<std::size_t>(pc) * pr, nd);
    for (int r = 0; r < lo.rows; ++r)
      for (int c = 0; c < lo.cols; ++c) {
        const double v = lo.at(b, c, r);  // NoData reads as NaN
        cells[b][static_cast<std::size_t>(r + pad) * pc + c + pad] = std::isnan(v) ? nd : v;
      }
  }
  write_raster(src, lo.gdal_type, pc, pr, lo.bands,
               {-static_cast<double>(pad), 1, 0, static_cast<double>(pad), 0, -1}, "", lo.nodata[0], cells);
  const std::vector<std::string> args = {
      "-q", "-overwrite", "-r", m.gdal, "-te", fmt(u0), fmt(-(v0 + got.rows * sy)), fmt(u0 + got.cols * sx),
      fmt(-v0), "-ts", std::to_string(got.cols), std::to_string(got.rows), "-of", "GTiff",
      // the level's scale everywhere: gdalwarp would otherwise derive it from
      // the file's source window, which is clipped where the level's window
      // reaches past the file below (GDAL documents XSCALE/YSCALE for this)
      "-wo", "XSCALE=" + fmt(1 / sx), "-wo", "YSCALE=" + fmt(1 / sy),
      // bands are independent (GeoTrellis' MultibandTile), as in io::warp
      "-wo", "UNIFIED_SRC_NODATA=NO"};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  GDALWarpAppOptions* o = GDALWarpAppOptionsNew(argv.data(), nullptr);
  GDALDatasetH in = GDALOpen(src.c_str(), GA_ReadOnly);
  int usage_error = 0;
  GDALDatasetH out = GDALWarp(ref.c_str(), nullptr, 1, &in, o, &usage_error);
  EXPECT_NE(out, nullptr) << "gdalwarp failed: " << CPLGetLastErrorMsg();
  if (out) GDALClose(out);
  GDALClose(in);
  GDALWarpAppOptionsFree(o);
  Raster want = read_raster(ref);
  fs::remove(src);
  fs::remove(ref);
  return want;
}

// Compares a level with gdalwarp's resampling of the level below onto the level's grid.
Agreement against_gdalwarp(const fs::path& level, const fs::path& below, const Method& m,
                           const fs::path& work) {
  Raster got = read_raster(level);
  Agreement a;
  Raster want = gdalwarp_reference(got, below, m, work, &a.aligned);
  a.integer = got.gdal_type.find("Float") == std::string::npos;
  EXPECT_EQ(want.cols, got.cols);
  EXPECT_EQ(want.rows, got.rows);
  if (want.cols != got.cols || want.rows != got.rows || want.bands != got.bands) return a;
  for (int b = 0; b < got.bands; ++b)
    for (std::size_t i = 0; i < got.cells[b].size(); ++i) {
      const double x = got.cells[b][i], y = want.cells[b][i];
      ++a.cells;
      if (std::isnan(x) != std::isnan(y)) {
        ++a.nodata_differ;
        continue;
      }
      if (std::isnan(x) || x == y) continue;
      ++a.differ;
      a.max_abs = std::max(a.max_abs, std::fabs(x - y));
      a.max_rel = std::max(a.max_rel, std::fabs(x - y) / std::max(1.0, std::fabs(y)));
    }
  return a;
}

// Checks every level of every method's pyramid under `dir` against gdalwarp: identical cells where a
// level's cells are 2 x 2 cells of the level below; where they are not (odd floating steps), the
// kernels' fractional weights (1/3, 1/7...) may differ in their last bits: 1e-6 of the value, or one
// unit of an integer cell type (a result within that of .5 rounds either way).
void check_levels_against_gdalwarp(const fs::path& dir, const std::vector<std::string>& methods,
                                   int want_top) {
  for (const auto& name : methods) {
    const Method& m = method(name);
    std::vector<int> zs = zooms_in(dir / name);
    ASSERT_FALSE(zs.empty()) << name;
    EXPECT_EQ(zs.front(), want_top) << name;
    EXPECT_EQ(zs.back(), 0) << name;
    EXPECT_EQ(zs.size(), static_cast<std::size_t>(want_top + 1)) << name;
    Agreement total;
    int odd_levels = 0;
    for (std::size_t i = 1; i < zs.size(); ++i) {
      fs::path level = dir / name / ("z" + std::to_string(zs[i]) + ".tif");
      fs::path below = dir / name / ("z" + std::to_string(zs[i - 1]) + ".tif");
      Agreement a = against_gdalwarp(level, below, m, dir);
      SCOPED_TRACE(std::string(name) + " zoom " + std::to_string(zs[i]));
      EXPECT_EQ(a.nodata_differ, 0);
      if (a.aligned) {
        EXPECT_EQ(a.differ, 0) << "max |diff| " << a.max_abs;
      } else if (a.integer) {
        EXPECT_LE(a.max_abs, 1) << "max |diff| " << a.max_abs;
        EXPECT_LE(a.differ, a.cells / 100) << "max |diff| " << a.max_abs;
      } else {
        EXPECT_LE(a.max_rel, 1e-6) << "max |diff| " << a.max_abs;
      }
      odd_levels += a.aligned ? 0 : 1;
      total.cells += a.cells;
      total.nodata_differ += a.nodata_differ;
      total.differ += a.differ;
      total.max_abs = std::max(total.max_abs, a.max_abs);
      total.max_rel = std::max(total.max_rel, a.max_rel);
    }
    std::printf(
        "[ measure  ] %-17s %6ld cells, %zu levels (%d not 2x2): %ld differ from gdalwarp (max %.3g, rel "
        "%.2g), "
        "%ld NoData differ\n",
        name.c_str(), total.cells, zs.size() - 1, odd_levels, total.differ, total.max_abs, total.max_rel,
        total.nodata_differ);
  }
}

// Every file under a and b (same relative names) has identical bytes.
void expect_same_files(const fs::path& a, const fs::path& b, int np) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(a)) {
    if (!e.is_regular_file() || e.path().extension() != ".tif") continue;
    fs::path rel = fs::relative(e.path(), a);
    ASSERT_TRUE(fs::exists(b / rel)) << rel << " missing with " << np << " ranks";
    EXPECT_EQ(read_file(e.path()), read_file(b / rel)) << rel << ": " << np << " ranks differ from 1 rank";
    ++n;
  }
  EXPECT_GT(n, 0u);
}

// A smooth float field with NoData holes and a NoData band, EPSG:4326.
void write_generated(const fs::path& p, int cols, int rows) {
  std::vector<double> cells(static_cast<std::size_t>(cols) * rows);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double v = 100 + 40 * std::sin(c * 0.07) * std::cos(r * 0.05) + ((c * 31 + r * 17) % 23) * 0.5;
      bool hole = (c * 7 + r * 13) % 29 == 0 || (c > 120 && c < 140 && r > 30 && r < 90);
      cells[static_cast<std::size_t>(r) * cols + c] = hole ? -9999.0 : v;
    }
  write_raster(p, "Float32", cols, rows, 1, {6.0, 0.01, 0, 46.0, 0, -0.01}, "EPSG:4326", -9999.0, {cells});
}

std::vector<std::string> all_methods() {
  std::vector<std::string> v;
  for (const auto& m : kMethods) v.push_back(m.name);
  return v;
}

// Runs `job` (one pyramid per method) on 1 rank and checks every level against gdalwarp; then runs
// `rank_job` (a subset of the same pyramids) on each of `ranks` and compares its files, byte for byte,
// with the 1-rank files.
void check_job(const std::string& job, const std::vector<std::string>& methods, const std::string& rank_job,
               int top, const std::vector<int>& ranks) {
  TempDir one;
  auto r = run_job_text(one, job, 1);
  ASSERT_EQ(r.status, 0) << r.err;
  check_levels_against_gdalwarp(one.path(), methods, top);
  for (int np : ranks) {
    TempDir o;
    auto rr = run_job_text(o, rank_job, np);
    ASSERT_EQ(rr.status, 0) << "np " << np << "\n" << rr.err;
    expect_same_files(o.path(), one.path(), np);
  }
}

// The lines trellis printed that name a place in the job (errors), without the progress lines.
std::vector<std::string> error_lines(const std::string& err) {
  std::vector<std::string> out;
  for (const auto& l : trellis_lines(err))
    if (l.find("job.yaml:") != std::string::npos) out.push_back(l);
  return out;
}

// Tile count of a step in the timing table printed at the end of a run.
long step_tiles(const std::string& err, const std::string& step) {
  std::istringstream is(err);
  for (std::string line; std::getline(is, line);)
    if (line.rfind(step + " ", 0) == 0) {
      std::istringstream ls(line);
      std::string id, op;
      double wall;
      long tiles;
      ls >> id >> op >> wall >> tiles;
      return tiles;
    }
  return -1;
}

TEST(Pyramid, EveryLevelIsGdalwarpOfTheLevelBelowForEveryMethod) {
  // A generated float layer with NoData holes at ZoomedLayoutScheme(LatLng, 32) zoom 11, pyramided to 0
  // with each of the 14 kernels; four of them also on 2, 3 and 4 ranks.
  TempDir d;
  write_generated(d / "src.tif", 300, 200);
  const std::string src = (d / "src.tif").string(), tiling = "    scheme: zoom\n    tile_size: 32\n";
  // The rank runs also partition the layer along the Hilbert curve instead of Z-order: same files.
  check_job(pyramid_job(src, tiling, all_methods()), all_methods(),
            pyramid_job(src, tiling + "    partition_index: hilbert\n",
                        {"nearest_neighbor", "average", "cubic_convolution", "mode"}),
            11, {2, 3, 4});
}

TEST(Pyramid, LuxembourgElevationMatchesGdalwarp) {
  // Real SRTM (Int16, NoData outside the country) at ZoomedLayoutScheme(LatLng, 32) zoom 11.
  TRELLIS_REQUIRE_DATA("elev.tif");
  const std::vector<std::string> methods = {
      "nearest_neighbor", "bilinear",          "average", "max", "min", "mode",
      "median",           "cubic_convolution", "lanczos"};
  const std::string src = (data_dir() / "elev.tif").string(),
                    tiling = "    scheme: zoom\n    tile_size: 32\n";
  check_job(pyramid_job(src, tiling, methods), methods, pyramid_job(src, tiling, {"average", "lanczos"}), 11,
            {3});
}

TEST(Pyramid, SaoMiguelFloatingLayoutMatchesGdalwarp) {
  // EU-DEM over São Miguel (Float32, NoData sea) in a floating layout of 12 x 6 tiles: LocalLayoutScheme
  // levels 4 (12x6), 3 (6x3), 2 (3x2), 1 (2x1), 0 (1x1). 3 -> 2 tiles is not a 2 x 2 split: a parent
  // cell is 1.5 child cells.
  TRELLIS_REQUIRE_SHARED();
  const std::vector<std::string> methods = {"nearest_neighbor", "bilinear", "average", "max", "mode",
                                            "cubic_convolution"};
  const std::string src = (*shared_dir() / "data/sao-miguel/eu_dem_v11.tif").string(),
                    tiling = "    tile_size: 32\n";
  check_job(pyramid_job(src, tiling, methods), methods, pyramid_job(src, tiling, {"bilinear"}), 4, {2});
}

TEST(Pyramid, MultibandLandsatFloatingLayoutMatchesGdalwarp) {
  // Three Byte bands (NoData 0) in UTM, floating layout of 7 x 6 tiles of 128: levels 3 (7x6),
  // 2 (4x3), 1 (2x2), 0 (1x1); bands are resampled independently.
  TRELLIS_REQUIRE_SHARED();
  const std::vector<std::string> methods = {"nearest_neighbor", "average", "bilinear"};
  const std::string src = (*shared_dir() / "data/landsat-rgb/RGB.byte.tif").string(),
                    tiling = "    tile_size: 128\n";
  check_job(pyramid_job(src, tiling, methods), methods, pyramid_job(src, tiling, {"average"}), 3, {3});
}

TEST(Pyramid, NoDataAwareKernelsAgainstBruteForce) {
  // 16 x 16 float cells over the LatLng world = ZoomedLayoutScheme(LatLng, 4) zoom 2 (4 x 4 tiles of
  // 4 x 4). Each 2 x 2 block of zoom 2 has 0 to 4 NoData cells; zoom 1 must hold the kernel over the
  // block's data cells only (NoData when there are none).
  TempDir d;
  const int n = 16;
  const double nd = -9999;
  std::vector<double> cells(n * n);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c) {
      const int block = (r / 2) * 8 + c / 2, k = block % 5, pos = (r % 2) * 2 + c % 2;  // k NoData cells
      cells[r * n + c] = ((pos + block) % 4) < k ? nd : 1 + c * 0.5 + r * 3 + (block % 3) * 0.25;
    }
  const double w = 179.99999 + 180, h = 2 * 89.99999;
  write_raster(d / "src.tif", "Float32", n, n, 1, {-180, w / n, 0, 89.99999, 0, -h / n}, "EPSG:4326", nd,
               {cells});
  const std::vector<std::string> methods = {"nearest_neighbor", "average", "max", "min", "sum", "rms"};
  const std::string job = pyramid_job("src.tif", "    scheme: zoom\n    zoom: 2\n    tile_size: 4\n", methods,
                                      "    end_zoom: 1\n");
  auto r = run_job_text(d, job, 2);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& m : methods) {
    SCOPED_TRACE(m);
    Raster lo = read_raster(d / m / "z2.tif"), hi = read_raster(d / m / "z1.tif");
    ASSERT_EQ(lo.cols, n);
    ASSERT_EQ(hi.cols, n / 2);
    ASSERT_EQ(hi.rows, n / 2);
    int data_from_partial = 0;
    for (int j = 0; j < n / 2; ++j)
      for (int i = 0; i < n / 2; ++i) {
        std::vector<double> v;
        for (int y = 2 * j; y < 2 * j + 2; ++y)
          for (int x = 2 * i; x < 2 * i + 2; ++x)
            if (!std::isnan(lo.at(0, x, y))) v.push_back(lo.at(0, x, y));
        double want = NAN;
        if (m == "nearest_neighbor") {
          want = lo.at(0, 2 * i + 1, 2 * j + 1);  // the cell at the parent's centre's lower right
        } else if (!v.empty()) {
          double s = 0, s2 = 0, mx = -INFINITY, mn = INFINITY;
          for (double x : v) s += x, s2 += x * x, mx = std::max(mx, x), mn = std::min(mn, x);
          want = m == "average" ? s / v.size()
                 : m == "max"   ? mx
                 : m == "min"   ? mn
                 : m == "sum"   ? s
                                : std::sqrt(s2 / v.size());
          want = static_cast<float>(want);
          if (v.size() < 4) ++data_from_partial;
        }
        const double got = hi.at(0, i, j);
        EXPECT_TRUE((std::isnan(want) && std::isnan(got)) || want == got)
            << "parent cell (" << i << "," << j << "): " << got << ", want " << want << " from " << v.size()
            << " cells";
      }
    if (m != "nearest_neighbor") {
      EXPECT_GT(data_from_partial, 30);  // blocks mixing NoData and data give data
    }
  }
}

TEST(Pyramid, ConformanceUpOneLevel) {
  // gt-pyramid-up-one-level: ZoomedLayoutScheme(LatLng, 2) zoom 2 (TileLayout(4, 4, 2, 2)) up one level
  // with the default NearestNeighbor -> TileLayout(2, 2, 2, 2), SpatialKey(0,0) all 1*m, (1,0) all 2*m,
  // (0,1) all 3*m, (1,1) all 4*m, for m = 1 (t1) and 10 (t2).
  TempDir d;
  for (int m : {1, 10}) {
    std::vector<double> cells(64);
    for (int r = 0; r < 8; ++r)
      for (int c = 0; c < 8; ++c) cells[r * 8 + c] = m * ((r < 4 ? 1 : 3) + (c < 4 ? 0 : 1));
    const double w = 179.99999 + 180, h = 2 * 89.99999;
    write_raster(d / ("t" + std::to_string(m) + ".tif"), "Int32", 8, 8, 1,
                 {-180, w / 8, 0, 89.99999, 0, -h / 8}, "EPSG:4326", -2147483648.0, {cells});
  }
  std::string job = "version: 1\nsteps:\n";
  for (int m : {1, 10}) {
    const std::string t = "t" + std::to_string(m);
    job += "  - op: read_geotiff\n    uri: " + t +
           ".tif\n  - op: tile_to_layout\n    scheme: zoom\n    zoom: 2\n"
           "    tile_size: 2\n  - id: p" +
           t +
           "\n    op: pyramid\n    end_zoom: 1\n"
           "  - op: write_geotiff\n    uri: " +
           t + "/z{zoom}.tif\n";
  }
  auto r = run_job_text(d, job, 3);
  ASSERT_EQ(r.status, 0) << r.err;
  for (int m : {1, 10}) {
    const std::string t = "t" + std::to_string(m);
    EXPECT_EQ(step_tiles(r.err, "p" + t), 16 + 4);  // 4 x 4 tiles at zoom 2, 2 x 2 at zoom 1
    std::string why;
    EXPECT_TRUE(same_cells(read_raster(d / (t + ".tif")), read_raster(d / t / "z2.tif"), &why)) << why;
    Raster z1 = read_raster(d / t / "z1.tif");
    ASSERT_EQ(z1.cols, 4);  // TileLayout(2, 2, 2, 2): 2 x 2 tiles of 2 x 2 cells
    ASSERT_EQ(z1.rows, 4);
    for (int r1 = 0; r1 < 4; ++r1)
      for (int c1 = 0; c1 < 4; ++c1) {
        const int key = (r1 / 2) * 2 + c1 / 2;  // (0,0) -> 1, (1,0) -> 2, (0,1) -> 3, (1,1) -> 4
        EXPECT_EQ(z1.at(0, c1, r1), m * (key + 1)) << t << " cell " << c1 << "," << r1;
      }
  }
}

TEST(Pyramid, ConformanceLocalLayoutPyramid) {
  // gps-pyramid-local-master: zeros (1, 256, 256) over (0, 0, 10, 10) in EPSG:3857. LocalLayout(256):
  // max zoom 0 (one level); LocalLayout(16): max zoom 4 with 16, 8, 4, 2, 1 tiles per axis by level.
  TempDir d;
  write_raster(d / "zeros.tif", "Float64", 256, 256, 1, {0, 10.0 / 256, 0, 10, 0, -10.0 / 256}, "EPSG:3857",
               std::nullopt, {std::vector<double>(256 * 256, 0.0)});
  for (int ts : {256, 16}) {
    const std::string job =
        "version: 1\nsteps:\n  - op: read_geotiff\n    uri: zeros.tif\n  - op: tile_to_layout\n"
        "    tile_size: " +
        std::to_string(ts) + "\n  - id: pyr\n    op: pyramid\n  - op: write_geotiff\n    uri: l" +
        std::to_string(ts) + "/z{zoom}.tif\n";
    auto r = run_job_text(d, job, 2);
    ASSERT_EQ(r.status, 0) << r.err;
    const fs::path dir = d / ("l" + std::to_string(ts));
    if (ts == 256) {
      EXPECT_EQ(zooms_in(dir), std::vector<int>{0});
      EXPECT_EQ(step_tiles(r.err, "pyr"), 1);
      continue;
    }
    EXPECT_EQ(zooms_in(dir), (std::vector<int>{4, 3, 2, 1, 0}));
    EXPECT_EQ(step_tiles(r.err, "pyr"), 256 + 64 + 16 + 4 + 1);
    for (int z = 4; z >= 0; --z) {
      Raster lv = read_raster(dir / ("z" + std::to_string(z) + ".tif"));
      const int layout_cols = 1 << z;  // 16, 8, 4, 2, 1
      EXPECT_EQ(lv.cols, layout_cols * 16) << "zoom " << z;
      EXPECT_EQ(lv.rows, layout_cols * 16) << "zoom " << z;
      EXPECT_DOUBLE_EQ(lv.gt[0], 0.0);
      EXPECT_DOUBLE_EQ(lv.gt[3], 10.0);
      EXPECT_DOUBLE_EQ(lv.gt[1] * lv.cols, 10.0);  // same extent at every level
      for (double v : lv.cells[0]) ASSERT_EQ(v, 0.0) << "zoom " << z;
    }
  }
}

TEST(Pyramid, ConformanceWrongLayoutGeoPySpark01) {
  // gps-pyramid-wrong-layout-v0.1: collect_metadata(tile_size=250); tile_to_layout;
  // pyramid(start_zoom=12, end_zoom=1) raises ValueError (tiles are not a power of two): exit 2, one line
  // naming start_zoom, nothing written.
  TempDir d;
  write_raster(d / "zeros.tif", "Float64", 250, 250, 1, {0, 0.04, 0, 10, 0, -0.04}, "EPSG:3857", std::nullopt,
               {std::vector<double>(250 * 250, 0.0)});
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: zeros.tif\n  - op: tile_to_layout\n"
      "    tile_size: 250\n  - id: p\n    op: pyramid\n    start_zoom: 12\n    end_zoom: 1\n"
      "  - op: write_geotiff\n    uri: z{zoom}.tif\n";
  for (int np : {1, 2}) {
    auto r = run_job_text(d, job, np);
    EXPECT_EQ(r.status, 2) << r.err;
    auto lines = error_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(
        lines[0].find(
            "job.yaml:9:17: step 'p' (pyramid): Tiles must have a col and row count that is a power of 2"),
        std::string::npos)
        << lines[0];
    EXPECT_TRUE(zooms_in(d.path()).empty());
  }
  // The same layer with 256-cell tiles is re-tiled to ZoomedLayoutScheme(WebMercator, 256) zoom 12.
  write_raster(d / "zeros.tif", "Float64", 256, 256, 1, {0, 10.0 / 256, 0, 10, 0, -10.0 / 256}, "EPSG:3857",
               std::nullopt, {std::vector<double>(256 * 256, 0.0)});
  std::string ok = job;
  ok.replace(ok.find("250\n"), 4, "256\n");
  ok.replace(ok.find("end_zoom: 1"), 11, "end_zoom: 10");
  auto r = run_job_text(d, ok, 2);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(zooms_in(d.path()), (std::vector<int>{12, 11, 10}));
  for (int z : {12, 11, 10}) {
    Raster lv = read_raster(d / ("z" + std::to_string(z) + ".tif"));
    const double cell = 2 * 20037508.342789244 / (256.0 * (1 << z));
    EXPECT_NEAR(lv.gt[1], cell, 1e-9 * cell) << "zoom " << z;
  }
}

TEST(Pyramid, StartZoomAboveTheLayerRetilesFirst) {
  // GeoPySpark 0.1: pyramid(start_zoom=12, end_zoom=11) of a zoom-11 layer re-tiles it to zoom 12
  // (resample_method, here nearest) and pyramids from there. Zoom 12 holds each zoom-11 cell 2 x 2
  // times, so zoom 11 comes back unchanged.
  TRELLIS_REQUIRE_DATA("elev.tif");
  TempDir d;
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + (data_dir() / "elev.tif").string() +
      "\n  - id: tiled\n    op: tile_to_layout\n    scheme: zoom\n    tile_size: 32\n"
      "  - op: write_geotiff\n    uri: base.tif\n"
      "  - id: p\n    op: pyramid\n    input: tiled\n    start_zoom: 12\n    end_zoom: 11\n"
      "  - op: write_geotiff\n    uri: p/z{zoom}.tif\n";
  auto r = run_job_text(d, job, 3);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(zooms_in(d / "p"), (std::vector<int>{12, 11}));
  Raster base = read_raster(d / "base.tif"), z12 = read_raster(d / "p/z12.tif");
  std::string why;
  EXPECT_TRUE(same_cells(base, read_raster(d / "p/z11.tif"), &why)) << why;
  EXPECT_NEAR(z12.gt[1] * 2, base.gt[1], 1e-12);
  long data = 0;
  for (int rr = 0; rr < z12.rows; ++rr)
    for (int c = 0; c < z12.cols; ++c) {
      const double x = z12.gt[0] + (c + 0.5) * z12.gt[1], y = z12.gt[3] + (rr + 0.5) * z12.gt[5];
      const int bc = static_cast<int>(std::floor((x - base.gt[0]) / base.gt[1]));
      const int br = static_cast<int>(std::floor((y - base.gt[3]) / base.gt[5]));
      const double want = bc >= 0 && br >= 0 && bc < base.cols && br < base.rows ? base.at(0, bc, br) : NAN;
      const double got = z12.at(0, c, rr);
      ASSERT_TRUE((std::isnan(want) && std::isnan(got)) || want == got) << "zoom 12 cell " << c << "," << rr;
      data += std::isnan(got) ? 0 : 1;
    }
  EXPECT_GT(data, 10000);
}

TEST(Pyramid, BadJobsExitTwoWithFileLineCol) {
  TempDir d;
  write_raster(d / "a.tif", "Float32", 40, 40, 1, {0, 1, 0, 40, 0, -1}, "EPSG:3857", -1.0,
               {std::vector<double>(1600, 1)});
  const std::string head = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: a.tif\n";
  struct Case {
    std::string yaml, fragment;
    int np;  // 0: one rank, without mpirun
  };
  const std::vector<Case> cases = {
      {head + "  - op: tile_to_layout\n    tile_size: 5\n  - id: p\n    op: pyramid\n",
       "job.yaml:7:5: step 'p' (pyramid): pyramiding halves the resolution", 2},
      {head + "  - op: tile_to_layout\n    tile_size: 16\n  - id: p\n    op: pyramid\n    start_zoom: 3\n    "
              "end_zoom: 5\n",
       "job.yaml:10:15: step 'p' (pyramid): end_zoom 5 is above start_zoom 3", 0},
      {head + "  - op: tile_to_layout\n    tile_size: 16\n  - id: p\n    op: pyramid\n    end_zoom: 5\n",
       "job.yaml:9:15: step 'p' (pyramid): end_zoom 5 is above start_zoom 2 (the layer's zoom)", 2},
      {head + "  - op: tile_to_layout\n    tile_size: 16\n  - op: pyramid\n  - op: write_geotiff\n    uri: "
              "out.tif\n",
       "a pyramid has several levels: put {zoom} in the uri", 0},
      {head + "  - id: p\n    op: pyramid\n", "job.yaml:5", 0},
  };
  for (const auto& c : cases) {
    auto r = run_job_text(d, c.yaml, c.np);
    EXPECT_EQ(r.status, 2) << c.yaml << r.err;
    auto lines = error_lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r.err;
    EXPECT_NE(lines[0].find(c.fragment), std::string::npos) << lines[0];
    EXPECT_FALSE(fs::exists(d / "out.tif"));
  }
}

}  // namespace
}  // namespace trellis::test
