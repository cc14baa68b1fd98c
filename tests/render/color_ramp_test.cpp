// Named ramps against GeoTrellis' constants, and ramp_stops against values worked by hand from GeoTrellis'
// ColorRamp.spread / chooseColors (raster/src/main/scala/geotrellis/raster/render/ColorRamp.scala).
#include "render/color_ramp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trellis::render {
namespace {

struct RampCase {
  std::string_view name;
  std::size_t count;
  Rgba first, last;
  std::uint64_t digest;  // sum of c_i * 31^(n-1-i) mod 2^64 over the Scala constants
  const char* source;    // GeoTrellis ColorRamps.scala, lines of the first and last constant
};

// Counts, first and last colours read off locationtech/geotrellis (commit 72e2489)
// raster/src/main/scala/geotrellis/raster/render/ColorRamps.scala at the lines given; the digests were
// computed by a script from the hexadecimal constants of that file (not from color_ramp.cpp), so they
// check every colour of the transcription. hot and coolwarm are GeoPySpark's aliases (Coloring.scala).
const RampCase kRamps[] = {
    {"hot", 10, 0x68101AFF, 0xFFFFFFFF, 0x36b1aa186b1b6060, "HeatmapDarkRedToYellowWhite, lines 87-89"},
    {"coolwarm", 10, 0x2791C3FF, 0xBD4E2EFF, 0x94afb7ef57737b60, "BlueToRed, lines 41-43"},
    {"magma", 256, 0x000004FF, 0xFCFDBFFF, 0x2a170dce4489f000, "Magma, lines 135-198"},
    {"inferno", 256, 0x000004FF, 0xFCFFA4FF, 0xc8ed19becd287b00, "Inferno, lines 203-266"},
    {"plasma", 256, 0x0D0887FF, 0xF0F921FF, 0xa1407cb688df1900, "Plasma, lines 271-334"},
    {"viridis", 256, 0x440154FF, 0xFDE725FF, 0x9814a0f10547fb00, "Viridis, lines 339-402"},
    {"blue_to_orange", 11, 0x2586ABFF, 0xD76B27FF, 0x54f5f95351ab769f, "BlueToOrange, lines 24-26"},
    {"light_yellow_to_orange", 13, 0x118C8CFF, 0xC2773BFF, 0xb8b5cb93fd4b59bf,
     "LightYellowToOrange, lines 32-35"},
    {"blue_to_red", 10, 0x2791C3FF, 0xBD4E2EFF, 0x94afb7ef57737b60, "BlueToRed, lines 41-43"},
    {"green_to_red_orange", 10, 0x569543FF, 0xB96230FF, 0x0d4f671c696b7260, "GreenToRedOrange, lines 49-51"},
    {"light_to_dark_sunset", 11, 0xFFFFFFFF, 0x474040FF, 0x1d6b3e37e0793e9f,
     "LightToDarkSunset, lines 57-59"},
    {"light_to_dark_green", 8, 0xE8EDDBFF, 0x3A6D35FF, 0x030c7ad3754f9680, "LightToDarkGreen, lines 65-66"},
    {"heatmap_yellow_to_red", 8, 0xF7DA22FF, 0x68101AFF, 0x66322eb2a81a0c80,
     "HeatmapYellowToRed, lines 72-73"},
    {"heatmap_blue_to_yellow_to_red_spectrum", 11, 0x2A2E7FFF, 0x7D1416FF, 0xe008823c23a0ea9f,
     "HeatmapBlueToYellowToRedSpectrum, lines 79-81"},
    {"heatmap_dark_red_to_yellow_white", 10, 0x68101AFF, 0xFFFFFFFF, 0x36b1aa186b1b6060,
     "HeatmapDarkRedToYellowWhite, lines 87-89"},
    {"heatmap_light_purple_to_dark_purple_to_white", 8, 0xA52278FF, 0xFFFFFFFF, 0x426e0a72d0b70880,
     "HeatmapLightPurpleToDarkPurpleToWhite, lines 95-96"},
    {"classification_bold_land_use", 8, 0xB29CC3FF, 0xF9BE47FF, 0x89974c258e45e680,
     "ClassificationBoldLandUse, lines 102-103"},
    {"classification_muted_terrain", 8, 0xCEE1E8FF, 0xC99884FF, 0x47ec72645af80e80,
     "ClassificationMutedTerrain, lines 109-110"},
};

TEST(ColorRamp, EveryRampMatchesGeoTrellisConstants) {
  const auto names = ramp_names();
  ASSERT_EQ(names.size(), std::size(kRamps));
  for (std::size_t i = 0; i < names.size(); ++i) {
    const RampCase& c = kRamps[i];
    SCOPED_TRACE(std::string(c.name) + " = ColorRamps." + c.source);
    EXPECT_EQ(names[i], c.name);  // GeoPySpark's enumeration order
    const auto colors = ramp_colors(c.name);
    ASSERT_TRUE(colors);
    ASSERT_EQ(colors->size(), c.count);
    EXPECT_EQ(colors->front(), c.first);
    EXPECT_EQ(colors->back(), c.last);
    std::uint64_t digest = 0;
    for (Rgba col : *colors) digest = digest * 31 + col;
    EXPECT_EQ(digest, c.digest);
  }
}

TEST(ColorRamp, HotAndCoolwarmAreGeoPySparkAliases) {
  EXPECT_EQ(ramp_colors("hot"), ramp_colors("heatmap_dark_red_to_yellow_white"));
  EXPECT_EQ(ramp_colors("coolwarm"), ramp_colors("blue_to_red"));
}

TEST(ColorRamp, NamesInAnySpelling) {
  const auto canonical = ramp_colors("blue_to_orange");
  ASSERT_TRUE(canonical);
  for (std::string_view n :
       {"BlueToOrange", "blue-to-orange", "BLUE_TO_ORANGE", "bluetoorange", "Blue-To_Orange"})
    EXPECT_EQ(ramp_colors(n), canonical) << n;
  EXPECT_EQ(ramp_colors("CoolWarm"), ramp_colors("coolwarm"));
  EXPECT_EQ(ramp_colors("HeatmapBlueToYellowToRedSpectrum"),
            ramp_colors("heatmap_blue_to_yellow_to_red_spectrum"));
  EXPECT_FALSE(ramp_colors("blue to orange"));  // spaces are not ignored
  EXPECT_FALSE(ramp_colors("jet"));
  EXPECT_FALSE(ramp_colors(""));
}

TEST(ColorRamp, ChannelHelpers) {
  EXPECT_EQ(red(0x12345678), 0x12);
  EXPECT_EQ(green(0x12345678), 0x34);
  EXPECT_EQ(blue(0x12345678), 0x56);
  EXPECT_EQ(alpha(0x12345678), 0x78);
  EXPECT_EQ(rgba(0x12, 0x34, 0x56, 0x78), 0x12345678u);
  EXPECT_EQ(rgba(256 + 1, 0, 0, 255), 0x010000FFu);  // modulo 256
}

// n > size: ColorRamp.chooseColors. With m = size - 1, d = n - 1, colour i has j = i m / d and, for
// j < m, channel h[j] + ((h[j+1] - h[j]) * ((i m) mod d)) / d with Java's truncating division.
TEST(ColorRampStops, InterpolatesWithGeoTrellisIntegerArithmetic) {
  // Black, red, green to 5 stops: m = 2, d = 4.
  //   i=1: j=0, num=2: red 0 + 255*2/4 = 127            -> 0x7F0000FF
  //   i=2: j=1, num=0: red                               -> 0xFF0000FF
  //   i=3: j=1, num=2: red 255 + (-255*2)/4 = 255 - 127 = 128 (truncation toward zero, not floor),
  //        green 0 + 255*2/4 = 127                       -> 0x807F00FF
  //   i=4: j=2 = m: the last colour
  const std::vector<Rgba> three = {0x000000FF, 0xFF0000FF, 0x00FF00FF};
  EXPECT_EQ(ramp_stops(three, 5),
            (std::vector<Rgba>{0x000000FF, 0x7F0000FF, 0xFF0000FF, 0x807F00FF, 0x00FF00FF}));

  // Two colours to 4 stops (m = 1, d = 3), every channel including alpha:
  //   i=1: num=1: red 255 + (-255)/3 = 170, blue 255/3 = 85, alpha 85      -> 0xAA005555
  //   i=2: num=2: red 255 + (-510)/3 = 85, blue 510/3 = 170, alpha 170    -> 0x5500AAAA
  const std::vector<Rgba> two = {0xFF000000, 0x0000FFFF};
  EXPECT_EQ(ramp_stops(two, 4), (std::vector<Rgba>{0xFF000000, 0xAA005555, 0x5500AAAA, 0x0000FFFF}));

  // Red 10 -> 0 over 4 stops: 10 + (-10)/3 = 7 and 10 + (-20)/3 = 4 (floor division would give 6 and 3);
  // red 0 -> 10: 10/3 = 3 and 20/3 = 6.
  EXPECT_EQ(ramp_stops(std::vector<Rgba>{0x0A0000FF, 0x000000FF}, 4),
            (std::vector<Rgba>{0x0A0000FF, 0x070000FF, 0x040000FF, 0x000000FF}));
  EXPECT_EQ(ramp_stops(std::vector<Rgba>{0x000000FF, 0x0A0000FF}, 4),
            (std::vector<Rgba>{0x000000FF, 0x030000FF, 0x060000FF, 0x0A0000FF}));

  // One colour repeated (m = 0: every j is m).
  EXPECT_EQ(ramp_stops(std::vector<Rgba>{0x11223344}, 3),
            (std::vector<Rgba>{0x11223344, 0x11223344, 0x11223344}));
}

// n < size: ColorRamp.spread picks colors[Math.round(i (size - 1) / (n - 1))], colors[0] first.
TEST(ColorRampStops, SpreadsWithJavaRounding) {
  const std::vector<Rgba> c = {1, 2, 3, 4, 5};
  // size 5, n 3: round(1*4/2 = 2) = 2, round(2*4/2 = 4) = 4.
  EXPECT_EQ(ramp_stops(c, 3), (std::vector<Rgba>{1, 3, 5}));
  // size 5, n 4: round(4/3 = 1.33) = 1, round(8/3 = 2.67) = 3, round(12/3) = 4.
  EXPECT_EQ(ramp_stops(c, 4), (std::vector<Rgba>{1, 2, 4, 5}));
  // size 4, n 3: round(3/2 = 1.5) = 2 (halves up), round(3) = 3.
  EXPECT_EQ(ramp_stops(std::vector<Rgba>{1, 2, 3, 4}, 3), (std::vector<Rgba>{1, 3, 4}));
  // n 1: the first colour only.
  EXPECT_EQ(ramp_stops(c, 1), (std::vector<Rgba>{1}));
  // BlueToOrange (11 colours) to 4: indices 0, round(10/3) = 3, round(20/3) = 7, 10.
  const auto bto = *ramp_colors("blue_to_orange");
  EXPECT_EQ(ramp_stops(bto, 4), (std::vector<Rgba>{0x2586ABFF, 0xADD8EAFF, 0xF5CF7DFF, 0xD76B27FF}));
}

TEST(ColorRampStops, EdgeCounts) {
  const std::vector<Rgba> c = {1, 2, 3};
  EXPECT_EQ(ramp_stops(c, 3), c);  // n == size: the ramp itself
  EXPECT_TRUE(ramp_stops(c, 0).empty());
  EXPECT_TRUE(ramp_stops(c, -2).empty());
  EXPECT_TRUE(ramp_stops(std::vector<Rgba>{}, 4).empty());  // chooseColors of no colours
  // Viridis to 2: the ends.
  const auto v = *ramp_colors("viridis");
  EXPECT_EQ(ramp_stops(v, 2), (std::vector<Rgba>{0x440154FF, 0xFDE725FF}));
  // Up-sampling keeps the ends: the last stop is always the last colour.
  const auto up = ramp_stops(v, 1000);
  ASSERT_EQ(up.size(), 1000u);
  EXPECT_EQ(up.front(), v.front());
  EXPECT_EQ(up.back(), v.back());
}

}  // namespace
}  // namespace trellis::render
