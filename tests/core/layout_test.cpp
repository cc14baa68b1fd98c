// Layout math (catalog spec section 5) and the layout/pyramid conformance cases of cases.json.
#include "core/layout.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "core/error.hpp"

namespace trellis {
namespace {

TEST(LayoutDefinition, KeyExtentRowZeroIsNorth) {
  // gt-cuttiles-overlapping layout: extent (0,0,160,200), TileLayout(4,4,4,5), cell size 10.
  LayoutDefinition ld{{0, 0, 160, 200}, {4, 4, 4, 5}};
  EXPECT_EQ(ld.tile_width(), 40);
  EXPECT_EQ(ld.tile_height(), 50);
  EXPECT_EQ(ld.cell_size(), (CellSize{10, 10}));
  EXPECT_EQ(ld.key_extent(0, 0), (Extent{0, 150, 40, 200}));
  EXPECT_EQ(ld.key_extent(1, 2), (Extent{40, 50, 80, 100}));  // the case's note
  EXPECT_EQ(ld.key_extent(3, 3), (Extent{120, 0, 160, 50}));
  EXPECT_EQ(ld.tile_grid(1, 2), (GridExtent{{40, 50, 80, 100}, 4, 5}));
  EXPECT_EQ(ld.grid(), (GridExtent{{0, 0, 160, 200}, 16, 20}));
  EXPECT_EQ(ld.layout_bounds(), (GridBounds{0, 0, 3, 3}));
  EXPECT_EQ(ld.bounds_extent({1, 1, 2, 3}), (Extent{40, 0, 120, 150}));
}

TEST(LayoutDefinition, PointToKey) {
  LayoutDefinition ld{{0, 0, 160, 200}, {4, 4, 4, 5}};
  EXPECT_EQ(ld.point_to_key(0, 200), (SpatialKey{0, 0}));
  EXPECT_EQ(ld.point_to_key(40, 150), (SpatialKey{1, 1}));  // a corner belongs to the tile to its lower right
  EXPECT_EQ(ld.point_to_key(39.999, 150.001), (SpatialKey{0, 0}));
  EXPECT_EQ(ld.point_to_key(160, 0), (SpatialKey{4, 4}));  // outside, not clipped
  EXPECT_EQ(ld.point_to_key(-1, 201), (SpatialKey{-1, -1}));
}

// gps-catalog-query-box: x=8348915.4668, y=543988.9432 at WebMercator zoom 11 -> (1450, 996).
TEST(LayoutDefinition, CatalogQueryBoxKey) {
  ZoomedLayoutScheme wm(Crs::from_epsg(3857));
  LayoutLevel l = wm.level_for_zoom(11);
  EXPECT_EQ(l.layout.point_to_key(8348915.4668, 543988.9432), (SpatialKey{1450, 996}));
}

TEST(LayoutDefinition, ExtentToBoundsEdgeRule) {
  // gt-cuttiles-overlapping: raster 1 -> keys (0..2, 0..2), raster 2 -> (1..3, 1..3): 14 keys together.
  LayoutDefinition ld{{0, 0, 160, 200}, {4, 4, 4, 5}};
  GridBounds b1 = ld.extent_to_bounds({20, 75, 100, 175});
  GridBounds b2 = ld.extent_to_bounds({60, 25, 140, 125});
  EXPECT_EQ(b1, (GridBounds{0, 0, 2, 2}));
  EXPECT_EQ(b2, (GridBounds{1, 1, 3, 3}));
  std::set<std::pair<long, long>> keys;
  for (const auto& b : {b1, b2})
    for (long c = b.col_min; c <= b.col_max; ++c)
      for (long r = b.row_min; r <= b.row_max; ++r) keys.insert({c, r});
  EXPECT_EQ(keys.size(), 14u);  // expected tile_count

  // Maxima exactly on a tile edge are exclusive ...
  EXPECT_EQ(ld.extent_to_bounds({0, 100, 80, 200}), (GridBounds{0, 0, 1, 1}));
  EXPECT_EQ(ld.extent_to_bounds({0, 0, 160, 200}), (GridBounds{0, 0, 3, 3}));
  // ... unless the extent has zero width/height on that edge (then the edge is inclusive).
  EXPECT_EQ(ld.extent_to_bounds({40, 150, 40, 150}), (GridBounds{1, 1, 1, 1}));
  EXPECT_EQ(ld.extent_to_bounds({40, 100, 40, 150}), (GridBounds{1, 1, 1, 1}));
  // Not clipped to the layout.
  EXPECT_EQ(ld.extent_to_bounds({-50, -10, 170, 260}), (GridBounds{-2, -2, 4, 4}));
}

// gps-rasterize-zoom11-nan: an 11 m square at the WebMercator origin, zoom 11 -> exactly one key; the
// square's bottom edge lies exactly on a tile edge (y = 0) and is exclusive.
TEST(LayoutDefinition, Zoom11SquareHasOneKey) {
  ZoomedLayoutScheme wm(Crs::from_epsg(3857), 256);
  LayoutDefinition ld = wm.level_for_zoom(11).layout;
  GridBounds b = ld.extent_to_bounds({0, 0, 11, 11});
  EXPECT_EQ(b, (GridBounds{1024, 1023, 1024, 1023}));
  EXPECT_NEAR(ld.cell_size().width, 76.437, 1e-3);
}

TEST(LayoutDefinition, FromGridPadsEastAndSouth) {
  LayoutDefinition ld = LayoutDefinition::from_grid({0, 0, 10, 6}, {1, 1}, 4, 4);
  EXPECT_EQ(ld.tile_layout, (TileLayout{3, 2, 4, 4}));
  EXPECT_EQ(ld.extent, (Extent{0, -2, 12, 6}));
  // Exact fit: no padding.
  LayoutDefinition exact = LayoutDefinition::from_grid({0, 0, 8, 8}, {1, 1}, 4, 4);
  EXPECT_EQ(exact.tile_layout, (TileLayout{2, 2, 4, 4}));
  EXPECT_EQ(exact.extent, (Extent{0, 0, 8, 8}));
  // Non-square tiles and cells.
  LayoutDefinition ns = LayoutDefinition::from_grid({100, 200, 130, 260}, {2, 3}, 5, 4);
  EXPECT_EQ(ns.tile_layout, (TileLayout{3, 5, 5, 4}));
  EXPECT_EQ(ns.extent, (Extent{100, 200, 130, 260}));
  EXPECT_THROW(LayoutDefinition::from_grid({0, 0, 1, 1}, {0, 1}, 4, 4), JobError);
  EXPECT_THROW(LayoutDefinition::from_grid({0, 0, 1, 1}, {1, 1}, 0, 4), JobError);
}

TEST(LayoutDefinition, FromGridCeilOfDoubleDivision) {
  // totalPixelWidth = width / cellWidth as a double, then ceil(total / tileCols): 0.3 / 0.1
  // = 2.9999999999999996 gives 3 pixels -> 1 tile of 3; 0.7 / 0.1 = 6.999999999999999 -> ceil(6.99.../7) = 1.
  LayoutDefinition a = LayoutDefinition::from_grid({0, 0, 0.3, 0.3}, {0.1, 0.1}, 3, 3);
  EXPECT_EQ(a.tile_layout.layout_cols, 1);
  LayoutDefinition b = LayoutDefinition::from_grid({0, 0, 0.7, 0.7}, {0.1, 0.1}, 7, 7);
  EXPECT_EQ(b.tile_layout.layout_cols, 1);
  // 1.0 / 0.1 = 10 exactly -> 10/5 = 2 tiles, while 0.6/0.2 = 2.9999999999999996 -> ceil(2.99.../3) = 1
  EXPECT_EQ(LayoutDefinition::from_grid({0, 0, 1.0, 1.0}, {0.1, 0.1}, 5, 5).tile_layout.layout_cols, 2);
  EXPECT_EQ(LayoutDefinition::from_grid({0, 0, 0.6, 0.6}, {0.2, 0.2}, 3, 3).tile_layout.layout_cols, 1);
  // A fraction above an integer adds a whole tile: 1.0000001 / 0.1 = 10.000001 pixels -> 3 tiles of 5.
  EXPECT_EQ(LayoutDefinition::from_grid({0, 0, 1.0000001, 1}, {0.1, 0.1}, 5, 5).tile_layout.layout_cols, 3);
}

// Catalog spec 5.3 fixture check (landsat, GeoTrellis 2.0.0-RC2): data extent 8625 x 7096 cells of
// ~3.0334e-4 degrees, tiles of 256 -> layoutCols 34, layoutRows 28, layout extent padded east and south.
TEST(LayoutDefinition, FromGridLandsatFixture) {
  Extent data{138.83392384789715, 34.956944300612406, 141.4502448628465, 37.10945605969421};
  CellSize cs{data.width() / 8625, data.height() / 7096};
  EXPECT_NEAR(cs.width, 3.0334e-4, 1e-8);
  EXPECT_NEAR(cs.height, 3.0334e-4, 1e-8);
  FloatingLayoutScheme fs{256, 256};
  LayoutDefinition ld = fs.level_for(data, cs);
  EXPECT_EQ(ld.tile_layout, (TileLayout{34, 28, 256, 256}));
  EXPECT_EQ(ld.extent.xmin, data.xmin);
  EXPECT_EQ(ld.extent.ymax, data.ymax);
  EXPECT_NEAR(ld.extent.xmax, 141.4742088466356, 1e-9);
  EXPECT_NEAR(ld.extent.ymin, 34.93510370779196, 1e-9);
  // bounds = mapTransform(extent): keys (0,0)..(33,27) as in the fixture.
  EXPECT_EQ(ld.extent_to_bounds(data), (GridBounds{0, 0, 33, 27}));
}

TEST(FloatingLayoutScheme, ZoomOutHalvesCeil) {
  LayoutDefinition ld{{0, 0, 10, 10}, {34, 28, 256, 256}};
  std::vector<std::pair<long, long>> seq;
  for (int i = 0; i < 8; ++i) {
    ld = FloatingLayoutScheme::zoom_out(ld);
    seq.push_back({ld.tile_layout.layout_cols, ld.tile_layout.layout_rows});
    EXPECT_EQ(ld.extent, (Extent{0, 0, 10, 10}));
    EXPECT_EQ(ld.tile_layout.tile_cols, 256);
  }
  std::vector<std::pair<long, long>> want = {{17, 14}, {9, 7}, {5, 4}, {3, 2},
                                             {2, 1},   {1, 1}, {1, 1}, {1, 1}};
  EXPECT_EQ(seq, want);
  EXPECT_EQ(FloatingLayoutScheme::infer_layout_level(LayoutDefinition{{0, 0, 1, 1}, {34, 28, 256, 256}}), 6);
  EXPECT_EQ(FloatingLayoutScheme::infer_layout_level(LayoutDefinition{{0, 0, 1, 1}, {1, 1, 256, 256}}), 0);
  EXPECT_EQ(FloatingLayoutScheme::infer_layout_level(LayoutDefinition{{0, 0, 1, 1}, {16, 3, 256, 256}}), 4);
}

// gps-pyramid-local-master: zeros (1,256,256), extent (0,0,10,10), EPSG:3857.
// LocalLayout(256) -> max_zoom 0; LocalLayout(16) -> max_zoom 4, layoutCols 16, 8, 4, 2, 1.
TEST(FloatingLayoutScheme, GpsPyramidLocalMaster) {
  Extent e{0, 0, 10, 10};
  CellSize cs{10.0 / 256, 10.0 / 256};
  LayoutDefinition one = FloatingLayoutScheme{256, 256}.level_for(e, cs);
  EXPECT_EQ(one.tile_layout, (TileLayout{1, 1, 256, 256}));
  EXPECT_EQ(FloatingLayoutScheme::infer_layout_level(one), 0);

  LayoutDefinition ld = FloatingLayoutScheme{16, 16}.level_for(e, cs);
  EXPECT_EQ(ld.tile_layout, (TileLayout{16, 16, 16, 16}));
  int max_zoom = FloatingLayoutScheme::infer_layout_level(ld);
  EXPECT_EQ(max_zoom, 4);
  const long want[] = {16, 8, 4, 2, 1};  // by level 4..0
  for (int z = max_zoom; z >= 0; --z) {
    SCOPED_TRACE(z);
    EXPECT_EQ(ld.tile_layout.layout_cols, want[max_zoom - z]);
    EXPECT_EQ(ld.tile_layout.layout_rows, want[max_zoom - z]);
    if (z > 0) ld = FloatingLayoutScheme::zoom_out(ld);
  }
}

// ---------------------------------------------------------------------------------------------------
// ZoomedLayoutScheme

TEST(ZoomedLayoutScheme, WorldExtents) {
  EXPECT_EQ(ZoomedLayoutScheme::world_extent_for(Crs::from_epsg(4326)),
            (Extent{-180, -89.99999, 179.99999, 89.99999}));
  EXPECT_EQ(ZoomedLayoutScheme::world_extent_for(Crs::from_epsg(3857)),
            (Extent{-20037508.342789244, -20037508.342789244, 20037508.342789244, 20037508.342789244}));
  EXPECT_EQ(
      ZoomedLayoutScheme::world_extent_for(Crs::from_user(
          "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +a=6371007.181 +b=6371007.181 +units=m +no_defs")),
      (Extent{-2.0015109355797417E7, -1.0007554677898709E7, 2.0015109355797417E7, 1.0007554677898709E7}));
  // A GeoTrellis-written WebMercator proj4 string is identified as EPSG:3857.
  EXPECT_EQ(ZoomedLayoutScheme::world_extent_for(Crs::from_user(
                "+proj=merc +a=6378137 +b=6378137 +lat_ts=0.0 +lon_0=0.0 +x_0=0.0 +y_0=0 +k=1.0 +units=m "
                "+nadgrids=@null +wktext +no_defs ")),
            ZoomedLayoutScheme::world_extent_for(Crs::from_epsg(3857)));
  // UTM is rejected.
  EXPECT_THROW(ZoomedLayoutScheme::world_extent_for(Crs::from_epsg(32633)), JobError);
  EXPECT_THROW(ZoomedLayoutScheme(Crs::from_user("+proj=utm +zone=10 +datum=WGS84 +units=m +no_defs")),
               JobError);
  // Others: the WGS84 world reprojected (World Mercator here).
  Extent m = ZoomedLayoutScheme::world_extent_for(Crs::from_epsg(3395));
  EXPECT_NEAR(m.xmin, -20037508.342789244, 1e-3);
  EXPECT_NEAR(m.xmax, 20037508.342789244 * 179.99999 / 180, 1e-3);
  EXPECT_GT(m.ymax, 5e7);  // latitude 89.99999 on the ellipsoidal Mercator
  EXPECT_NEAR(m.ymin, -m.ymax, 1e-3);
}

TEST(ZoomedLayoutScheme, LevelForZoomAndZoomOut) {
  ZoomedLayoutScheme s(Crs::from_epsg(4326), 256);
  LayoutLevel l = s.level_for_zoom(3);
  EXPECT_EQ(l.zoom, 3);
  EXPECT_EQ(l.layout.tile_layout, (TileLayout{8, 8, 256, 256}));  // square for every CRS
  EXPECT_EQ(l.layout.extent, s.world_extent());
  LayoutLevel o = ZoomedLayoutScheme::zoom_out(l);
  EXPECT_EQ(o.zoom, 2);
  EXPECT_EQ(o.layout.tile_layout, (TileLayout{4, 4, 256, 256}));
  EXPECT_EQ(s.level_for_zoom(0).layout.tile_layout, (TileLayout{1, 1, 256, 256}));
  EXPECT_THROW(s.level_for_zoom(-1), JobError);
  EXPECT_THROW(ZoomedLayoutScheme::zoom_out(s.level_for_zoom(0)), JobError);
  EXPECT_EQ(s.tile_size(), 256);
  EXPECT_TRUE(s.crs().is_latlng());
}

// gt-pyramid-up-one-level: ZoomedLayoutScheme(LatLng, 2) from zoom 2 (TileLayout(4,4,2,2)) ->
// TileLayout(2,2,2,2); child key (c, r) goes to parent (c/2, r/2) (centre of the child extent in the parent
// layout).
TEST(ZoomedLayoutScheme, PyramidUpOneLevel) {
  ZoomedLayoutScheme s(Crs::from_epsg(4326), 2);
  LayoutLevel l2 = s.level_for_zoom(2);
  EXPECT_EQ(l2.layout.tile_layout, (TileLayout{4, 4, 2, 2}));
  LayoutLevel l1 = ZoomedLayoutScheme::zoom_out(l2);
  EXPECT_EQ(l1.zoom, 1);
  EXPECT_EQ(l1.layout.tile_layout, (TileLayout{2, 2, 2, 2}));
  for (long c = 0; c < 4; ++c)
    for (long r = 0; r < 4; ++r) {
      Extent e = l2.layout.key_extent(c, r);
      EXPECT_EQ(l1.layout.point_to_key(e.center_x(), e.center_y()),
                (SpatialKey{static_cast<std::int32_t>(c / 2), static_cast<std::int32_t>(r / 2)}));
    }
}

// OSM resolutions used by GeoTrellis' ZoomedLayoutSchemeSpec (cases gt-zoomed-threshold-*).
const double kZoomMeters[] = {156412,  78206,  39103,  19551,  9776,  4888,  2444,  1222,  610.984, 305.492,
                              152.746, 76.373, 38.187, 19.093, 9.547, 4.773, 2.387, 1.193, 0.596,   0.298};

void check_threshold_table(double threshold, double fraction, int zoom_offset,
                           const std::vector<double>& listed) {
  ZoomedLayoutScheme wm(Crs::from_epsg(3857), 256, threshold);
  for (int z = 0; z <= 18; ++z) {
    SCOPED_TRACE("z=" + std::to_string(z));
    double diff = kZoomMeters[z] - kZoomMeters[z + 1];
    double m = kZoomMeters[z] - diff * fraction;
    EXPECT_NEAR(m, listed[static_cast<std::size_t>(z)], 1e-6);  // the case's cellSize_m
    EXPECT_EQ(wm.zoom(0, 0, {m, m}), z + zoom_offset);
  }
}

// gt-zoomed-threshold-11-10: threshold 0.1, 11% of the way to the next level -> next zoom.
TEST(ZoomedLayoutScheme, ThresholdElevenPercentAtTen) {
  check_threshold_table(
      0.1, 0.11, 1,
      {147809.34, 73904.67, 36952.28, 18475.75, 9238.32, 4619.16, 2309.58, 1154.78824, 577.3798800000001,
       288.68994000000004, 144.34497000000002, 72.17254, 36.086659999999995, 18.04294, 9.02186, 4.51054,
       2.25566, 1.1273300000000002, 0.5632199999999999});
}

// gt-zoomed-threshold-17-20: threshold 0.2, 17% of the way -> same zoom.
TEST(ZoomedLayoutScheme, ThresholdSeventeenPercentAtTwenty) {
  check_threshold_table(
      0.2, 0.17, 0,
      {143116.98, 71558.49, 35779.16, 17889.25, 8945.04, 4472.52, 2236.26, 1118.12728, 559.0503600000001,
       279.52518000000003, 139.76259000000002, 69.88138000000001, 34.941019999999995, 17.47018,
       8.735420000000001, 4.36738, 2.18402, 1.09151, 0.5453399999999999});
}

// gt-zoomed-threshold-21-20: threshold 0.2, 21% of the way -> next zoom.
TEST(ZoomedLayoutScheme, ThresholdTwentyOnePercentAtTwenty) {
  check_threshold_table(
      0.2, 0.21, 1,
      {139988.74, 69994.37, 34997.08, 17498.25, 8749.52, 4374.76, 2187.38, 1093.68664, 546.83068, 273.41534,
       136.70767, 68.35394000000001, 34.17726, 17.08834, 8.54446, 4.27194, 2.13626, 1.06763, 0.53342});
}

// gt-zoomed-south: outside UTM validity the cell size is measured with Haversine -> zoom 9.
TEST(ZoomedLayoutScheme, ExtremelySouthCoordinates) {
  const double lat1 = -81.572438, lon1 = -148.041443, lat2 = -81.572543, lon2 = -148.009213;
  ZoomedLayoutScheme s(Crs::from_epsg(4326), 256);
  EXPECT_EQ(s.zoom(lon1, lat1, {lon2 - lon1, lat2 - lat1}), 9);
}

// gps-tile-to-global-layout: 1-degree EPSG:4326 data over (0,0,10,6), GlobalLayout(5): zoom 7,
// TileLayout(128,128,5,5); the world extent is the LatLng world.
TEST(ZoomedLayoutScheme, GpsTileToGlobalLayout) {
  ZoomedLayoutScheme s(Crs::from_epsg(4326), 5);
  LayoutLevel l = s.level_for({0, 0, 10, 6}, {1, 1});
  EXPECT_EQ(l.zoom, 7);
  EXPECT_EQ(l.layout.tile_layout, (TileLayout{128, 128, 5, 5}));
  EXPECT_EQ(l.layout.extent, (Extent{-180, -89.99999, 179.99999, 89.99999}));
}

// gt-zoomed-floating-pyramid: a FloatingLayoutScheme(512) layout over (0,0,37,27) at cell 0.5 zoomed out with
// ZoomedLayoutScheme(WebMercator): level z has 2^z x 2^z tiles and cell size 0.5^(z+1).
TEST(ZoomedLayoutScheme, PyramidFloatingLayout) {
  Extent extent{0, 0, 37, 27};
  CellSize cs{0.5, 0.5};
  LayoutDefinition layout = FloatingLayoutScheme{512, 512}.level_for(extent, cs);
  ZoomedLayoutScheme zs(Crs::from_epsg(3857));
  int zoom = zs.level_for(extent, cs).zoom;
  EXPECT_GE(zoom, 18);
  LayoutLevel l = ZoomedLayoutScheme::zoom_out(LayoutLevel{zoom, layout});
  for (int z = zoom - 1; z >= 0; --z) {
    SCOPED_TRACE(z);
    long n = 1L << z;
    double c = std::pow(0.5, z + 1);
    EXPECT_EQ(l.zoom, z);
    EXPECT_EQ(l.layout.tile_layout.layout_cols, n);
    EXPECT_EQ(l.layout.tile_layout.layout_rows, n);
    EXPECT_EQ(l.layout.cell_size(), (CellSize{c, c}));
    if (z > 0) l = ZoomedLayoutScheme::zoom_out(l);
  }
}

TEST(ZoomedLayoutScheme, WebMercatorResolutions) {
  ZoomedLayoutScheme wm(Crs::from_epsg(3857), 256);
  // The cell size of level z is exactly a zoom-z resolution: it maps back to z (threshold 0.1).
  for (int z = 1; z <= 20; ++z) {
    SCOPED_TRACE(z);
    CellSize cs = wm.level_for_zoom(z).layout.cell_size();
    EXPECT_NEAR(cs.width, kEarthCircumference / (256.0 * std::pow(2.0, z)), 1e-9 * cs.width);
  }
  EXPECT_NEAR(kEarthCircumference, 40075016.685578488, 1e-6);
}

TEST(LayoutHelpers, Haversine) {
  EXPECT_EQ(haversine(10, 20, 10, 20), 0.0);
  // One degree of longitude on the equator on a sphere of radius 6378137.
  EXPECT_NEAR(haversine(0, 0, 1, 0), kEarthCircumference / 360, 1e-6);
  EXPECT_NEAR(haversine(0, 0, 0, 1), kEarthCircumference / 360, 1e-6);
  EXPECT_NEAR(haversine(0, 90, 0, -90), kEarthCircumference / 2, 1e-6);
}

TEST(LayoutHelpers, UtmZones) {
  EXPECT_EQ(utm_epsg_for(0.5, 0.5), 32631);
  EXPECT_EQ(utm_epsg_for(-148.0, 45.0), 32606);
  EXPECT_EQ(utm_epsg_for(10.0, -33.0), 32732);
  EXPECT_EQ(utm_epsg_for(-180.0, 0.0), 32601);
  EXPECT_EQ(utm_epsg_for(179.9, 0.0), 32660);
  // Norway: zone 31 V east of 3E is zone 32.
  EXPECT_EQ(utm_epsg_for(4.0, 60.0), 32632);
  EXPECT_EQ(utm_epsg_for(2.0, 60.0), 32631);
  EXPECT_EQ(utm_epsg_for(4.0, 50.0), 32631);  // band U: no exception
  // Svalbard (band X, 72N-84N).
  EXPECT_EQ(utm_epsg_for(8.0, 78.0), 32631);
  EXPECT_EQ(utm_epsg_for(10.0, 78.0), 32633);
  EXPECT_EQ(utm_epsg_for(20.0, 78.0), 32633);
  EXPECT_EQ(utm_epsg_for(22.0, 78.0), 32635);
  EXPECT_EQ(utm_epsg_for(32.0, 78.0), 32635);
  EXPECT_EQ(utm_epsg_for(34.0, 78.0), 32637);
  EXPECT_EQ(utm_epsg_for(10.0, 84.0), 32633);
  EXPECT_EQ(utm_epsg_for(0.0, -80.0), 32731);
  EXPECT_THROW(utm_epsg_for(0.0, 85.0), JobError);
  EXPECT_THROW(utm_epsg_for(0.0, -80.5), JobError);
}

}  // namespace
}  // namespace trellis
