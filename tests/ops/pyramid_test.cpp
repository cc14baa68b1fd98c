// The pyramid op called through the registry on layers built in memory (one rank, MPI as a singleton):
// the level metadata (layouts, key bounds, extents, zooms) of the pyramid conformance cases, and
// spacetime layers, which write_geotiff cannot write.
#include <gtest/gtest.h>

#include <cmath>

#include "job/context.hpp"
#include "mpi/partition.hpp"
#include "mpi/runtime.hpp"
#include "op_runner.hpp"

namespace trellis::test {
namespace {

// Runs the pyramid op on `in` with the given parameters (the registry's defaults for the others).
Pyramid run_pyramid(const TiledLayer& in, job::ParamMap values) {
  return std::get<Pyramid>(run_op("pyramid", in, std::move(values)));
}

// A layer holding `keys`, each tile filled by fill(key, col, row).
template <class F>
TiledLayer make_layer(LayerMetadata md, const std::vector<SpaceTimeKey>& keys, F fill) {
  mpi::Runtime::init(nullptr, nullptr);
  TiledLayer l;
  l.md = md;
  l.partitioner = mpi::balance(keys, IndexKind::ZOrder, md.bounds);
  const TileLayout& tl = md.layout.tile_layout;
  for (const auto& k : keys) {
    Tile t(md.cell_type, tl.tile_cols, tl.tile_rows, md.bands);
    for (int r = 0; r < tl.tile_rows; ++r)
      for (int c = 0; c < tl.tile_cols; ++c) t.set(0, c, r, fill(k, c, r));
    l.tiles.emplace(k, std::move(t));
  }
  return l;
}

KeyBounds bounds(long c0, long r0, long c1, long r1, std::int64_t t0 = 0, std::int64_t t1 = 0) {
  return {{static_cast<std::int32_t>(c0), static_cast<std::int32_t>(r0), t0},
          {static_cast<std::int32_t>(c1), static_cast<std::int32_t>(r1), t1}};
}

// gt-pyramid-up-one-level with SpaceTimeKeys (GeoTrellis PyramidSpec "should work with SpaceTimeKey
// rasters"): ZoomedLayoutScheme(LatLng, 2) zoom 2, two instants; zoom 1 is TileLayout(2, 2, 2, 2) with
// key (0,0) all 1*m, (1,0) all 2*m, (0,1) all 3*m, (1,1) all 4*m (m = 1 at t1, 10 at t2); instants kept.
TEST(PyramidOp, UpOneLevelSpaceTime) {
  const std::int64_t t1 = 1400299200000, t2 = 1400382000000;  // 2014-05-17T04:00Z, 2014-05-18T03:00Z
  ZoomedLayoutScheme scheme(Crs::from_epsg(4326), 2);
  LayoutLevel l2 = scheme.level_for_zoom(2);
  ASSERT_EQ(l2.layout.tile_layout, (TileLayout{4, 4, 2, 2}));
  LayerMetadata md;
  md.cell_type = CellType::parse("int32");
  md.layout = l2.layout;
  md.extent = l2.layout.extent;
  md.crs = Crs::from_epsg(4326);
  md.bounds = bounds(0, 0, 3, 3, t1, t2);
  md.temporal = true;
  md.zoom = 2;
  std::vector<SpaceTimeKey> keys;
  for (std::int64_t t : {t1, t2})
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) keys.push_back({c, r, t});
  // tile_t1 / tile_t2: 8 x 8 cells, quadrants 1, 2 / 3, 4 (times m).
  auto layer = make_layer(md, keys, [&](const SpaceTimeKey& k, int c, int r) {
    const int gc = k.col * 2 + c, gr = k.row * 2 + r;
    return (k.instant == t1 ? 1 : 10) * ((gr < 4 ? 1 : 3) + (gc < 4 ? 0 : 1));
  });
  Pyramid pyr = run_pyramid(layer, {{"end_zoom", job::ParamValue{std::int64_t{1}, {}}}});
  ASSERT_EQ(pyr.levels.size(), 2u);
  EXPECT_EQ(pyr.levels.at(2).tiles, layer.tiles);
  const TiledLayer& z1 = pyr.levels.at(1);
  EXPECT_EQ(z1.md.layout.tile_layout, (TileLayout{2, 2, 2, 2}));
  EXPECT_EQ(z1.md.layout.extent, l2.layout.extent);
  EXPECT_EQ(z1.md.zoom, 1);
  EXPECT_TRUE(z1.md.temporal);
  EXPECT_EQ(z1.md.bounds, bounds(0, 0, 1, 1, t1, t2));
  EXPECT_EQ(z1.md.extent, l2.layout.extent);
  ASSERT_EQ(z1.tiles.size(), 8u);
  for (const auto& [k, t] : z1.tiles) {
    const double m = k.instant == t1 ? 1 : 10;
    EXPECT_TRUE(k.instant == t1 || k.instant == t2);
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c)
        EXPECT_EQ(t.get(0, c, r), m * (k.row * 2 + k.col + 1)) << k.col << "," << k.row;
  }
}

