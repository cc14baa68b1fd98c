// The PNG encoder against libpng's own reader (through decode_png), and its refusals.
#include "render/png.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

namespace trellis::render {
namespace {

std::vector<std::uint8_t> random_pixels(int w, int h, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h * 4);
  for (auto& p : px) p = static_cast<std::uint8_t>(rng() % 7 * 40);  // few colours, as a colour map gives
  return px;
}

TEST(Png, RoundTripsAtEveryLevel) {
  const auto px = random_pixels(37, 23, 1);
  std::size_t none = 0, best = 0;
  for (int level = 0; level <= 9; ++level) {
    const std::string png =
        encode_png_rgba(px, 37, 23, {.compression_level = level, .adaptive_filters = level % 2 == 0});
    EXPECT_EQ(png.substr(1, 3), "PNG");
    const DecodedPng d = decode_png(std::as_bytes(std::span(png.data(), png.size())));
    EXPECT_EQ(d.width, 37);
    EXPECT_EQ(d.height, 23);
    EXPECT_EQ(d.rgba, px) << "level " << level;
    if (level == 0) none = png.size();
    if (level == 9) best = png.size();
  }
  EXPECT_LT(best, none);  // the level has its effect
  // One pixel wide (the Sub filter's first pixel is the whole row), and the file ends with IEND.
  for (int level : {0, 1}) {
    const auto column = random_pixels(1, 5, 2);
    const std::string png = encode_png_rgba(column, 1, 5, {.compression_level = level, .palette = false});
    EXPECT_EQ(decode_png(std::as_bytes(std::span(png.data(), png.size()))).rgba, column);
    EXPECT_EQ(png.substr(png.size() - 12), std::string("\0\0\0\0IEND\xAE\x42\x60\x82", 12));
  }
  // Deterministic.
  EXPECT_EQ(encode_png_rgba(px, 37, 23), encode_png_rgba(px, 37, 23));
}

TEST(Png, FewColoursMakeAPaletteImageThatDecodesToTheSamePixels) {
  std::vector<std::uint8_t> px(64 * 48 * 4);
  const std::uint8_t colours[3][4] = {{255, 0, 0, 255}, {0, 0, 0, 0}, {12, 34, 56, 128}};
  for (std::size_t i = 0; i < px.size() / 4; ++i) std::memcpy(&px[i * 4], colours[(i / 7) % 3], 4);
  const std::string indexed = encode_png_rgba(px, 64, 48);
  const std::string rgba = encode_png_rgba(px, 64, 48, {.palette = false});
  EXPECT_EQ(static_cast<int>(indexed[25]), 3);  // IHDR colour type: palette
  EXPECT_EQ(static_cast<int>(rgba[25]), 6);     // RGBA
  EXPECT_LT(indexed.size(), rgba.size());
  for (const std::string* png : {&indexed, &rgba})
    EXPECT_EQ(decode_png(std::as_bytes(std::span(png->data(), png->size()))).rgba, px);
  // The 257th colour makes it RGBA.
  std::vector<std::uint8_t> many(257 * 4);
  for (std::size_t i = 0; i < 257; ++i) many[i * 4] = static_cast<std::uint8_t>(i), many[i * 4 + 1] = i > 255;
  const std::string big = encode_png_rgba(many, 257, 1);
  EXPECT_EQ(static_cast<int>(big[25]), 6);
  EXPECT_EQ(decode_png(std::as_bytes(std::span(big.data(), big.size()))).rgba, many);
  many.resize(256 * 4);
  const std::string small = encode_png_rgba(many, 256, 1);
  EXPECT_EQ(static_cast<int>(small[25]), 3);
  EXPECT_EQ(decode_png(std::as_bytes(std::span(small.data(), small.size()))).rgba, many);
}

TEST(Png, FileWriterWritesRowsAndRefusesMissingRows) {
  const auto px = random_pixels(50, 40, 2);
  const auto path =
      std::filesystem::temp_directory_path() / ("trellis-png-" + std::to_string(::getpid()) + ".png");
  {
    PngFileWriter w(path.string(), 50, 40, {.compression_level = 6, .adaptive_filters = true});
    w.write_rows(std::span(px).subspan(0, 50 * 4 * 15));
    w.write_rows(std::span(px).subspan(50 * 4 * 15));
    w.finish();
  }
  const DecodedPng d = decode_png_file(path.string());
  EXPECT_EQ(d.rgba, px);
  {
    PngFileWriter w(path.string(), 50, 40);
    w.write_rows(std::span(px).subspan(0, 50 * 4));
    EXPECT_THROW(w.finish(), std::runtime_error);
    EXPECT_THROW(w.write_rows(std::span(px).subspan(0, 10)), std::runtime_error);  // a partial row
  }
  std::filesystem::remove(path);
  EXPECT_THROW(PngFileWriter("/nonexistent-dir/x.png", 5, 5), std::runtime_error);
}

TEST(Png, RefusesBadShapesAndBadFiles) {
  const std::vector<std::uint8_t> px(4 * 4 * 4, 0);
  EXPECT_THROW(encode_png_rgba(px, 4, 5), std::invalid_argument);
  EXPECT_THROW(encode_png_rgba(px, 0, 4), std::invalid_argument);
  EXPECT_THROW(encode_png_rgba(px, 4, 4, {.compression_level = 10}), std::invalid_argument);
  const std::string junk = "\x89PNG not really";
  EXPECT_THROW(decode_png(std::as_bytes(std::span(junk.data(), junk.size()))), std::runtime_error);
  std::string png = encode_png_rgba(px, 4, 4);
  png.resize(png.size() - 20);  // cut short
  EXPECT_THROW(decode_png(std::as_bytes(std::span(png.data(), png.size()))), std::runtime_error);
}

}  // namespace
}  // namespace trellis::render
