// Extents, grids (mapToGrid with GeoTrellis' 1e-7 tolerance), keys and key bounds.
#include <gtest/gtest.h>

#include <unordered_set>

#include "core/extent.hpp"
#include "core/key.hpp"

namespace trellis {
namespace {

TEST(Extent, Basics) {
  Extent e{0, -1.5, 10, 2.5};
  EXPECT_EQ(e.width(), 10);
  EXPECT_EQ(e.height(), 4);
  EXPECT_FALSE(e.empty());
  EXPECT_TRUE((Extent{1, 1, 1, 2}).empty());
  EXPECT_EQ(e.center_x(), 5);
  EXPECT_EQ(e.center_y(), 0.5);
  EXPECT_TRUE(e.intersects({9, 2, 11, 3}));
  EXPECT_FALSE(e.intersects({10, 0, 11, 1}));  // touching edges do not intersect
  EXPECT_TRUE(e.contains({1, 0, 2, 1}));
  EXPECT_TRUE(e.contains_point(10, 2.5));
  EXPECT_EQ(e.intersection({5, 0, 20, 20}), (Extent{5, 0, 10, 2.5}));
  EXPECT_EQ(e.combine({5, -3, 20, 0}), (Extent{0, -3, 20, 2.5}));
}

TEST(Extent, ToStringUsesJavaDoubles) {
  EXPECT_EQ((Extent{0, -1.5, 1e7, 20037508.342789244}).to_string(),
            "Extent(0.0, -1.5, 1.0E7, 2.0037508342789244E7)");
  EXPECT_EQ((Extent{138.83392384789715, 34.93510370779196, 141.4742088466356, 37.10945605969421}).to_string(),
            "Extent(138.83392384789715, 34.93510370779196, 141.4742088466356, 37.10945605969421)");
}

TEST(GridExtent, CellSizeAndCentres) {
  GridExtent g{{0, 0, 10, 5}, 10, 5};
  EXPECT_EQ(g.cell_size(), (CellSize{1, 1}));
  EXPECT_EQ(g.grid_to_map_x(0), 0.5);
  EXPECT_EQ(g.grid_to_map_y(0), 4.5);  // row 0 is north
  EXPECT_EQ(g.grid_to_map_y(4), 0.5);
}

TEST(GridExtent, MapToGridWithTolerance) {
  GridExtent g{{0, 0, 10, 10}, 10, 10};
  EXPECT_EQ(g.map_to_col(0), 0);
  EXPECT_EQ(g.map_to_col(3.5), 3);
  EXPECT_EQ(g.map_to_col(3.99999999), 4);  // within 1e-7 of 4: snapped
  EXPECT_EQ(g.map_to_col(3.9999), 3);
  EXPECT_EQ(g.map_to_col(4.00000001), 4);
  EXPECT_EQ(g.map_to_col(-0.5), -1);  // outside: plain floor
  EXPECT_EQ(g.map_to_col(10), 10);
  EXPECT_EQ(g.map_to_row(10), 0);
  EXPECT_EQ(g.map_to_row(9.5), 0);
  EXPECT_EQ(g.map_to_row(6.00000001), 4);  // (10-6.00000001) = 3.99999999 -> 4
  EXPECT_EQ(g.map_to_row(0), 10);
  EXPECT_EQ(floor_with_tolerance(2.99999995), 3);
  EXPECT_EQ(floor_with_tolerance(2.9999998), 2);
  EXPECT_EQ(floor_with_tolerance(-1.00000005), -1);
  // Pyramid step (spec 5.5): the centre of source key col in a 4-col grid mapped into a 2-col grid.
  GridExtent src{{0, 0, 4, 4}, 4, 4}, dst{{0, 0, 4, 4}, 2, 2};
  for (long c = 0; c < 4; ++c) EXPECT_EQ(dst.map_to_col(src.grid_to_map_x(c)), c / 2);
  for (long r = 0; r < 4; ++r) EXPECT_EQ(dst.map_to_row(src.grid_to_map_y(r)), r / 2);
}

TEST(Keys, OrderingAndHash) {
  EXPECT_LT((SpatialKey{0, 5}), (SpatialKey{1, 0}));
  EXPECT_LT((SpaceTimeKey{1, 1, 0}), (SpaceTimeKey{1, 1, 5}));
  EXPECT_EQ((SpaceTimeKey{3, 4, 7}).spatial(), (SpatialKey{3, 4}));
  std::unordered_set<SpaceTimeKey> s{{0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {0, 0, 86400000}, {0, 0, 0}};
  EXPECT_EQ(s.size(), 4u);
}

TEST(GridBounds, SizeContainsIntersectCombine) {
  GridBounds a{0, 0, 3, 2};
  EXPECT_EQ(a.width(), 4);
  EXPECT_EQ(a.height(), 3);
  EXPECT_EQ(a.size(), 12);
  EXPECT_TRUE(a.contains(3, 2));
  EXPECT_FALSE(a.contains(4, 2));
  GridBounds empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.size(), 0);
  GridBounds b{2, 1, 5, 5};
  EXPECT_EQ(a.intersection(b), (GridBounds{2, 1, 3, 2}));
  EXPECT_EQ(a.combine(b), (GridBounds{0, 0, 5, 5}));
  EXPECT_TRUE(a.intersection(GridBounds{10, 10, 11, 11}).empty());
  EXPECT_EQ(a.combine(empty), a);
  EXPECT_EQ(empty.combine(b), b);
  EXPECT_TRUE(a.intersection(empty).empty());
}

TEST(KeyBounds, CombineAndIncludes) {
  KeyBounds a{{0, 1, 100}, {2, 3, 200}};
  KeyBounds b{{1, 0, 50}, {5, 2, 150}};
  KeyBounds c = a.combine(b);
  EXPECT_EQ(c.min, (SpaceTimeKey{0, 0, 50}));
  EXPECT_EQ(c.max, (SpaceTimeKey{5, 3, 200}));
  EXPECT_EQ(c.grid(), (GridBounds{0, 0, 5, 3}));
  EXPECT_TRUE(c.includes({5, 3, 200}));
  EXPECT_FALSE(c.includes({5, 3, 201}));
  EXPECT_FALSE(a.includes({0, 0, 100}));
}

}  // namespace
}  // namespace trellis