// gps-pyramid-local-master: zeros (1, 256, 256) over (0, 0, 10, 10), EPSG:3857. LocalLayout(16): max zoom 4,
// layoutCols 16, 8, 4, 2, 1 by level; LocalLayout(256): max zoom 0.
TEST(PyramidOp, LocalLayoutLevels) {
  const Extent e{0, 0, 10, 10};
  for (int ts : {16, 256}) {
    LayerMetadata md;
    md.cell_type = CellType::parse("float64");
    md.layout = FloatingLayoutScheme{ts, ts}.level_for(e, {10.0 / 256, 10.0 / 256});
    md.extent = e;
    md.crs = Crs::from_epsg(3857);
    const long n = md.layout.tile_layout.layout_cols;
    md.bounds = bounds(0, 0, n - 1, n - 1);
    md.zoom = 0;
    std::vector<SpaceTimeKey> keys;
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) keys.push_back({c, r, 0});
    auto layer = make_layer(md, keys, [](const SpaceTimeKey&, int, int) { return 0.0; });
    Pyramid pyr = run_pyramid(layer, {});
    const int max_zoom = ts == 16 ? 4 : 0;
    ASSERT_EQ(pyr.levels.size(), static_cast<std::size_t>(max_zoom + 1));
    EXPECT_EQ(pyr.levels.begin()->first, max_zoom);
    for (const auto& [z, l] : pyr.levels) {
      SCOPED_TRACE("tile " + std::to_string(ts) + " zoom " + std::to_string(z));
      const long want = 1L << z;  // 16, 8, 4, 2, 1
      EXPECT_EQ(l.md.zoom, z);
      EXPECT_EQ(l.md.layout.tile_layout, (TileLayout{want, want, ts, ts}));
      EXPECT_EQ(l.md.layout.extent, e);
      EXPECT_EQ(l.md.extent, e);
      EXPECT_EQ(l.md.bounds, bounds(0, 0, want - 1, want - 1));
      EXPECT_EQ(l.tiles.size(), static_cast<std::size_t>(want * want));
      for (const auto& [k, t] : l.tiles) EXPECT_EQ(t.get(0, ts / 2, ts / 2), 0.0);
    }
  }
}

