// render_png end to end: the PNGs are decoded and every pixel is checked against the colour-map rules
// computed here cell by cell (breaks, between breaks, NoData, fallback, every ramp, RGB stretches);
// gdaldem color-relief is the reference of colour-relief files; an XYZ tree equals the stitched levels
// cut into tiles; outputs are identical on 1-4 ranks; bad jobs are refused before any work.
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <tuple>

#include "e2e/e2e_util.hpp"
#include "render/color_ramp.hpp"
#include "render/png.hpp"

namespace trellis::test {
namespace {

using render::decode_png_file;
using render::DecodedPng;

struct Px {
  int r, g, b, a;
  bool operator==(const Px&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Px& p) {
  return o << "(" << p.r << "," << p.g << "," << p.b << "," << p.a << ")";
}
Px pixel(const DecodedPng& png, int x, int y) {
  return {png.at(x, y, 0), png.at(x, y, 1), png.at(x, y, 2), png.at(x, y, 3)};
}
Px px_of(std::uint32_t rgba) {
  return {static_cast<int>(rgba >> 24), static_cast<int>((rgba >> 16) & 255),
          static_cast<int>((rgba >> 8) & 255), static_cast<int>(rgba & 255)};
}

const std::vector<double> kGt4326 = {10.0, 0.01, 0, 47.0, 0, -0.01};

// A single-band Float32 raster whose cells cycle through `values` (NaN: NoData -9999).
void make_cycle_raster(const fs::path& p, int cols, int rows, const std::vector<double>& values) {
  std::vector<std::vector<double>> cells(1, std::vector<double>(static_cast<std::size_t>(cols) * rows));
  for (std::size_t i = 0; i < cells[0].size(); ++i) {
    const double v = values[(i * 7 + i / cols) % values.size()];
    cells[0][i] = std::isnan(v) ? -9999 : v;
  }
  write_raster(p, "Float32", cols, rows, 1, kGt4326, "EPSG:4326", -9999.0, cells);
}

// The expected pixel of a value under GeoTrellis' ColorMap rules, written out here for the test's
// three classes (10 red, 20 green, 30 blue) and a yellow fallback.
Px expected_class(double v, const std::string& boundary) {
  const Px red{255, 0, 0, 255}, green{0, 255, 0, 255}, blue{0, 0, 255, 255}, yellow{255, 255, 0, 255};
  if (std::isnan(v)) return {0, 0, 0, 0};
  const double b[3] = {10, 20, 30};
  const Px c[3] = {red, green, blue};
  if (boundary == "less_than_or_equal_to") {
    for (int i = 0; i < 3; ++i)
      if (v <= b[i]) return c[i];
  } else if (boundary == "less_than") {
    for (int i = 0; i < 3; ++i)
      if (v < b[i]) return c[i];
  } else if (boundary == "exact") {
    for (int i = 0; i < 3; ++i)
      if (v == b[i]) return c[i];
  } else if (boundary == "greater_than_or_equal_to") {
    for (int i = 2; i >= 0; --i)
      if (v >= b[i]) return c[i];
  } else if (boundary == "greater_than") {
    for (int i = 2; i >= 0; --i)
      if (v > b[i]) return c[i];
  }
  return yellow;
}

TEST(RenderPng, ColourMapRulesOnEveryBoundaryOnOneToFourRanks) {
  TempDir dir;
  const double nan = std::nan("");
  const std::vector<double> values = {-5, 10, 12.5, 20, 25, 30, 31, nan, 0, 19.999};
  make_cycle_raster(dir / "in.tif", 150, 97, values);
  const auto in = read_raster(dir / "in.tif");
  for (const std::string boundary :
       {"less_than_or_equal_to", "less_than", "exact", "greater_than_or_equal_to", "greater_than"}) {
    SameOnEveryRankCount same;
    for (int np = 1; np <= 4; ++np) {
      const RunResult r = run_job_text(dir,
                                       "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: "
                                       "tile_to_layout\n    tile_size: 32\n"
                                       "  - op: render_png\n    uri: out.png\n    color_map:\n      breaks: "
                                       "{10: \"#ff0000\", 20: \"#00ff00\", "
                                       "30: \"#0000ff\"}\n      boundary: " +
                                           boundary + "\n      fallback: \"#ffff00\"\n",
                                       np);
      ASSERT_EQ(r.status, 0) << r.err;
      same.check(dir / "out.png", np);
      if (np > 1) continue;
      const DecodedPng png = decode_png_file((dir / "out.png").string());
      ASSERT_EQ(png.width, 150);
      ASSERT_EQ(png.height, 97);
      int wrong = 0;
      for (int y = 0; y < png.height; ++y)
        for (int x = 0; x < png.width; ++x) {
          const double v = in.at(0, x, y);
          if (pixel(png, x, y) != expected_class(v, boundary) && wrong++ < 5)
            ADD_FAILURE() << boundary << " value " << v << " at " << x << "," << y << ": " << pixel(png, x, y)
                          << " expected " << expected_class(v, boundary);
        }
      EXPECT_EQ(wrong, 0) << boundary;
    }
  }
}

TEST(RenderPng, EveryRampGivesItsStopsOnItsBreaks) {
  TempDir dir;
  // Values 0..5 and NoData: with breaks [0..5] and less_than_or_equal_to, value i takes colour i.
  const double nan = std::nan("");
  make_cycle_raster(dir / "in.tif", 40, 30, {0, 1, 2, 3, 4, 5, nan, 2.5, 6});
  const auto in = read_raster(dir / "in.tif");
  std::string steps;
  for (auto name : render::ramp_names())
    steps += "  - op: render_png\n    input: tiled\n    uri: " + std::string(name) +
             ".png\n    ramp: " + std::string(name) +
             "\n    breaks: [0, 1, 2, 3, 4, 5]\n    fallback: \"#12345678\"\n";
  const RunResult r = run_job_text(
      dir,
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - id: tiled\n    op: tile_to_layout\n"
      "    tile_size: 16\n" +
          steps,
      2);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(render::ramp_names().size(), 18u);
  for (auto name : render::ramp_names()) {
    const auto colours = render::ramp_colors(name);
    ASSERT_TRUE(colours) << name;
    const auto stops = render::ramp_stops(*colours, 6);
    ASSERT_EQ(stops.size(), 6u) << name;
    const DecodedPng png = decode_png_file((dir / (std::string(name) + ".png")).string());
    int wrong = 0;
    for (int y = 0; y < png.height; ++y)
      for (int x = 0; x < png.width; ++x) {
        const double v = in.at(0, x, y);
        Px want = std::isnan(v)        ? Px{0, 0, 0, 0}
                  : v > 5              ? px_of(0x12345678)
                  : v == std::floor(v) ? px_of(stops[static_cast<std::size_t>(v)])
                                       : px_of(stops[static_cast<std::size_t>(std::ceil(v))]);
        if (pixel(png, x, y) != want && wrong++ < 3)
          ADD_FAILURE() << name << " value " << v << ": " << pixel(png, x, y) << " expected " << want;
      }
    EXPECT_EQ(wrong, 0) << name;
  }
}

TEST(RenderPng, RgbStretchesOverTheWholeLayer) {
  TempDir dir;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> v(0, 1000);
  const int cols = 90, rows = 70;
  std::vector<std::vector<double>> cells(3, std::vector<double>(static_cast<std::size_t>(cols) * rows));
  for (int b = 0; b < 3; ++b)
    for (auto& c : cells[b]) c = v(rng) < 30 ? -1 : 100 * b + v(rng) / 4.0;
  write_raster(dir / "in.tif", "Float32", cols, rows, 3, kGt4326, "EPSG:4326", -1.0, cells);
  SameOnEveryRankCount same;
  for (int np = 1; np <= 4; ++np) {
    const RunResult r =
        run_job_text(dir,
                     "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    "
                     "tile_size: 32\n"
                     "  - op: render_png\n    uri: rgb.png\n    rgb_bands: [2, 1, 0]\n    stretch: min_max\n",
                     np);
    ASSERT_EQ(r.status, 0) << r.err;
    same.check(dir / "rgb.png", np);
  }
  double lo[3], hi[3];
  for (int b = 0; b < 3; ++b) {
    lo[b] = INFINITY, hi[b] = -INFINITY;
    for (double c : cells[b])
      if (c != -1) lo[b] = std::min(lo[b], c), hi[b] = std::max(hi[b], c);
  }
  const DecodedPng png = decode_png_file((dir / "rgb.png").string());
  int wrong = 0;
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) {
      const std::size_t i = static_cast<std::size_t>(y) * cols + x;
      Px want{0, 0, 0, 0};
      if (cells[0][i] != -1 && cells[1][i] != -1 && cells[2][i] != -1) {
        int ch[3];
        for (int k = 0; k < 3; ++k) {
          const int b = 2 - k;
          ch[k] = static_cast<int>(std::lround(255.0 * (cells[b][i] - lo[b]) / (hi[b] - lo[b])));
        }
        want = {ch[0], ch[1], ch[2], 255};
      }
      if (pixel(png, x, y) != want && wrong++ < 3)
        ADD_FAILURE() << x << "," << y << ": " << pixel(png, x, y) << " expected " << want;
    }
  EXPECT_EQ(wrong, 0);
}

// Whether this GDAL's gdaldem has the fixed -exact_color_entry (3.9.2 and later).
bool gdal_exact_mode_fixed() {
  const RunResult r = run_command("gdalinfo --version");
  int major = 0, minor = 0, patch = 0;
  if (std::sscanf(r.out.c_str(), "GDAL %d.%d.%d", &major, &minor, &patch) != 3) return true;
  return std::make_tuple(major, minor, patch) >= std::make_tuple(3, 9, 2);
}

// gdaldem color-relief is the reference for colour-relief files: the layer stitched by write_geotiff,
// coloured by gdaldem with -alpha, equals render_png's picture.
TEST(RenderPng, ColourReliefMatchesGdaldem) {
  TempDir dir;
  const double nan = std::nan("");
  make_cycle_raster(dir / "in.tif", 120, 80, {-20, 0, 12.5, 50, 77.7, 100, 140, nan, 33.3, 99.5});
  dir.write("relief.txt", "nv 0 0 0 0\n0 0 0 255\n50% 255 0 0\n100 white\n");
  for (const std::string mode : {"interpolate", "exact", "nearest"}) {
    const RunResult r = run_job_text(
        dir,
        "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - id: tiled\n    op: tile_to_layout\n"
        "    tile_size: 32\n  - op: write_geotiff\n    input: tiled\n    uri: stitched.tif\n"
        "  - op: render_png\n    input: tiled\n    uri: relief.png\n    color_relief: relief.txt\n"
        "    relief_mode: " +
            mode + "\n",
        3);
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string flag = mode == "exact"     ? " -exact_color_entry"
                             : mode == "nearest" ? " -nearest_color_entry"
                                                 : "";
    const RunResult g =
        run_command("gdaldem color-relief -q -alpha" + flag + " '" + (dir / "stitched.tif").string() + "' '" +
                    (dir / "relief.txt").string() + "' '" + (dir / "gdal.tif").string() + "'");
    ASSERT_EQ(g.status, 0) << g.err;
    Raster ref = read_raster(dir / "gdal.tif");
    if (mode == "exact" && !gdal_exact_mode_fixed()) {
      // gdaldem before GDAL 3.9.2 matches only the first entry with -exact_color_entry (GDAL PR
      // 10596): the reference is then the rule itself, an entry's colour on its exact value (0 and
      // 100; 50% is 60 here, which no cell holds) and transparent elsewhere.
      const Raster in = read_raster(dir / "stitched.tif");
      for (int y = 0; y < in.rows; ++y)
        for (int x = 0; x < in.cols; ++x) {
          const double v = in.at(0, x, y);
          const bool entry = v == 0 || v == 100;  // "0 0 0 255" is blue (0, 0, 255); 100 is white
          const std::size_t i = static_cast<std::size_t>(y) * in.cols + x;
          ref.cells[0][i] = ref.cells[1][i] = v == 100 ? 255 : 0;
          ref.cells[2][i] = ref.cells[3][i] = entry ? 255 : 0;
        }
    }
    const DecodedPng png = decode_png_file((dir / "relief.png").string());
    ASSERT_EQ(ref.cols, png.width);
    ASSERT_EQ(ref.rows, png.height);
    ASSERT_EQ(ref.bands, 4);
    int wrong = 0;
    for (int y = 0; y < png.height; ++y)
      for (int x = 0; x < png.width; ++x) {
        const Px want{static_cast<int>(ref.at(0, x, y)), static_cast<int>(ref.at(1, x, y)),
                      static_cast<int>(ref.at(2, x, y)), static_cast<int>(ref.at(3, x, y))};
        if (pixel(png, x, y) != want && wrong++ < 3)
          ADD_FAILURE() << mode << " " << x << "," << y << ": " << pixel(png, x, y) << " gdaldem " << want;
      }
    EXPECT_EQ(wrong, 0) << mode;
  }
}

// Every file of a folder (relative path -> bytes).
std::map<std::string, std::string> tree_files(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[fs::relative(e.path(), root).string()] = read_file(e.path());
  return out;
}

// A Web Mercator pyramid rendered to XYZ gives, tile by tile, the stitched levels cut into 256-cell
// tiles (transparent where the stitched picture does not reach); tiles with nothing to draw are absent;
// TMS names are the XYZ ones flipped; the trees are identical on 1-4 ranks.
TEST(RenderPng, XyzTreeIsTheStitchedLevelsCut) {
  TempDir dir;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  const int cols = 400, rows = 300;
  std::vector<std::vector<double>> cells(1, std::vector<double>(static_cast<std::size_t>(cols) * rows));
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x)
      cells[0][static_cast<std::size_t>(y) * cols + x] =
          u(rng) < 0.05 ? -9999 : std::sin(x / 30.0) * 50 + y / 3.0;
  write_raster(dir / "in.tif", "Float32", cols, rows, 1, {5.0, 0.02, 0, 48.0, 0, -0.02}, "EPSG:4326", -9999.0,
               cells);
  const std::string job =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    tile_size: "
      "256\n"
      "  - op: reproject\n    target_crs: EPSG:3857\n    scheme: zoom\n    zoom: 8\n"
      "  - id: pyramid\n    op: pyramid\n    end_zoom: 3\n"
      "  - op: render_png\n    input: pyramid\n    tiles: tiles\n    ramp: viridis\n    quantiles: 12\n"
      "  - op: render_png\n    input: pyramid\n    tiles: tms\n    scheme: tms\n    ramp: viridis\n    "
      "quantiles: 12\n"
      "  - op: render_png\n    input: pyramid\n    uri: z{zoom}.png\n    ramp: viridis\n    quantiles: 12\n"
      "  - op: write_geotiff\n    input: pyramid\n    uri: z{zoom}.tif\n";
  std::map<std::string, std::string> first;
  for (int np = 1; np <= 4; ++np) {
    const RunResult r = run_job_text(dir, job, np);
    ASSERT_EQ(r.status, 0) << r.err;
    const auto files = tree_files(dir / "tiles");
    if (np == 1) {
      first = files;
      EXPECT_GT(files.size(), 6u);
    } else {
      EXPECT_TRUE(files == first) << "the tree on " << np << " ranks differs";
    }
  }
  for (int z = 3; z <= 8; ++z) {
    const DecodedPng s = decode_png_file((dir / ("z" + std::to_string(z) + ".png")).string());
    // The stitched picture's place in the zoom's layout grid, from the GeoTIFF of the same level.
    const Raster tif = read_raster(dir / ("z" + std::to_string(z) + ".tif"));
    ASSERT_EQ(tif.cols, s.width);
    ASSERT_EQ(tif.rows, s.height);
    const double world = 20037508.342789244, cell = 2 * world / (256.0 * (1 << z));
    const long c0 = std::lround((tif.gt[0] + world) / cell), r0 = std::lround((world - tif.gt[3]) / cell);
    const long n = 1L << z;
    int tiles_seen = 0;
    for (long ty = r0 / 256; ty <= (r0 + s.height - 1) / 256; ++ty)
      for (long tx = c0 / 256; tx <= (c0 + s.width - 1) / 256; ++tx) {
        const std::string name =
            std::to_string(z) + "/" + std::to_string(tx) + "/" + std::to_string(ty) + ".png";
        const std::string tms =
            std::to_string(z) + "/" + std::to_string(tx) + "/" + std::to_string(n - 1 - ty) + ".png";
        const bool present = fs::exists(dir / "tiles" / name);
        EXPECT_EQ(present, fs::exists(dir / "tms" / tms)) << tms;
        if (present) {
          EXPECT_EQ(read_file(dir / "tiles" / name), read_file(dir / "tms" / tms)) << name;
        }
        DecodedPng t;
        if (present) {
          t = decode_png_file((dir / "tiles" / name).string());
          ASSERT_EQ(t.width, 256);
          ++tiles_seen;
        }
        bool drawn = false;
        int wrong = 0;
        for (int py = 0; py < 256; ++py)
          for (int px = 0; px < 256; ++px) {
            const long sx = tx * 256 + px - c0, sy = ty * 256 + py - r0;
            const Px want = sx >= 0 && sy >= 0 && sx < s.width && sy < s.height
                                ? pixel(s, static_cast<int>(sx), static_cast<int>(sy))
                                : Px{0, 0, 0, 0};
            drawn |= want.a != 0;
            const Px got = present ? pixel(t, px, py) : Px{0, 0, 0, 0};
            if (got != want && wrong++ < 3)
              ADD_FAILURE() << name << " " << px << "," << py << ": " << got << " vs " << want;
          }
        EXPECT_EQ(present, drawn) << name;
      }
    EXPECT_GT(tiles_seen, 0) << "zoom " << z;
  }
}

TEST(RenderPng, BadJobsAreRefusedBeforeAnyWork) {
  TempDir dir;
  make_cycle_raster(dir / "in.tif", 40, 30, {1, 2, 3});
  fs::create_directories(dir / "mine");
  write_file(dir / "mine" / "keep.txt", "precious");
  dir.write("bad-relief.txt", "0 0 0 0\n10 0 zero 0\n");
  const std::string head =
      "version: 1\nsteps:\n  - op: read_geotiff\n    uri: in.tif\n  - op: tile_to_layout\n    tile_size: 16\n"
      "  - op: render_png\n";
  struct Case {
    std::string params, message;
  };
  const Case cases[] = {
      {"    tiles: t\n    ramp: viridis\n", "Web Mercator's zoomed layout"},
      {"    uri: a.png\n    ramp: viridiss\n", "unknown ramp 'viridiss'"},
      {"    uri: a.png\n    ramp: magma\n    breaks: [3, 2]\n", "breaks must increase"},
      {"    uri: a.png\n    ramp: magma\n    breaks: [1]\n    quantiles: 3\n",
       "`quantiles` cannot be combined with `breaks`"},
      {"    uri: a.png\n    rgb_bands: [0, 0]\n", "three bands"},
      {"    uri: a.png\n    band: 2\n    ramp: hot\n", "band 2 does not exist"},
      {"    uri: a.png\n    ramp: hot\n    color_relief: bad-relief.txt\n", "only one of"},
      {"    uri: a.png\n    color_relief: bad-relief.txt\n", "bad-relief.txt:2:"},
      {"    tiles: mine\n    scheme: tms\n    ramp: hot\n", "not a tree trellis wrote"},
      {"    uri: a.png\n    tiles: t\n    ramp: hot\n", "only one of"},
      {"    uri: a.png\n", "one of"},
      // Parameters that would have no effect.
      {"    uri: a.png\n    scheme: tms\n    ramp: hot\n", "applies to tiles"},
      {"    uri: a.png\n    rgb_bands: [0, 0, 0]\n    band: 0\n", "rgb_bands names the bands"},
      {"    uri: a.png\n    color_map: {1: \"#ff0000\"}\n    fallback: \"#00ff00\"\n", "applies to a ramp"},
      {"    uri: a.png\n    ramp: hot\n    stretch: none\n", "applies to rgb_bands"},
      {"    uri: a.png\n    ramp: hot\n    relief_mode: exact\n", "applies to a color_relief file"},
      {"    uri: a.png\n    ramp: hot\n    interpolation: linear\n    fallback: \"#00ff00\"\n",
       "no effect with interpolation: linear"},
  };
  for (const Case& c : cases) {
    const RunResult r = run_job_text(dir, head + c.params, 2);
    EXPECT_EQ(r.status, 2) << c.params << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.params << r.err;
    EXPECT_NE(r.err.find("job.yaml:"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "a.png"));
    EXPECT_FALSE(fs::exists(dir / "t"));
  }
  EXPECT_EQ(read_file(dir / "mine" / "keep.txt"), "precious");
}

}  // namespace
}  // namespace trellis::test
