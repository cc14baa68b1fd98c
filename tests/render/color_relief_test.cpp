// GDAL colour-relief files: parsing (gdaldem_lib.cpp, GDALColorReliefParseColorFile), the colour map's
// gdaldem semantics worked by hand, and an independent check against the gdaldem program itself.
#include "render/color_relief.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace trellis::render {
namespace {

using Kind = ReliefEntry::Kind;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string parse_error(std::string_view text) {
  try {
    parse_color_relief(text, "f.txt");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(ColorReliefParse, EveryForm) {
  const ColorRelief r = parse_color_relief(
      "# a comment\n"
      "\n"
      "100 255 0 0\n"
      "200,0,255,0,128\n"
      "300:0:0:255\n"
      "  400\t white\n"
      "50% Yellow 77\n"
      "NV 1 2 3 4\n"
      "/ another comment\n"
      "-2.5e2 aqua\n"
      "+7 brown\n"
      "119,215,25,28,255,<= 119\n",  // QGIS' export: fields after the fifth are ignored
      "p.txt");
  EXPECT_EQ(r.source_name, "p.txt");
  const std::vector<ReliefEntry> expected = {
      {Kind::Value, 100, 0xFF0000FF, 3},   {Kind::Value, 200, 0x00FF0080, 4},
      {Kind::Value, 300, 0x0000FFFF, 5},   {Kind::Value, 400, 0xFFFFFFFF, 6},
      {Kind::Percent, 50, 0xFFFF004D, 7},  {Kind::NoData, 0, 0x01020304, 8},
      {Kind::Value, -250, 0x00BFBFFF, 10}, {Kind::Value, 7, 0xBF7F3FFF, 11},
      {Kind::Value, 119, 0xD7191CFF, 12},
  };
  EXPECT_EQ(r.entries, expected);
  EXPECT_TRUE(r.has_percentages());
}

// GDAL's table holds fractions and truncates 255 * fraction: 0.75 -> 191, 0.5 -> 127, 0.25 -> 63.
TEST(ColorReliefParse, GdalColourNames) {
  const char* names[] = {"white", "black", "red",  "green",  "blue",  "yellow", "magenta", "cyan",
                         "aqua",  "grey",  "gray", "orange", "brown", "purple", "violet",  "indigo"};
  const Rgba colours[] = {0xFFFFFFFF, 0x000000FF, 0xFF0000FF, 0x00FF00FF, 0x0000FFFF, 0xFFFF00FF,
                          0xFF00FFFF, 0x00FFFFFF, 0x00BFBFFF, 0xBFBFBFFF, 0xBFBFBFFF, 0xFF7F00FF,
                          0xBF7F3FFF, 0x7F00FFFF, 0x7F00FFFF, 0x007FFFFF};
  for (int i = 0; i < 16; ++i) {
    const ColorRelief r = parse_color_relief("1 " + std::string(names[i]), "n");
    ASSERT_EQ(r.entries.size(), 1u);
    EXPECT_EQ(r.entries[0].color, colours[i]) << names[i];
  }
  EXPECT_EQ(parse_color_relief("1 RED 9", "n").entries[0].color, 0xFF000009u);
}

TEST(ColorReliefParse, LineEndings) {
  const ColorRelief r = parse_color_relief("1 red\r\n2 blue\r3 green\n\n5 white", "n");
  ASSERT_EQ(r.entries.size(), 4u);
  EXPECT_EQ(r.entries[1].line, 2);
  EXPECT_EQ(r.entries[2].line, 3);
  EXPECT_EQ(r.entries[3].line, 5);
  EXPECT_EQ(parse_color_relief("\xEF\xBB\xBF"
                               "1 red",
                               "n")
                .entries[0]
                .value,
            1.0);  // a byte order mark
}

TEST(ColorReliefParse, GmtCpt) {
  const ColorRelief r = parse_color_relief(
      "# COLOR_MODEL = RGB\n"
      "0 255 0 0 100 0 255 0\n"
      "100 0 255 0 200 0 0 255\n"
      "B 0 0 0\n"
      "F 255 255 255\n"
      "N 128 128 128\n",
      "c.cpt");
  const std::vector<ReliefEntry> expected = {
      {Kind::Value, 0, 0xFF0000FF, 2},   {Kind::Value, 100, 0x00FF00FF, 2}, {Kind::Value, 100, 0x00FF00FF, 3},
      {Kind::Value, 200, 0x0000FFFF, 3}, {Kind::NoData, 0, 0x808080FF, 6},
  };
  EXPECT_EQ(r.entries, expected);
  EXPECT_EQ(parse_error("# COLOR_MODEL = HSV\n0 1 1 1 1 2 2 2\n"),
            "f.txt:1:1: only 'COLOR_MODEL = RGB' is supported (as by GDAL)");
  EXPECT_EQ(parse_error("# COLOR_MODEL = RGB\n0 1 1 1\n"),
            "f.txt:2:1: a GMT CPT line is 'v0 R0 G0 B0 v1 R1 G1 B1' or 'B|F|N R G B' (4 fields)");
}

// Errors name the file, the 1-based line and the column of the offending field.
TEST(ColorReliefParse, ErrorsWithLineAndColumn) {
  EXPECT_EQ(parse_error("abc 1 2 3"), "f.txt:1:1: 'abc' is not a finite number");
  EXPECT_EQ(parse_error("\n\n  12x 1 2 3"), "f.txt:3:3: '12x' is not a finite number");
  EXPECT_EQ(parse_error("inf 1 2 3"), "f.txt:1:1: 'inf' is not a finite number");
  EXPECT_EQ(parse_error("+-1 1 2 3"), "f.txt:1:1: '+-1' is not a finite number");
  EXPECT_EQ(parse_error("1 red\n100 256 0 0"),
            "f.txt:2:5: '256' is not a colour component (an integer 0-255)");
  EXPECT_EQ(parse_error("100 255 0 0 # red"), "f.txt:1:13: '#' is not a colour component (an integer 0-255)");
  EXPECT_EQ(parse_error("100 1.5 0 0"), "f.txt:1:5: '1.5' is not a colour component (an integer 0-255)");
  EXPECT_EQ(parse_error("1 red\n2 red -1"), "f.txt:2:7: '-1' is not a colour component (an integer 0-255)");
  EXPECT_EQ(parse_error("101% red"), "f.txt:1:1: percentage 101% is outside 0-100%");
  EXPECT_EQ(parse_error("-1% red"), "f.txt:1:1: percentage -1% is outside 0-100%");
  EXPECT_EQ(parse_error("x% red"), "f.txt:1:1: 'x%' is not a finite number");
  EXPECT_EQ(parse_error("1 red\n  100\n"), "f.txt:2:3: an entry is 'value R G B [A]' or 'value name [A]'");
  EXPECT_EQ(parse_error("nv 0 0 0\nnv 1 1 1\n1 red"),
            "f.txt:2:1: a second NoData entry (the first is on line 1)");
  EXPECT_EQ(parse_error(""), "f.txt:1:1: no colour entries (besides nv)");
  EXPECT_EQ(parse_error("# only\nnv 1 2 3"), "f.txt:1:1: no colour entries (besides nv)");
  const std::string unknown = parse_error("\t100\tfoo");
  EXPECT_EQ(
      unknown.rfind("f.txt:1:6: unknown colour 'foo' (an entry is 'value R G B [A]' or 'value name [A]'", 0),
      0u)
      << unknown;
  // Three fields read as a named colour, as gdaldem does.
  EXPECT_EQ(parse_error("100 255 0").rfind("f.txt:1:5: unknown colour '255'", 0), 0u);
}

TEST(ColorReliefMap, PercentagesNeedTheRange) {
  const ColorRelief r = parse_color_relief("0% black\n100% white\n", "p");
  EXPECT_THROW(to_color_map(r, ReliefMode::Interpolate, std::nullopt), std::invalid_argument);
  EXPECT_THROW(to_color_map(r, ReliefMode::Interpolate, std::pair{2.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(to_color_map(r, ReliefMode::Interpolate, std::pair{0.0, kNaN}), std::invalid_argument);
  // 25% of [-20, 80] = -20 + 0.25 * 100 = 5.
  const ColorRelief q = parse_color_relief("25% red\n0 blue\n", "p");
  const ColorMap m = to_color_map(q, ReliefMode::Exact, std::pair{-20.0, 80.0});
  EXPECT_EQ(m.breaks(), (std::vector<double>{0, 5}));
  EXPECT_EQ(m.map(5), 0xFF0000FFu);
  // Without percentages the range is not needed.
  EXPECT_NO_THROW(to_color_map(parse_color_relief("0 red", "p"), ReliefMode::Interpolate, std::nullopt));
}

// gdaldem interpolates with int(0.45 + c0 + t (c1 - c0)) (GDAL 3.6 to 3.10) and sorts the entries.
TEST(ColorReliefMap, InterpolateAndNearestAsGdaldem) {
  const ColorRelief r = parse_color_relief("20 0 0 255\n0 255 0 0\n10 0 255 0\n", "p");
  const ColorMap m = to_color_map(r, ReliefMode::Interpolate, std::nullopt);
  EXPECT_EQ(m.breaks(), (std::vector<double>{0, 10, 20}));
  EXPECT_EQ(m.options().interpolation, Interpolation::Linear);
  EXPECT_EQ(m.map(-5), 0xFF0000FFu);
  EXPECT_EQ(m.map(5), rgba(127, 127, 0, 255));  // 0.45 + 255 - 127.5 = 127.95 -> 127; 0.45 + 127.5 -> 127
  EXPECT_EQ(m.map(15), rgba(0, 127, 127, 255));
  EXPECT_EQ(m.map(25), 0x0000FFFFu);
  const ColorMap half = to_color_map(r, ReliefMode::Interpolate, std::nullopt, {.round_offset = 0.5});
  EXPECT_EQ(half.map(5), rgba(128, 128, 0, 255));
  const ColorMap n = to_color_map(r, ReliefMode::Nearest, std::nullopt);
  EXPECT_EQ(n.map(5), 0x00FF00FFu);  // a tie: the upper entry
  EXPECT_EQ(n.map(4.5), 0xFF0000FFu);
  const ColorMap e = to_color_map(r, ReliefMode::Exact, std::nullopt);
  EXPECT_EQ(e.map(10), 0x00FF00FFu);
  EXPECT_EQ(e.map(10.5), 0x00000000u);
  EXPECT_EQ(e.map(-1), 0x00000000u);
}

// No NoData value: nv is ignored, NaN cells take what gdaldem gives NaN (the last entry's colour, nothing
// in Exact mode). A NaN NoData value: nv colours NaN alone.
TEST(ColorReliefMap, NoDataColour) {
  const ColorRelief r = parse_color_relief("nv 1 2 3 4\n0 red\n10 blue\n", "p");
  const ColorMap none =
      to_color_map(r, ReliefMode::Interpolate, std::nullopt, {.source_no_data = std::nullopt});
  EXPECT_EQ(none.breaks(), (std::vector<double>{0, 10}));
  EXPECT_EQ(none.options().no_data, 0x0000FFFFu);
  EXPECT_EQ(
      to_color_map(r, ReliefMode::Exact, std::nullopt, {.source_no_data = std::nullopt}).options().no_data,
      0u);
  const ColorMap nan = to_color_map(r, ReliefMode::Interpolate, std::nullopt);
  EXPECT_EQ(nan.breaks(), (std::vector<double>{0, 10}));
  EXPECT_EQ(nan.map(kNaN), 0x01020304u);
  EXPECT_EQ(nan.map(-3), 0xFF0000FFu);
  const ColorRelief plain = parse_color_relief("0 red\n10 blue\n", "p");
  EXPECT_EQ(to_color_map(plain, ReliefMode::Nearest, std::nullopt).map(kNaN), 0x0000FFFFu);
}

// A finite NoData value: its entry gets neighbours one ulp away with the neighbouring entries' colours
// (not in Exact mode); values beyond it take the nv colour; NoData cells take the nv colour.
TEST(ColorReliefMap, FiniteNoDataValue) {
  const ColorRelief r = parse_color_relief("nv 1 2 3 4\n0 red\n10 blue\n", "p");
  const ColorMap m = to_color_map(r, ReliefMode::Interpolate, std::nullopt, {.source_no_data = -9999.0});
  EXPECT_EQ(m.breaks(), (std::vector<double>{-9999, std::nextafter(-9999.0, 0.0), 0, 10}));
  EXPECT_EQ(m.colors(), (std::vector<Rgba>{0x01020304, 0xFF0000FF, 0xFF0000FF, 0x0000FFFF}));
  EXPECT_EQ(m.options().no_data, 0x01020304u);
  EXPECT_EQ(m.map(-20000), 0x01020304u);
  EXPECT_EQ(m.map(-5000), 0xFF0000FFu);
  const ColorMap e = to_color_map(r, ReliefMode::Exact, std::nullopt, {.source_no_data = -9999.0});
  EXPECT_EQ(e.breaks(), (std::vector<double>{-9999, 0, 10}));
  EXPECT_EQ(e.options().no_data, 0x01020304u);
  // Without nv, NoData cells take the colour of the NoData value itself (here below every entry).
  const ColorRelief plain = parse_color_relief("0 red\n10 blue\n", "p");
  EXPECT_EQ(
      to_color_map(plain, ReliefMode::Interpolate, std::nullopt, {.source_no_data = 50.0}).options().no_data,
      0x0000FFFFu);
}

// Equal entries: spread by |v| DBL_EPSILON multiples when the gaps allow. For 0 red, 10 green, 10 blue,
// 20 white: lower 0, total 20, left 10, count 2, multiplier 0.5 - 2 * 10 / 20 = -0.5, so the run becomes
// 10 - 5 eps and 10 + 5 eps, i.e. one ulp either side of 10, and a value of 10 blends the two at t = 0.5.
TEST(ColorReliefMap, RepeatedEntries) {
  const ColorRelief r = parse_color_relief("0 red\n10 green\n10 blue\n20 white\n", "p");
  const ColorMap m = to_color_map(r, ReliefMode::Interpolate, std::nullopt);
  EXPECT_EQ(m.breaks(), (std::vector<double>{0, std::nextafter(10.0, 0.0), std::nextafter(10.0, 20.0), 20}));
  EXPECT_EQ(m.map(10), rgba(0, 127, 127, 255));  // 0.45 + 255 * 0.5 = 127.95 -> 127
  EXPECT_EQ(m.map(5), rgba(127, 127, 0, 255));
  // At 0 there is no room (|0| eps = 0): the run stays a step.
  const ColorRelief z = parse_color_relief("0 red\n0 blue\n10 white\n", "p");
  const ColorMap s = to_color_map(z, ReliefMode::Interpolate, std::nullopt);
  EXPECT_EQ(s.breaks(), (std::vector<double>{0, 0, 10}));
  EXPECT_EQ(s.map(0), 0xFF0000FFu);
  EXPECT_EQ(s.map(5), rgba(127, 127, 255, 255));
  const ColorMap e = to_color_map(z, ReliefMode::Exact, std::nullopt);
  EXPECT_EQ(e.breaks(), (std::vector<double>{0, 10}));  // of equal entries the first
  EXPECT_EQ(e.map(0), 0xFF0000FFu);
}

// ---- gdaldem itself --------------------------------------------------------------------------------------

std::string run_output(const std::string& cmd) {
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

// GDAL's version as major * 10000 + minor * 100 + patch, from "GDAL 3.6.2, released ...".
int gdal_version() {
  int a = 0, b = 0, c = 0;
  if (std::sscanf(run_output("gdalinfo --version 2>/dev/null").c_str(), "GDAL %d.%d.%d", &a, &b, &c) != 3)
    return 0;
  return a * 10000 + b * 100 + c;
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("trellis_relief_" + std::to_string(getpid()) + "_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A 64 x 4 Float32 GeoTIFF (NoData -9999) through `gdaldem color-relief -alpha` in each mode, against
// to_color_map + map_row, cell by cell and channel by channel. The colour file has plain entries with
// every separator, a percentage, colour names, a repeated value and nv; the values cover below the NoData
// value, the NoData value, between it and the first entry, every entry exactly, values between entries
// and their midpoints (nearest ties), and beyond the last entry.
TEST(ColorReliefGdal, MatchesGdaldem) {
  if (std::system("command -v gdaldem > /dev/null 2>&1 && command -v gdal_translate > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "gdal-bin (gdaldem, gdal_translate) is not installed";
  const int version = gdal_version();
  ASSERT_GT(version, 0);
  const TempDir dir;
  const auto at = [&](const char* name) { return (dir.path() / name).string(); };

  const std::string palette =
      "# trellis check of gdaldem color-relief\n"
      "-100 0 0 255\n"
      "0,0,255,0,200\n"
      "25% yellow\n"
      "1000:255:0:0\n"
      "1500 0 128 0 255\n"
      "1500\t255 0 255 100\n"
      "2000 white 128\n"
      "nv 10 20 30 40\n";
  std::ofstream(at("palette.txt")) << palette;

  constexpr int kCols = 64, kRows = 4, kCells = kCols * kRows;
  constexpr float kNoData = -9999;
  std::vector<float> v = {-20000,  -12000, kNoData, -9000, -7500.25, -7500,  -7499.5, -5000,   -3800,
                          -150,    -100,   -99.75,  -50,   -25.5,    -0.25,  0,       0.25,    250,
                          499.75,  500,    500.25,  999.5, 1000,     1000.5, 1250,    1499.75, 1500,
                          1500.25, 1750,   1999,    2000,  2000.5,   5000,   kNoData, 30000};
  for (int k = 0; static_cast<int>(v.size()) < kCells; ++k)
    v.push_back(-19999.5f + 211.375f * static_cast<float>(k));
  // Min and max of the data cells: -20000 and 30000, so 25% is -7500, exactly a float.
  {
    std::ofstream asc(at("in.asc"));
    asc << "ncols " << kCols << "\nnrows " << kRows
        << "\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999\n";
    char buf[32];
    for (int r = 0; r < kRows; ++r) {
      for (int c = 0; c < kCols; ++c) {
        std::snprintf(buf, sizeof buf, "%.9g ", static_cast<double>(v[r * kCols + c]));
        asc << buf;
      }
      asc << "\n";
    }
  }
  const std::string log = at("gdal.log");
  ASSERT_EQ(std::system(("gdal_translate -q -ot Float32 -of GTiff " + at("in.asc") + " " + at("in.tif") +
                         " > " + log + " 2>&1")
                            .c_str()),
            0)
      << run_output("cat " + log);

  const ColorRelief relief = parse_color_relief(palette, "palette.txt");
  ReliefOptions ro;
  ro.source_no_data = -9999.0;
  // GDAL 3.6 to 3.10 add 0.45 before truncating; the newest sources read (3.11-era) add 0.5.
  ro.round_offset = version >= 31100 ? 0.5 : 0.45;
  std::vector<double> values(v.begin(), v.end());
  std::vector<std::uint8_t> is_data(kCells);
  for (int i = 0; i < kCells; ++i) is_data[i] = v[i] != kNoData;
  const std::pair<double, double> min_max{-20000.0, 30000.0};

  struct Mode {
    ReliefMode mode;
    const char* flag;
  };
  for (const Mode m : {Mode{ReliefMode::Interpolate, ""}, Mode{ReliefMode::Exact, "-exact_color_entry"},
                       Mode{ReliefMode::Nearest, "-nearest_color_entry"}}) {
    SCOPED_TRACE(std::string("gdaldem color-relief -alpha ") + m.flag);
    const std::string out = at("out.bin");
    std::filesystem::remove(out);
    ASSERT_EQ(std::system(("gdaldem color-relief -q -alpha " + std::string(m.flag) + " -of ENVI " +
                           at("in.tif") + " " + at("palette.txt") + " " + out + " > " + log + " 2>&1")
                              .c_str()),
              0)
        << run_output("cat " + log);
    std::ifstream in(out, std::ios::binary);
    const std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(raw.size(), static_cast<std::size_t>(4 * kCells));  // 4 Byte bands, band-sequential

    const ColorMap map = to_color_map(relief, m.mode, min_max, ro);
    std::vector<std::uint8_t> px(4 * kCells);
    map.map_row(values, is_data, px.data());
    for (int i = 0; i < kCells; ++i) {
      // gdaldem before 3.9.2 (PR 10596) matched in -exact_color_entry mode only the smallest entry (here
      // nv at -9999): every data cell came out transparent black. trellis keeps the fixed semantics.
      const bool old_exact_bug = m.mode == ReliefMode::Exact && version < 30902 && is_data[i];
      for (int b = 0; b < 4; ++b) {
        const int gdal = static_cast<unsigned char>(raw[static_cast<std::size_t>(b) * kCells + i]);
        const int expected = old_exact_bug ? 0 : px[4 * i + b];
        EXPECT_EQ(gdal, expected) << "cell " << i << " value " << v[i] << " band " << b + 1;
      }
    }
    // The trellis side is not trivially transparent: spot checks worked from the file by hand.
    if (m.mode == ReliefMode::Exact) {
      EXPECT_EQ(map.map(-7500), 0xFFFF00FFu);  // 25%, yellow
      EXPECT_EQ(map.map(0), 0x00FF00C8u);
      EXPECT_EQ(map.map(1500), 0x00000000u);  // the repeated entry was spread off 1500
      EXPECT_EQ(map.map(2000), 0xFFFFFF80u);
    }
    if (m.mode == ReliefMode::Interpolate) {
      EXPECT_EQ(map.map(-20000), 0x0A141E28u);  // below the NoData value: the nv colour
      EXPECT_EQ(map.map(-9000), 0xFFFF00FFu);   // between NoData and the 25% entry
      EXPECT_EQ(map.options().no_data, 0x0A141E28u);
    }
  }
}

}  // namespace
}  // namespace trellis::render
