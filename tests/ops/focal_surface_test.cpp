// The slope/aspect/hillshade kernel (ops/focal/surface.hpp): the focal_slope, focal_aspect and
// focal_hillshade cases of cases.json (GeoTrellis, EdgeRule::Focus), gdaldem itself (GDAL's
// GDALDEMProcessing on in-memory rasters, EdgeRule::Gdal) and GeoTrellis' lat/lng z factor.
#include <gdal.h>
#include <gdal_utils.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "ops/focal/surface.hpp"

namespace trellis::focal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A raster of cols x rows cells (NaN = NoData) as the kernel sees a whole layer: padded by one NaN cell,
// `inside` = the raster.
struct Padded {
  int cols, rows;
  std::vector<double> cells, z;
  SurfaceGrid grid() const { return {cells.data(), cols + 2, rows + 2, 1, 1, cols + 1, rows + 1}; }
};

Padded pad(int cols, int rows, const std::vector<double>& raster, double z = 1) {
  Padded p{cols, rows, std::vector<double>(static_cast<std::size_t>(cols + 2) * (rows + 2), kNaN),
           std::vector<double>(rows, z)};
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) p.cells[(r + 1) * (cols + 2) + c + 1] = raster[r * cols + c];
  return p;
}

Gradient gradient(const Padded& p, GradientMethod m, EdgeRule e, double cw, double ch) {
  return {m, e, cw, ch, p.z};
}

// ---- cases.json ----

std::optional<json> surface_cases() {
  fs::path shared;
  if (const char* s = std::getenv("TRELLIS_SHARED"))
    shared = s;
  else
    shared = fs::path(__FILE__).parent_path().parent_path().parent_path() / ".." / "shared";
  std::ifstream f(shared / "conformance" / "cases.json");
  if (!f) return std::nullopt;
  const json all = json::parse(f);
  json out = json::array();
  for (const auto& c : all["cases"]) {
    const std::string op = c["op"];
    if (op == "focal_slope" || op == "focal_aspect" || op == "focal_hillshade") out.push_back(c);
  }
  return out;
}

TEST(FocalSurface, ConformanceCases) {
  const auto cases = surface_cases();
  if (!cases) GTEST_SKIP() << "TRELLIS_SHARED unset and ../shared/conformance/cases.json missing";
  EXPECT_GE(cases->size(), 6u);
  for (const auto& c : *cases) {
    SCOPED_TRACE(c["id"].get<std::string>());
    const auto& in = c["inputs"];
    const int cols = in["cols"], rows = in["rows"];
    std::vector<double> raster;
    for (const auto& row : in["cells"])
      for (const auto& v : row) raster.push_back(v.is_null() ? kNaN : v.get<double>());
    const auto& params = c["params"];
    const double z = params.value("zFactor", 1.0);
    const Padded p = pad(cols, rows, raster, z);
    const Gradient g = gradient(p, GradientMethod::Horn, EdgeRule::Focus, params["cellSize"][0].get<double>(),
                                params["cellSize"][1].get<double>());
    std::vector<double> out(static_cast<std::size_t>(cols) * rows);
    const std::string op = c["op"], id = c["id"];
    if (op == "focal_slope") slope(p.grid(), g, out);
    if (op == "focal_aspect")  // the v1.2 case pins GeoPySpark's convention, the others GeoTrellis >= 2
      aspect(
          p.grid(), g,
          id.find("v1.2") != std::string::npos ? AspectConvention::GeoTrellis12 : AspectConvention::Azimuth,
          out);
    if (op == "focal_hillshade")
      hillshade(p.grid(), g, params["azimuth"], params["altitude"], HillshadeScale::GeoTrellis, out);
    json expected = c["expected"];
    if (expected.size() == 1 && expected.begin()->is_object()) expected = *expected.begin();
    for (const auto& [k, v] : expected.items()) {
      int col = -1, row = -1;
      ASSERT_EQ(std::sscanf(k.c_str(), "(%d,%d)", &col, &row), 2) << k;
      ASSERT_TRUE(col >= 0 && col < cols && row >= 0 && row < rows) << k;
      const double got = out[row * cols + col];
      if (op == "focal_hillshade")
        EXPECT_EQ(got, v.get<double>()) << k;
      else
        EXPECT_NEAR(got, v.get<double>(), 1e-9) << k;
    }
  }
}

