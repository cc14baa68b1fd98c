// Index kind names, resolution() (spec 4.1) and tile file names (spec 1.1).
#include "index/key_index.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace trellis {
namespace {

TEST(IndexKind, ParseAndName) {
  for (IndexKind k : {IndexKind::ZOrder, IndexKind::Hilbert, IndexKind::RowMajor}) {
    EXPECT_EQ(parse_index_kind(index_kind_name(k)), k);
  }
  EXPECT_STREQ(index_kind_name(IndexKind::ZOrder), "zorder");
  EXPECT_STREQ(index_kind_name(IndexKind::Hilbert), "hilbert");
  EXPECT_STREQ(index_kind_name(IndexKind::RowMajor), "rowmajor");
}

TEST(IndexKind, UnknownNameThrowsJobErrorListingValidNames) {
  for (const char* bad : {"", "Zorder", "z-order", "row_major", "hilbert "}) {
    try {
      parse_index_kind(bad);
      ADD_FAILURE() << "no exception for '" << bad << "'";
    } catch (const JobError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("zorder"), std::string::npos) << msg;
      EXPECT_NE(msg.find("hilbert"), std::string::npos) << msg;
      EXPECT_NE(msg.find("rowmajor"), std::string::npos) << msg;
      EXPECT_EQ(e.code(), kExitJob);
    }
  }
}

TEST(Resolution, Vectors) {
  EXPECT_EQ(index_resolution(0, 0), 0);
  EXPECT_EQ(index_resolution(1, 0), 1);
  EXPECT_EQ(index_resolution(3, 0), 2);
  EXPECT_EQ(index_resolution(4, 0), 3);
  EXPECT_EQ(index_resolution(33, 0), 6);
  EXPECT_EQ(index_resolution(27, 0), 5);
  EXPECT_EQ(index_resolution(255, 0), 8);
  EXPECT_EQ(index_resolution(256, 0), 9);
  EXPECT_EQ(index_resolution(1023, 1000), 5);
}

// Exact for lengths 2^k - 1, 2^k, 2^k + 1 (k <= 31) except the floating-point artefacts at
// length 2^29 (-> 30) and 2^31 (-> 32), which GeoTrellis has too.
TEST(Resolution, PowersOfTwoAndOutliers) {
  for (int k = 1; k <= 31; ++k) {
    const double len = std::ldexp(1.0, k);
    const int exact = (k == 29 || k == 31) ? k + 1 : k;
    EXPECT_EQ(index_resolution(len - 1, 0), exact) << "length 2^" << k;
    EXPECT_EQ(index_resolution(len, 0), k + 1) << "length 2^" << k << " + 1";
    if (k >= 2) {
      EXPECT_EQ(index_resolution(len - 2, 0), k) << "length 2^" << k << " - 1";
    }
  }
  EXPECT_EQ(index_resolution((1 << 29) - 1, 0), 30);
  EXPECT_EQ(index_resolution(2147483647.0, 0), 32);
  EXPECT_EQ(index_resolution(2147483647.0 + 100, 100), 32);
  // min offsets the length
  EXPECT_EQ(index_resolution(17, 10), 3);
  EXPECT_EQ(index_resolution(23, 20), 2);
}

TEST(Resolution, DegenerateLengthsFollowJvmConversions) {
  EXPECT_EQ(index_resolution(-1, 0), INT32_MIN);  // log(0) = -inf -> Int.MinValue
  EXPECT_EQ(index_resolution(-5, 0), 0);          // log(<0) = NaN -> 0
}

TEST(FileName, EncodeAndDigits) {
  EXPECT_EQ(index_digits(0), 1);
  EXPECT_EQ(index_digits(9), 1);
  EXPECT_EQ(index_digits(10), 2);
  EXPECT_EQ(index_digits(1675), 4);
  EXPECT_EQ(index_digits(UINT64_MAX), 20);
  // spec 1.1: zorder keyBounds (0,0)-(33,27): toIndex(maxKey) = 1675 -> width 4; key (0,8) -> "0128"
  const int width = index_digits(z2_index(33, 27));
  EXPECT_EQ(width, 4);
  EXPECT_EQ(encode_index_filename(z2_index(0, 8), width), "0128");
  EXPECT_EQ(encode_index_filename(0, 4), "0000");
  EXPECT_EQ(encode_index_filename(1675, 4), "1675");
  EXPECT_EQ(encode_index_filename(123456, 4), "123456");  // never truncated
  EXPECT_EQ(encode_index_filename(7, 0), "7");
  EXPECT_EQ(encode_index_filename(7, -3), "7");
  EXPECT_EQ(encode_index_filename(3, 1), "3");  // spec 9.3 example: maxKey (1,1) -> 3 -> width 1
  // Hilbert: toIndex(maxKey) = 10 on the 4x4 grid, so 14 and 15 are written with 2 digits, 0..9 padded.
  KeyBounds b;
  b.max = SpaceTimeKey{3, 3, 0};
  const HilbertSpatialIndex h(b);
  const int hw = index_digits(h.to_index({3, 3}));
  EXPECT_EQ(hw, 2);
  EXPECT_EQ(encode_index_filename(h.to_index({1, 0}), hw), "01");
  EXPECT_EQ(encode_index_filename(h.to_index({3, 0}), hw), "15");
}

TEST(SpatialIndex, DispatchesByKind) {
  KeyBounds b;
  b.min = SpaceTimeKey{10, 20, 0};
  b.max = SpaceTimeKey{17, 23, 0};
  EXPECT_EQ(spatial_index(IndexKind::ZOrder, b, {10, 4}), 100u);  // absolute, no offset
  EXPECT_EQ(spatial_index(IndexKind::Hilbert, b, {14, 20}), 26u);
  EXPECT_EQ(spatial_index(IndexKind::Hilbert, b, {17, 23}), 16u);
  EXPECT_EQ(spatial_index(IndexKind::RowMajor, b, {17, 23}), 31u);
}

}  // namespace
}  // namespace trellis