// gt-zoomed-floating-pyramid: a FloatingLayoutScheme(512) layout over (0, 0, 37, 27) at cell 0.5 zoomed out
// with ZoomedLayoutScheme: every level keeps the layout extent and the tile size, has 2^z x 2^z tiles and
// cell size 0.5^(z+1). The case zooms out from the WebMercator zoom of that cell size; here the layer is
// the same layout at zoom 3 (8 x 8 tiles, cell 0.5^4), one of the levels that chain passes through.
TEST(PyramidOp, ZoomedFloatingLayoutKeepsItsExtent) {
  const LayoutDefinition floating = FloatingLayoutScheme{512, 512}.level_for({0, 0, 37, 27}, {0.5, 0.5});
  ASSERT_EQ(floating.tile_layout, (TileLayout{1, 1, 512, 512}));
  LayerMetadata md;
  md.cell_type = CellType::parse("float32");
  md.layout = LayoutDefinition{floating.extent, TileLayout{8, 8, 512, 512}};
  md.extent = {0, 0, 37, 27};
  md.crs = Crs::from_epsg(3857);
  md.bounds = bounds(0, 0, 0, 0);
  md.zoom = 3;
  auto layer = make_layer(md, {{0, 0, 0}}, [](const SpaceTimeKey&, int c, int r) { return c + r * 0.5; });
  Pyramid pyr = run_pyramid(layer, {});
  ASSERT_EQ(pyr.levels.size(), 4u);
  for (const auto& [z, l] : pyr.levels) {
    SCOPED_TRACE(z);
    const long n = 1L << z;
    const double c = std::pow(0.5, z + 1);
    EXPECT_EQ(l.md.layout.extent, floating.extent);
    EXPECT_EQ(l.md.layout.tile_layout, (TileLayout{n, n, 512, 512}));
    EXPECT_EQ(l.md.layout.cell_size(), (CellSize{c, c}));
    EXPECT_EQ(l.md.bounds, bounds(0, 0, 0, 0));
    // Pyramid.up: extent = the new keys' extent ∩ the extent below (the input keeps its own).
    EXPECT_EQ(l.md.extent, z == 3 ? md.extent : l.md.layout.key_extent(0, 0).intersection(md.extent));
    ASSERT_EQ(l.tiles.size(), 1u);
  }
  // Zoom 2 from zoom 3 (nearest_neighbor): cell (i, j) of the parent's quadrant (0, 0) is the child's cell
  // (2i + 1, 2j + 1), the one south-east of the parent cell's centre; the other quadrants have no child.
  const Tile& t2 = pyr.levels.at(2).tiles.begin()->second;
  EXPECT_EQ(t2.get(0, 10, 20), 21 + 41 * 0.5);
  EXPECT_TRUE(std::isnan(t2.get(0, 256, 0)));
  // Cells outside the layer's extent (rows from 27 / 0.125 = 216 down) are NoData.
  EXPECT_TRUE(std::isnan(t2.get(0, 10, 216)));
  EXPECT_FALSE(std::isnan(t2.get(0, 10, 215)));
}

// An odd floating step (3 -> 2 tiles per axis): parent key bounds are the keys of the parent cells whose
// centres lie in the child bounds, and the extent stays the layer's.
TEST(PyramidOp, OddFloatingStepBounds) {
  LayerMetadata md;
  md.cell_type = CellType::parse("int16");
  md.layout = LayoutDefinition{{0, 0, 12, 12}, TileLayout{3, 3, 4, 4}};
  md.extent = {8, 0, 12, 4};
  md.crs = Crs::from_epsg(3857);
  md.bounds = bounds(2, 2, 2, 2);  // the south-east tile only
  md.zoom = 0;
  auto layer = make_layer(md, {{2, 2, 0}}, [](const SpaceTimeKey&, int c, int r) { return 10 * r + c; });
  Pyramid pyr = run_pyramid(layer, {{"resample_method", job::ParamValue{std::string("max"), {}}}});
  ASSERT_EQ(pyr.levels.size(), 3u);  // levels 2 (3x3), 1 (2x2), 0 (1x1)
  const TiledLayer& z1 = pyr.levels.at(1);
  EXPECT_EQ(z1.md.layout.tile_layout, (TileLayout{2, 2, 4, 4}));
  EXPECT_EQ(z1.md.bounds, bounds(1, 1, 1, 1));
  EXPECT_EQ(z1.md.extent, md.extent);
  ASSERT_EQ(z1.tiles.size(), 1u);
  // Parent cells are 1.5 child cells: the child (x 8..12) covers parent cells whose centres lie in it.
  // Parent tile (1,1) spans x 6..12 in cells of 1.5: centres 6.75, 8.25, 9.75, 11.25 -> the last three.
  const Tile& t = z1.tiles.begin()->second;
  EXPECT_TRUE(std::isnan(t.get(0, 0, 0)));  // centre x 6.75: not in the child
  EXPECT_FALSE(std::isnan(t.get(0, 1, 1)));
  EXPECT_EQ(t.get(0, 3, 3), 33);  // max over child cells (2..3, 2..3)
  const TiledLayer& z0 = pyr.levels.at(0);
  EXPECT_EQ(z0.md.bounds, bounds(0, 0, 0, 0));
  EXPECT_EQ(z0.md.layout.tile_layout, (TileLayout{1, 1, 4, 4}));
}

}  // namespace
}  // namespace trellis::test