// The same peak under both conventions (semantics.md, trap 1): NE, SE, SW, NW facing cells.
TEST(FocalSurface, AspectConventionsOnAPeak) {
  const std::vector<double> peak = {1, 2, 3, 2, 1, 2, 3, 4, 3, 2, 3, 4, 5,
                                    4, 3, 2, 3, 4, 3, 2, 1, 2, 3, 2, 1};
  const Padded p = pad(5, 5, peak);
  const Gradient g = gradient(p, GradientMethod::Horn, EdgeRule::Focus, 5, 5);
  std::vector<double> v12(25), az(25);
  aspect(p.grid(), g, AspectConvention::GeoTrellis12, v12);
  aspect(p.grid(), g, AspectConvention::Azimuth, az);
  const int at[4] = {1 * 5 + 3, 3 * 5 + 3, 3 * 5 + 1, 1 * 5 + 1};
  const double want12[4] = {45, 315, 225, 135}, want_az[4] = {45, 135, 225, 315};
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(v12[at[k]], want12[k], 1e-9);
    EXPECT_NEAR(az[at[k]], want_az[k], 1e-9);
  }
  // Flat: NaN in the 1.2 convention, -1 as an azimuth.
  const Padded flat = pad(3, 3, std::vector<double>(9, 7.5));
  std::vector<double> f12(9), faz(9);
  aspect(flat.grid(), gradient(flat, GradientMethod::Horn, EdgeRule::Focus, 1, 1),
         AspectConvention::GeoTrellis12, f12);
  aspect(flat.grid(), gradient(flat, GradientMethod::Horn, EdgeRule::Focus, 1, 1), AspectConvention::Azimuth,
         faz);
  EXPECT_TRUE(std::isnan(f12[4]));
  EXPECT_EQ(faz[4], -1);
}

TEST(FocalSurface, RejectsBadShapes) {
  const Padded p = pad(3, 3, std::vector<double>(9, 1));
  const Gradient g = gradient(p, GradientMethod::Horn, EdgeRule::Focus, 1, 1);
  std::vector<double> out(9), shorter(8);
  EXPECT_THROW(slope(p.grid(), g, shorter), std::invalid_argument);
  std::vector<double> z2(2, 1.0);
  EXPECT_THROW(slope(p.grid(), Gradient{GradientMethod::Horn, EdgeRule::Focus, 1, 1, z2}, out),
               std::invalid_argument);
  SurfaceGrid tiny{p.cells.data(), 2, 5, 0, 0, 2, 5};
  EXPECT_THROW(aspect(tiny, g, AspectConvention::Azimuth, out), std::invalid_argument);
  SurfaceGrid bad_inside = p.grid();
  bad_inside.x1 = 9;
  EXPECT_THROW(slope(bad_inside, g, out), std::invalid_argument);
}

// A NoData cell inside a window: its neighbours read the focus value, in the fast interior as at edges.
TEST(FocalSurface, NoDataNeighbourTakesFocusInTheInterior) {
  std::vector<double> r(36);
  for (int k = 0; k < 36; ++k) r[k] = (k % 6) * 3 + (k / 6) * (k / 6);
  std::vector<double> holed = r;
  holed[2 * 6 + 2] = kNaN;
  for (EdgeRule e : {EdgeRule::Focus, EdgeRule::Gdal}) {
    const Padded p = pad(6, 6, holed);
    std::vector<double> out(36);
    slope(p.grid(), gradient(p, GradientMethod::Horn, e, 10, 10), out);
    EXPECT_TRUE(std::isnan(out[2 * 6 + 2]));
    // (3,3): the NW neighbour is NoData, so it counts as the focus value.
    std::vector<double> filled = r;
    filled[2 * 6 + 2] = r[3 * 6 + 3];
    const Padded q = pad(6, 6, filled);
    std::vector<double> ref(36);
    slope(q.grid(), gradient(q, GradientMethod::Horn, e, 10, 10), ref);
    EXPECT_DOUBLE_EQ(out[3 * 6 + 3], ref[3 * 6 + 3]);
  }
}

