// Row-major index, spec 4.6 / index-vectors.txt.
#include <gtest/gtest.h>

#include <cstdint>

#include "core/error.hpp"
#include "index/key_index.hpp"

namespace trellis {
namespace {

KeyBounds bounds(std::int32_t c0, std::int32_t r0, std::int32_t c1, std::int32_t r1) {
  KeyBounds b;
  b.min = SpaceTimeKey{c0, r0, 0};
  b.max = SpaceTimeKey{c1, r1, 0};
  return b;
}

TEST(RowMajor, SpecExamples) {
  const KeyBounds b = bounds(10, 20, 17, 23);
  EXPECT_EQ(rowmajor_index(b, {10, 20}), 0u);
  EXPECT_EQ(rowmajor_index(b, {17, 20}), 7u);
  EXPECT_EQ(rowmajor_index(b, {10, 21}), 8u);
  EXPECT_EQ(rowmajor_index(b, {17, 23}), 31u);
}

TEST(RowMajor, WholeGridIsRowMajor) {
  const KeyBounds b = bounds(-3, 5, 4, 9);
  std::uint64_t expected = 0;
  for (std::int32_t row = 5; row <= 9; ++row) {
    for (std::int32_t col = -3; col <= 4; ++col) EXPECT_EQ(rowmajor_index(b, {col, row}), expected++);
  }
}

TEST(RowMajor, OutsideBoundsOrOverflowThrows) {
  const KeyBounds b = bounds(10, 20, 17, 23);
  EXPECT_THROW(rowmajor_index(b, {9, 20}), JobError);
  EXPECT_THROW(rowmajor_index(b, {18, 20}), JobError);
  EXPECT_THROW(rowmajor_index(b, {10, 19}), JobError);
  EXPECT_THROW(rowmajor_index(b, {10, 24}), JobError);
  const KeyBounds big = bounds(0, 0, 1 << 20, 1 << 20);
  EXPECT_EQ(rowmajor_index(big, {5, 2047}), ((std::uint64_t{1} << 20) + 1) * 2047 + 5);
  EXPECT_THROW(rowmajor_index(big, {0, 1 << 20}), JobError);
  const KeyBounds wide = bounds(INT32_MIN, 0, INT32_MAX, 0);
  EXPECT_THROW(rowmajor_index(wide, {0, 0}), JobError);
}

}  // namespace
}  // namespace trellis
