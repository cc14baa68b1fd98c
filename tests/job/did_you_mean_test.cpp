#include "job/did_you_mean.hpp"

#include <gtest/gtest.h>

namespace trellis::job {
namespace {

TEST(EditDistance, Basics) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("tile_sise", "tile_size"), 1u);
  EXPECT_EQ(edit_distance("TILE_SIZE", "tile_size"), 0u);  // case-insensitive
}

TEST(DidYouMean, SuggestsTheClosestWithinTheLimit) {
  const std::vector<std::string> c{"tile_size", "tile_cols", "resample_method"};
  EXPECT_EQ(did_you_mean("tile_sise", c), "tile_size");
  EXPECT_EQ(did_you_mean("Tile_Size", c), "tile_size");
  EXPECT_EQ(did_you_mean("resample", c), std::nullopt);  // 7 edits > max(2, 8/3)
  EXPECT_EQ(did_you_mean("resample_methd", c), "resample_method");
  EXPECT_EQ(did_you_mean("zzz", c), std::nullopt);
  EXPECT_EQ(did_you_mean("x", {}), std::nullopt);
  // The limit grows with the word: 4 edits are fine for a 12-letter word, not for a 9-letter one.
  EXPECT_EQ(did_you_mean("abcdefghijkl", {"abcdefghwxyz"}), "abcdefghwxyz");
  EXPECT_EQ(did_you_mean("abcdefghi", {"abcdewxyz"}), std::nullopt);
  // Ties go to the first candidate.
  EXPECT_EQ(did_you_mean("ab", {"ax", "ay"}), "ax");
}

TEST(DidYouMean, Suffix) {
  EXPECT_EQ(did_you_mean_suffix("bilinaer", {"nearest_neighbor", "bilinear"}), " (did you mean 'bilinear'?)");
  EXPECT_EQ(did_you_mean_suffix("qqqqqqqq", {"nearest_neighbor", "bilinear"}), "");
}

}  // namespace
}  // namespace trellis::job