// Tiles buffered by one cell (the halo exchange's windows, NaN beyond the layer) give exactly the result
// of the whole layer, for both edge rules: `inside` tells the layer's edge from a tile's edge.
TEST(FocalSurface, TiledWindowsHaveNoSeams) {
  const int cols = 29, rows = 19;
  std::vector<double> layer(cols * rows);
  for (int k = 0; k < cols * rows; ++k) layer[k] = (k * 7919) % 113 + ((k % 13 == 5) ? kNaN : 0.0);
  const int cuts_x[] = {0, 1, 12, 28, cols}, cuts_y[] = {0, 7, 18, rows};
  for (EdgeRule e : {EdgeRule::Focus, EdgeRule::Gdal})
    for (GradientMethod m : {GradientMethod::Horn, GradientMethod::ZevenbergenThorne}) {
      const Padded whole = pad(cols, rows, layer, 0.5);
      std::vector<double> want(cols * rows);
      slope(whole.grid(), gradient(whole, m, e, 30, 20), want);
      for (int i = 0; i + 1 < 5; ++i)
        for (int j = 0; j + 1 < 4; ++j) {
          const int tx0 = cuts_x[i], tx1 = cuts_x[i + 1], ty0 = cuts_y[j], ty1 = cuts_y[j + 1];
          const int wc = tx1 - tx0 + 2, wr = ty1 - ty0 + 2;
          std::vector<double> win(wc * wr, kNaN), z(wr - 2, 0.5), out((wc - 2) * (wr - 2));
          for (int y = 0; y < wr; ++y)
            for (int x = 0; x < wc; ++x) {
              const int lx = tx0 - 1 + x, ly = ty0 - 1 + y;
              if (lx >= 0 && lx < cols && ly >= 0 && ly < rows) win[y * wc + x] = layer[ly * cols + lx];
            }
          const SurfaceGrid grid{win.data(),
                                 wc,
                                 wr,
                                 tx0 == 0 ? 1 : 0,
                                 ty0 == 0 ? 1 : 0,
                                 tx1 == cols ? wc - 1 : wc,
                                 ty1 == rows ? wr - 1 : wr};
          slope(grid, Gradient{m, e, 30, 20, z}, out);
          for (int y = ty0; y < ty1; ++y)
            for (int x = tx0; x < tx1; ++x) {
              const double got = out[(y - ty0) * (wc - 2) + (x - tx0)], exp = want[y * cols + x];
              EXPECT_TRUE(got == exp || (std::isnan(got) && std::isnan(exp))) << x << "," << y;
            }
        }
    }
}

// ---- gdaldem ----

constexpr double kSrcNoData = -32768;

// A DEM of integers (exact in the Float32 gdaldem reads) with flat plateaus and, optionally, NoData.
std::vector<double> random_dem(int cols, int rows, bool holes, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-3, 3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> d(static_cast<std::size_t>(cols) * rows);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double hill = 120 * std::sin(c * 0.31) * std::cos(r * 0.23) + 40 * std::sin((c + r) * 0.9);
      double v = std::max(60.0, std::round(100 + hill) + noise(rng));  // below 60: a flat plain
      if (holes && u(rng) < 0.06) v = kNaN;
      d[r * cols + c] = v;
    }
  return d;
}

GDALDatasetH mem_dataset(int cols, int rows, const std::vector<double>& dem, double cw, double ch,
                         bool nodata) {
  GDALDatasetH ds = GDALCreate(GDALGetDriverByName("MEM"), "", cols, rows, 1, GDT_Float32, nullptr);
  double gt[6] = {500000, cw, 0, 4000000, 0, -ch};
  GDALSetGeoTransform(ds, gt);
  GDALRasterBandH b = GDALGetRasterBand(ds, 1);
  std::vector<float> v(dem.size());
  for (std::size_t k = 0; k < dem.size(); ++k) v[k] = std::isnan(dem[k]) ? float(kSrcNoData) : float(dem[k]);
  if (nodata) GDALSetRasterNoDataValue(b, kSrcNoData);
  EXPECT_EQ(GDALRasterIO(b, GF_Write, 0, 0, cols, rows, v.data(), cols, rows, GDT_Float32, 0, 0), CE_None);
  return ds;
}

