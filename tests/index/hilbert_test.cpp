// Hilbert indexes: uzaygezen compact Hilbert curve and GeoTrellis' Hilbert key indexes (spec 4.4, 4.5,
// index-vectors.txt, and every line of hilbert-uzaygezen-vectors.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "index/key_index.hpp"

namespace trellis {
namespace {

KeyBounds bounds(std::int32_t c0, std::int32_t r0, std::int32_t c1, std::int32_t r1, std::int64_t t0 = 0,
                 std::int64_t t1 = 0) {
  KeyBounds b;
  b.min = SpaceTimeKey{c0, r0, t0};
  b.max = SpaceTimeKey{c1, r1, t1};
  return b;
}

std::uint64_t chc2(int bx, int by, std::uint64_t x, std::uint64_t y) {
  const int bits[2] = {bx, by};
  const std::uint64_t coords[2] = {x, y};
  return compact_hilbert_index(2, bits, coords);
}

// grid[r][c] = index of key (min.col + c, min.row + r)
template <std::size_t R, std::size_t C>
void expect_grid(const HilbertSpatialIndex& idx, const KeyBounds& b, const std::uint64_t (&grid)[R][C]) {
  for (std::size_t r = 0; r < R; ++r) {
    for (std::size_t c = 0; c < C; ++c) {
      const SpatialKey k{b.min.col + static_cast<std::int32_t>(c), b.min.row + static_cast<std::int32_t>(r)};
      EXPECT_EQ(idx.to_index(k), grid[r][c]) << "key (" << k.col << ", " << k.row << ")";
    }
  }
}

TEST(CompactHilbert, OneBitEach) {
  EXPECT_EQ(chc2(1, 1, 0, 0), 0u);
  EXPECT_EQ(chc2(1, 1, 0, 1), 1u);
  EXPECT_EQ(chc2(1, 1, 1, 1), 2u);
  EXPECT_EQ(chc2(1, 1, 1, 0), 3u);
}

TEST(CompactHilbert, ZeroBits) {
  EXPECT_EQ(chc2(0, 0, 0, 0), 0u);
  const int bits[3] = {0, 0, 0};
  const std::uint64_t coords[3] = {0, 0, 0};
  EXPECT_EQ(compact_hilbert_index(3, bits, coords), 0u);
}

TEST(CompactHilbert, InvalidArgumentsThrow) {
  EXPECT_THROW(chc2(2, 2, 4, 0), JobError);  // "value doesn't fit"
  EXPECT_THROW(chc2(2, 0, 0, 1), JobError);
  EXPECT_THROW(chc2(-1, 2, 0, 0), JobError);
  EXPECT_THROW(chc2(40, 30, 0, 0), JobError);  // 70 bits
  EXPECT_THROW(compact_hilbert_index(0, nullptr, nullptr), JobError);
}

// The compact index enumerates each grid exactly once (a bijection onto [0, 2^sum(bits))); with equal
// bit counts it is a true Hilbert curve: consecutive indices are grid neighbours.
TEST(CompactHilbert, BijectionAndContinuity) {
  const int shapes[][2] = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {3, 2},
                           {2, 3}, {1, 4}, {4, 1}, {5, 2}, {0, 3}, {3, 0}};
  for (const auto& s : shapes) {
    const std::uint64_t w = std::uint64_t{1} << s[0], h = std::uint64_t{1} << s[1];
    std::vector<std::pair<std::uint64_t, std::uint64_t>> at(w * h, {~0ULL, ~0ULL});
    for (std::uint64_t x = 0; x < w; ++x) {
      for (std::uint64_t y = 0; y < h; ++y) {
        const std::uint64_t i = chc2(s[0], s[1], x, y);
        ASSERT_LT(i, w * h);
        ASSERT_EQ(at[i].first, ~0ULL) << "bits " << s[0] << "," << s[1] << ": index " << i << " twice";
        at[i] = {x, y};
      }
    }
    if (s[0] == s[1]) {
      for (std::size_t i = 1; i < at.size(); ++i) {
        const auto dx =
            at[i].first > at[i - 1].first ? at[i].first - at[i - 1].first : at[i - 1].first - at[i].first;
        const auto dy = at[i].second > at[i - 1].second ? at[i].second - at[i - 1].second
                                                        : at[i - 1].second - at[i].second;
        EXPECT_EQ(dx + dy, 1u) << "bits " << s[0] << ": step " << i;
      }
    }
  }
  // 3-D bijection
  const int bits[3] = {2, 1, 3};
  std::vector<bool> seen(64, false);
  for (std::uint64_t x = 0; x < 4; ++x) {
    for (std::uint64_t y = 0; y < 2; ++y) {
      for (std::uint64_t z = 0; z < 8; ++z) {
        const std::uint64_t coords[3] = {x, y, z};
        const std::uint64_t i = compact_hilbert_index(3, bits, coords);
        ASSERT_LT(i, 64u);
        EXPECT_FALSE(seen[i]);
        seen[i] = true;
      }
    }
  }
}

TEST(CompactHilbert, LargeBitCounts) {
  // 31 + 31 bits: the corners stay inside 62 bits and the index is a bijection on the corners.
  const std::uint64_t m = (std::uint64_t{1} << 31) - 1;
  const std::uint64_t a = chc2(31, 31, 0, 0), b = chc2(31, 31, m, 0), c = chc2(31, 31, 0, m),
                      d = chc2(31, 31, m, m);
  EXPECT_EQ(a, 0u);
  for (std::uint64_t v : {b, c, d}) EXPECT_LT(v, std::uint64_t{1} << 62);
  EXPECT_NE(b, c);
  EXPECT_NE(b, d);
  EXPECT_NE(c, d);
  // 64 bits in total are accepted by the curve itself
  const int bits[2] = {32, 32};
  const std::uint64_t coords[2] = {0xffffffffULL, 0};
  EXPECT_NO_THROW(compact_hilbert_index(2, bits, coords));
}

TEST(HilbertSpatial, OneBitBoundsGeoTrellisTest) {
  const KeyBounds b = bounds(177, 409, 178, 410);
  const HilbertSpatialIndex idx(b);
  EXPECT_EQ(idx.x_resolution(), 1);
  EXPECT_EQ(idx.y_resolution(), 1);
  EXPECT_EQ(idx.to_index({177, 409}), 0u);
  EXPECT_EQ(idx.to_index({177, 410}), 1u);
  EXPECT_EQ(idx.to_index({178, 410}), 2u);
  EXPECT_EQ(idx.to_index({178, 409}), 3u);
}

TEST(HilbertSpatial, Grid4x4) {
  const KeyBounds b = bounds(0, 0, 3, 3);
  const HilbertSpatialIndex idx(b);
  EXPECT_EQ(idx.x_resolution(), 2);
  EXPECT_EQ(idx.y_resolution(), 2);
  const std::uint64_t grid[4][4] = {{0, 1, 14, 15}, {3, 2, 13, 12}, {4, 7, 8, 11}, {5, 6, 9, 10}};
  expect_grid(idx, b, grid);
  EXPECT_EQ(idx.to_index({3, 3}), 10u);  // toIndex(maxKey) is not the largest index
}

TEST(HilbertSpatial, Grid8x4Offset) {
  const KeyBounds b = bounds(10, 20, 17, 23);
  const HilbertSpatialIndex idx(b);
  EXPECT_EQ(idx.x_resolution(), 3);
  EXPECT_EQ(idx.y_resolution(), 2);
  const std::uint64_t grid[4][8] = {{0, 3, 4, 5, 26, 27, 28, 31},
                                    {1, 2, 7, 6, 25, 24, 29, 30},
                                    {14, 13, 8, 9, 22, 23, 18, 17},
                                    {15, 12, 11, 10, 21, 20, 19, 16}};
  expect_grid(idx, b, grid);
  // explicit resolutions give the same result
  expect_grid(HilbertSpatialIndex(b, 3, 2), b, grid);
}

TEST(HilbertSpatial, Grid8x8) {
  const KeyBounds b = bounds(0, 0, 7, 7);
  const HilbertSpatialIndex idx(b);
  EXPECT_EQ(idx.x_resolution(), 3);
  EXPECT_EQ(idx.y_resolution(), 3);
  const std::uint64_t grid[8][8] = {{0, 3, 4, 5, 58, 59, 60, 63},     {1, 2, 7, 6, 57, 56, 61, 62},
                                    {14, 13, 8, 9, 54, 55, 50, 49},   {15, 12, 11, 10, 53, 52, 51, 48},
                                    {16, 17, 30, 31, 32, 33, 46, 47}, {19, 18, 29, 28, 35, 34, 45, 44},
                                    {20, 23, 24, 27, 36, 39, 40, 43}, {21, 22, 25, 26, 37, 38, 41, 42}};
  expect_grid(idx, b, grid);
}

TEST(HilbertSpatial, Bounds34x28) {
  const KeyBounds b = bounds(0, 0, 33, 27);
  const HilbertSpatialIndex idx(b);
  EXPECT_EQ(idx.x_resolution(), 6);
  EXPECT_EQ(idx.y_resolution(), 5);
  EXPECT_EQ(idx.to_index({0, 0}), 0u);
  EXPECT_EQ(idx.to_index({1, 0}), 1u);
  EXPECT_EQ(idx.to_index({0, 1}), 3u);
  EXPECT_EQ(idx.to_index({33, 27}), 1380u);
  EXPECT_EQ(idx.to_index({10, 4}), 220u);
  EXPECT_EQ(idx.to_index({20, 13}), 457u);
  // keys past maxKey that still fit the bit counts are indexed (as uzaygezen does) ...
  EXPECT_NO_THROW(idx.to_index({63, 31}));
  // ... the others, and keys before minKey, throw like uzaygezen's "value doesn't fit"
  EXPECT_THROW(idx.to_index({64, 0}), JobError);
  EXPECT_THROW(idx.to_index({0, 32}), JobError);
  EXPECT_THROW(idx.to_index({-1, 0}), JobError);
}

TEST(HilbertSpatial, InvalidResolutionsThrow) {
  const KeyBounds b = bounds(0, 0, 3, 3);
  EXPECT_THROW(HilbertSpatialIndex(b, -1, 2), JobError);
  EXPECT_THROW(HilbertSpatialIndex(b, 32, 32), JobError);
  EXPECT_NO_THROW(HilbertSpatialIndex(b, 32, 31));
  EXPECT_THROW(HilbertSpatialIndex(bounds(5, 5, 4, 4)), JobError);  // empty bounds
}

TEST(HilbertSpaceTime, SpecVectors) {
  const std::int64_t t0 = 1262304000000, day = 86400000, t1 = t0 + 10 * day;
  const KeyBounds b = bounds(0, 0, 3, 3, t0, t1);
  const HilbertSpaceTimeIndex idx(b, 2, 2, 3);
  struct Case {
    std::int64_t instant;
    std::uint64_t idx12, idx00;
  };
  const Case cases[] = {
      {1262304000000, 15, 0},    // bin 0
      {1262390400000, 15, 0},    // bin 0
      {1262736000000, 123, 64},  // bin 4
      {1263167999999, 96, 89},   // bin 7
      {1263168000000, 96, 89},   // bin 8 -> clamped to 7
  };
  for (const auto& c : cases) {
    EXPECT_EQ(idx.to_index(SpaceTimeKey{1, 2, c.instant}), c.idx12) << "instant " << c.instant;
    EXPECT_EQ(idx.to_index(SpaceTimeKey{0, 0, c.instant}), c.idx00) << "instant " << c.instant;
  }
  // the same through the raw curve: dims (col, row, bin)
  const int bits[3] = {2, 2, 3};
  const std::uint64_t p[3] = {1, 2, 4};
  EXPECT_EQ(compact_hilbert_index(3, bits, p), 123u);
  // instants outside the time range give bins that do not fit
  // a small negative bin truncates toward zero (JVM double -> long), so it still lands in bin 0 ...
  EXPECT_EQ(idx.to_index(SpaceTimeKey{0, 0, t0 - 1}), 0u);
  // ... a whole bin before the start does not fit
  EXPECT_THROW(idx.to_index(SpaceTimeKey{0, 0, t0 - 2 * day}), JobError);
  EXPECT_THROW(idx.to_index(SpaceTimeKey{0, 0, t1 + 2 * day}), JobError);
  EXPECT_THROW(idx.to_index(SpaceTimeKey{4, 0, t0}), JobError);
}

TEST(HilbertSpaceTime, OffsetsBySpatialMinKey) {
  const std::int64_t t0 = 1262304000000, day = 86400000;
  const HilbertSpaceTimeIndex shifted(bounds(100, 200, 103, 203, t0, t0 + 10 * day), 2, 2, 3);
  EXPECT_EQ(shifted.to_index(SpaceTimeKey{101, 202, t0 + 5 * day}), 123u);
  EXPECT_EQ(shifted.to_index(SpaceTimeKey{100, 200, t0 + 10 * day}), 89u);
}

TEST(HilbertSpaceTime, ZeroTimeWidthGivesBinZero) {
  // 0 / 0 = NaN, and the JVM's NaN.toLong is 0
  const std::int64_t t0 = 1262304000000;
  const HilbertSpaceTimeIndex idx(bounds(0, 0, 3, 3, t0, t0), 2, 2, 3);
  const int bits[3] = {2, 2, 3};
  const std::uint64_t p[3] = {1, 2, 0};
  EXPECT_EQ(idx.to_index(SpaceTimeKey{1, 2, t0}), compact_hilbert_index(3, bits, p));
  EXPECT_EQ(idx.to_index(SpaceTimeKey{1, 2, t0}), 15u);
}

TEST(HilbertSpaceTime, InvalidResolutionsThrow) {
  const KeyBounds b = bounds(0, 0, 3, 3, 0, 10);
  EXPECT_THROW(HilbertSpaceTimeIndex(b, 2, 2, -1), JobError);
  EXPECT_THROW(HilbertSpaceTimeIndex(b, 30, 30, 4), JobError);
  EXPECT_NO_THROW(HilbertSpaceTimeIndex(b, 30, 30, 3));
}

// Every line of hilbert-uzaygezen-vectors.txt: "ndims bits... coords... expected_index", produced by
// uzaygezen 0.2 itself.
TEST(CompactHilbert, UzaygezenVectors) {
  const char* shared = std::getenv("TRELLIS_SHARED");
  if (shared == nullptr || *shared == '\0') {
    GTEST_SKIP() << "TRELLIS_SHARED is not set; cannot find spec/vectors/hilbert-uzaygezen-vectors.txt "
                    "(ctest sets it to <repo>/../shared)";
  }
  const std::filesystem::path path =
      std::filesystem::path(shared) / "spec/vectors/hilbert-uzaygezen-vectors.txt";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "vector file " << path << " is missing";

  std::string line;
  int lineno = 0, checked = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    int n = 0;
    ASSERT_TRUE(ss >> n) << path << ":" << lineno << ": " << line;
    ASSERT_GE(n, 1) << path << ":" << lineno;
    ASSERT_LE(n, 8) << path << ":" << lineno;
    std::vector<int> bits(n);
    std::vector<std::uint64_t> coords(n);
    std::uint64_t expected = 0;
    for (auto& b : bits) ASSERT_TRUE(ss >> b) << path << ":" << lineno << ": " << line;
    for (auto& c : coords) ASSERT_TRUE(ss >> c) << path << ":" << lineno << ": " << line;
    ASSERT_TRUE(ss >> expected) << path << ":" << lineno << ": " << line;
    std::string rest;
    ASSERT_FALSE(ss >> rest) << path << ":" << lineno << ": trailing text: " << line;
    EXPECT_EQ(compact_hilbert_index(n, bits.data(), coords.data()), expected)
        << path << ":" << lineno << ": " << line;
    ++checked;
  }
  EXPECT_EQ(checked, 3224) << "unexpected number of vectors in " << path;
  RecordProperty("vectors_checked", checked);
}

}  // namespace
}  // namespace trellis
