// Z-order indexes: every Z2 / Z3 vector of spec/vectors/index-vectors.txt and spec 4.2 / 4.3.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/error.hpp"
#include "index/key_index.hpp"

namespace trellis {
namespace {

struct Z2Case {
  std::int32_t col, row;
  std::uint64_t index;
};

TEST(ZOrder, Z2Vectors) {
  const Z2Case cases[] = {
      {0, 0, 0},
      {1, 0, 1},
      {0, 1, 2},
      {1, 1, 3},
      {2, 0, 4},
      {0, 2, 8},
      {3, 3, 15},
      {10, 4, 100},
      {0, 8, 128},
      {33, 27, 1675},
      {1450, 966, 1827948},
      {65535, 65535, 4294967295ULL},
      {2147483647, 0, 1537228672809129301ULL},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(z2_index(c.col, c.row), c.index) << "Z2(" << c.col << ", " << c.row << ")";
  }
}

TEST(ZOrder, Z2GeoTrellisSpec) {  // Z2Spec.scala L25-30
  EXPECT_EQ(z2_index(1, 0), 1u);
  EXPECT_EQ(z2_index(2, 0), 4u);
  EXPECT_EQ(z2_index(3, 0), 5u);
  EXPECT_EQ(z2_index(0, 1), 2u);
  EXPECT_EQ(z2_index(0, 2), 8u);
  EXPECT_EQ(z2_index(0, 3), 10u);
}

TEST(ZOrder, Z2BitLayout) {
  // bit i of col -> bit 2i, bit i of row -> bit 2i+1, only 31 bits of each (sign-extended then masked).
  for (int i = 0; i < 31; ++i) {
    EXPECT_EQ(z2_index(std::int32_t{1} << i, 0), std::uint64_t{1} << (2 * i));
    EXPECT_EQ(z2_index(0, std::int32_t{1} << i), std::uint64_t{1} << (2 * i + 1));
  }
  EXPECT_EQ(z2_index(-1, 0), z2_index(0x7fffffff, 0));
  EXPECT_EQ(z2_index(0, -1), z2_index(0, 0x7fffffff));
  EXPECT_EQ(z2_index(INT32_MIN, INT32_MIN), 0u);
}

struct Z3Case {
  std::int32_t col, row;
  std::int64_t instant, resolution;
  std::int32_t bin;
  std::uint64_t index;
};

TEST(ZOrder, Z3Vectors) {
  const Z3Case cases[] = {
      {0, 0, 0, 86400000, 0, 0},
      {1, 0, 0, 86400000, 0, 1},
      {0, 1, 0, 86400000, 0, 2},
      {0, 0, 86400000, 86400000, 1, 4},
      {1, 1, 86400000, 86400000, 1, 7},
      {5, 9, 1262304000000, 86400000, 14610, 2508328027235ULL},
      {5, 9, 1262304000000, 31536000000, 40, 134211},
      {3, 3, 1262304000000, 2592000000, 487, 76677439},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(z3_index(c.col, c.row, c.bin), c.index)
        << "Z3(" << c.col << ", " << c.row << ", " << c.bin << ")";
    EXPECT_EQ(zorder_spacetime_index(SpaceTimeKey{c.col, c.row, c.instant}, c.resolution), c.index)
        << "key (" << c.col << ", " << c.row << ", " << c.instant << ") res " << c.resolution;
  }
}

TEST(ZOrder, Z3BitLayoutAndMasking) {
  for (int i = 0; i < 21; ++i) {
    const std::int32_t v = std::int32_t{1} << i;
    EXPECT_EQ(z3_index(v, 0, 0), std::uint64_t{1} << (3 * i));
    EXPECT_EQ(z3_index(0, v, 0), std::uint64_t{1} << (3 * i + 1));
    EXPECT_EQ(z3_index(0, 0, v), std::uint64_t{1} << (3 * i + 2));
  }
  // values >= 2^21 wrap silently, negatives keep their low 21 bits
  EXPECT_EQ(z3_index(1 << 21, 1 << 22, (1 << 21) + 1), z3_index(0, 0, 1));
  EXPECT_EQ(z3_index(-1, 0, 0), z3_index(0x1fffff, 0, 0));
  EXPECT_EQ(z3_index(0x1fffff, 0x1fffff, 0x1fffff), (std::uint64_t{1} << 63) - 1);
}

TEST(ZOrder, SpaceTimeBinTruncation) {
  // instant / res truncates toward zero (JVM Long division), no minKey offset
  EXPECT_EQ(zorder_spacetime_index(SpaceTimeKey{0, 0, 86399999}, 86400000), 0u);
  EXPECT_EQ(zorder_spacetime_index(SpaceTimeKey{0, 0, -86399999}, 86400000), 0u);
  EXPECT_EQ(zorder_spacetime_index(SpaceTimeKey{0, 0, -86400000}, 86400000), z3_index(0, 0, -1));
  // then (Long).toInt keeps the low 32 bits
  EXPECT_EQ(zorder_spacetime_index(SpaceTimeKey{2, 3, (std::int64_t{1} << 32) + 5}, 1), z3_index(2, 3, 5));
  EXPECT_THROW(zorder_spacetime_index(SpaceTimeKey{0, 0, 0}, 0), JobError);
  EXPECT_THROW(zorder_spacetime_index(SpaceTimeKey{0, 0, 0}, -1), JobError);
}

}  // namespace
}  // namespace trellis