// gdaldem `mode` with `args` (-compute_edges and -of MEM added) on the DEM: its cells as doubles.
std::vector<double> gdaldem(const char* mode, std::vector<std::string> args, GDALDatasetH src) {
  args.insert(args.begin(), {"-of", "MEM", "-compute_edges"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALDEMProcessingOptions* o = GDALDEMProcessingOptionsNew(argv.data(), nullptr);
  int usage = 0;
  GDALDatasetH out = GDALDEMProcessing("", src, mode, nullptr, o, &usage);
  GDALDEMProcessingOptionsFree(o);
  EXPECT_NE(out, nullptr) << mode;
  if (out == nullptr) return {};
  const int cols = GDALGetRasterXSize(out), rows = GDALGetRasterYSize(out);
  std::vector<double> v(static_cast<std::size_t>(cols) * rows);
  EXPECT_EQ(GDALRasterIO(GDALGetRasterBand(out, 1), GF_Read, 0, 0, cols, rows, v.data(), cols, rows,
                         GDT_Float64, 0, 0),
            CE_None);
  GDALClose(out);
  return v;
}

struct Tally {
  long cells = 0, nodata = 0, flat = 0, mismatches = 0, off_by_one = 0;
};

// Compares gdaldem's output to the kernel's: `nodata` is gdaldem's output NoData (our NaN), `flat` the
// value gdaldem gives a flat cell where we give `our_flat` (aspect), `tol` the allowed difference.
void compare(const std::vector<double>& gd, const std::vector<double>& ours, double nodata, double tol,
             Tally& t, std::optional<std::pair<double, double>> flat = std::nullopt) {
  ASSERT_EQ(gd.size(), ours.size());
  for (std::size_t k = 0; k < gd.size(); ++k) {
    ++t.cells;
    const bool our_flat = flat && ours[k] == flat->second;
    if (flat && gd[k] == flat->first && !std::isnan(ours[k])) {  // gdaldem's flat (= its NoData) on data
      ++t.flat;
      if (!our_flat) ++t.mismatches;
    } else if (gd[k] == nodata || std::isnan(ours[k])) {
      ++t.nodata;
      if (!(gd[k] == nodata && std::isnan(ours[k]))) ++t.mismatches;
    } else if (our_flat || !(std::abs(gd[k] - ours[k]) <= tol)) {
      ++t.mismatches;
      if (t.mismatches <= 5) ADD_FAILURE() << "cell " << k << ": gdaldem " << gd[k] << ", kernel " << ours[k];
    } else if (gd[k] != ours[k] && tol >= 1) {
      ++t.off_by_one;
    }
  }
}

struct Shape {
  int cols, rows;
};

TEST(FocalSurface, MatchesGdaldem) {
  GDALAllRegister();
  const Shape shapes[] = {{37, 23}, {211, 157}, {2, 7}, {7, 2}, {2, 2}, {3, 3}, {1, 5}, {5, 1}};
  const std::pair<double, double> cell_sizes[] = {{30, 30}, {30, 20}};
  Tally slope_t, aspect_t, aspect_nonsquare_t, shade_t;
  long differs_on_true_cells = 0;
  unsigned seed = 1;
  for (const Shape s : shapes)
    for (const auto& [cw, ch] : cell_sizes)
      for (const bool nodata : {false, true})
        for (const GradientMethod m : {GradientMethod::Horn, GradientMethod::ZevenbergenThorne}) {
          SCOPED_TRACE(std::to_string(s.cols) + "x" + std::to_string(s.rows) + " cell " + std::to_string(cw) +
                       "x" + std::to_string(ch) + (nodata ? " nodata" : "") + " " + enum_name(m));
          const auto dem = random_dem(s.cols, s.rows, nodata, seed++);
          GDALDatasetH src = mem_dataset(s.cols, s.rows, dem, cw, ch, nodata);
          const std::string alg = m == GradientMethod::Horn ? "Horn" : "ZevenbergenThorne";
          const std::size_t n = dem.size();
          // Slope; -s divides the horizontal units, so it is a z factor of 1 / s.
          for (const double scale : {1.0, 2.0}) {
            const Padded p = pad(s.cols, s.rows, dem, 1 / scale);
            std::vector<double> ours(n);
            slope(p.grid(), gradient(p, m, EdgeRule::Gdal, cw, ch), ours);
            compare(gdaldem("slope", {"-alg", alg, "-s", std::to_string(scale)}, src), ours, -9999, 1e-4,
                    slope_t);
          }
          // Aspect: gdaldem ignores the cell size (its Horn sums are not divided by the resolution), so it
          // equals the azimuth only for square cells; with non-square cells it equals ours on unit cells.
          {
            const Padded p = pad(s.cols, s.rows, dem);
            std::vector<double> ours(n), unit(n);
            aspect(p.grid(), gradient(p, m, EdgeRule::Gdal, cw, ch), AspectConvention::Azimuth, ours);
            aspect(p.grid(), gradient(p, m, EdgeRule::Gdal, 1, 1), AspectConvention::Azimuth, unit);
            const auto gd = gdaldem("aspect", {"-alg", alg}, src);
            compare(gd, cw == ch ? ours : unit, -9999, 1e-4, cw == ch ? aspect_t : aspect_nonsquare_t,
                    std::pair{-9999.0, -1.0});
            if (cw != ch)  // ... and differs from the azimuth on the true cell size
              for (std::size_t k = 0; k < n; ++k)
                if (gd[k] != -9999 && ours[k] >= 0 && std::abs(gd[k] - ours[k]) > 1e-4)
                  ++differs_on_true_cells;
          }
          // Hillshade: -z and -s give a z factor of z / s.
          for (const auto& [z, scale, az, alt] :
               {std::tuple{1.0, 1.0, 315.0, 45.0}, std::tuple{3.0, 2.0, 120.0, 30.0}}) {
            const Padded p = pad(s.cols, s.rows, dem, z / scale);
            std::vector<double> ours(n);
            hillshade(p.grid(), gradient(p, m, EdgeRule::Gdal, cw, ch), az, alt, HillshadeScale::Gdal, ours);
            compare(gdaldem("hillshade",
                            {"-alg", alg, "-z", std::to_string(z), "-s", std::to_string(scale), "-az",
                             std::to_string(az), "-alt", std::to_string(alt)},
                            src),
                    ours, 0, 1, shade_t);
          }
          GDALClose(src);
        }
  const auto report = [](const char* what, const Tally& t) {
    std::cout << what << ": " << t.cells << " cells (" << t.nodata << " NoData, " << t.flat << " flat), "
              << t.mismatches << " mismatches, " << t.off_by_one << " off by one\n";
  };
  report("slope", slope_t);
  report("aspect (square cells)", aspect_t);
  report("aspect (non-square cells, kernel on unit cells)", aspect_nonsquare_t);
  report("hillshade", shade_t);
  std::cout << "aspect (non-square cells, kernel on the true cell size): " << differs_on_true_cells
            << " cells differ from gdaldem\n";
  EXPECT_EQ(slope_t.mismatches, 0);
  EXPECT_EQ(aspect_t.mismatches, 0);
  EXPECT_EQ(aspect_nonsquare_t.mismatches, 0);
  EXPECT_EQ(shade_t.mismatches, 0);
  EXPECT_GT(aspect_t.flat, 0);
  EXPECT_GT(differs_on_true_cells, 0);  // gdaldem's aspect ignores the cell size
  EXPECT_GT(slope_t.nodata, 0);
}

// ---- z factor ----

TEST(FocalSurface, LatLngZFactor) {
  // GeoTrellis' ZFactor: LAT_LNG_METERS_AT_EQUATOR = 111320, LAT_LNG_FEET_AT_EQUATOR = 365217.6.
  EXPECT_DOUBLE_EQ(lat_lng_z_factor(0, ZUnit::Meters), 1 / 111320.0);
  EXPECT_DOUBLE_EQ(lat_lng_z_factor(0, ZUnit::Feet), 1 / 365217.6);
  EXPECT_NEAR(lat_lng_z_factor(60, ZUnit::Meters), 2 / 111320.0, 1e-18);
  EXPECT_NEAR(lat_lng_z_factor(60, ZUnit::Feet), 2 / 365217.6, 1e-18);
  EXPECT_DOUBLE_EQ(lat_lng_z_factor(-60, ZUnit::Meters), lat_lng_z_factor(60, ZUnit::Meters));
}

// A z factor per row: each output row uses its own.
TEST(FocalSurface, ZFactorPerRow) {
  std::vector<double> r(20);
  for (int k = 0; k < 20; ++k) r[k] = 10 * (k % 5);
  Padded p = pad(5, 4, r);
  p.z = {1, 2, 3, 4};
  std::vector<double> out(20);
  slope(p.grid(), gradient(p, GradientMethod::Horn, EdgeRule::Focus, 10, 10), out);
  for (int row = 1; row < 3; ++row)  // rows 0 and 3 read focus values beyond the edge
    EXPECT_NEAR(out[row * 5 + 2], std::atan(row + 1.0) * 180 / M_PI, 1e-12) << row;
}

}  // namespace
}  // namespace trellis::focal
