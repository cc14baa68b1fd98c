// The reproject op's planning (target CRS, layout, zoom) against GeoPySpark's reproject tests and GDAL,
// and the op run through the registry on in-memory layers (one rank, MPI as a singleton): spacetime
// layers and sparse layers, which write_geotiff cannot show.
#include "ops/reproject/reproject.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "job/context.hpp"
#include "mpi/partition.hpp"
#include "mpi/runtime.hpp"
#include "op_runner.hpp"
#include "ops/registry.hpp"
#include "util/test_util.hpp"

namespace trellis::test {
namespace {

job::ParamValue pv(const std::string& s) {
  return job::ParamValue{s, {}};
}
job::ParamValue pv(std::int64_t v) {
  return job::ParamValue{v, {}};
}
job::ParamValue pv(double v) {
  return job::ParamValue{v, {}};
}

// The step's parameters with the registry's defaults for the others, validated like a job's.
job::Params reproject_params(job::ParamMap values) {
  const job::OpSpec* op = ops::registry().find("reproject");
  EXPECT_NE(op, nullptr);
  for (const auto& spec : op->params)
    if (spec.default_value && !values.count(spec.name)) values[spec.name] = *spec.default_value;
  job::Params p("rp", "reproject", job::Mark{"job.yaml", 1, 1}, values);
  op->validate(p);
  return p;
}

// The target planned from the step's parameters, bound by the op's schema as the loader binds them.
ops::ReprojectTarget plan_reproject(const LayerMetadata& in, const job::Params& p) {
  const job::OpSpec* op = ops::registry().find("reproject");
  return ops::plan_reproject(in, std::any_cast<ops::ReprojectArgs>(op->schema->bind(p)));
}

job::ParamValue extent_value(const Extent& e) {
  return job::ParamValue{job::ParamList{pv(e.xmin), pv(e.ymin), pv(e.xmax), pv(e.ymax)}, {}};
}
job::ParamValue layout_value(const TileLayout& tl) {
  return job::ParamValue{job::ParamMap{{"layout_cols", pv(std::int64_t{tl.layout_cols})},
                                       {"layout_rows", pv(std::int64_t{tl.layout_rows})},
                                       {"tile_cols", pv(std::int64_t{tl.tile_cols})},
                                       {"tile_rows", pv(std::int64_t{tl.tile_rows})}},
                         {}};
}

// GeoPySpark's BaseTestClass layer: one tile of ones (TileLayout(1, 1, cols, rows)) in EPSG:4326.
LayerMetadata ones_metadata() {
  LayerMetadata md;
  md.cell_type = CellType::parse("float32");
  md.crs = Crs::from_epsg(4326);
  md.extent = {10, 48, 26, 60};
  md.layout = LayoutDefinition{md.extent, TileLayout{1, 1, 64, 48}};
  md.bounds = KeyBounds{{0, 0, 0}, {0, 0, 0}};
  return md;
}

TEST(ReprojectPlan, GeoPySparkSameCrsLayoutKeepsTheLayoutDefinition) {
  LayerMetadata in = ones_metadata();
  auto t = plan_reproject(in, reproject_params({{"target_crs", pv("EPSG:4326")},
                                                {"extent", extent_value(in.extent)},
                                                {"layout", layout_value(in.layout.tile_layout)}}));
  EXPECT_EQ(t.md.layout, in.layout);
  EXPECT_NE(t.md.crs.proj4().find("+datum=WGS84"), std::string::npos);
  EXPECT_FALSE(t.md.zoom.has_value());
}

TEST(ReprojectPlan, GeoPySparkDifferentCrsRecordsTheTargetProj4) {
  // test_different_crs_layout and test_different_crs_float: EPSG:4324 -> GeoTrellis' proj4 string.
  const std::string want = "+proj=longlat +ellps=WGS72 +towgs84=0,0,1.9,0,0,0.814,-0.38 +no_defs ";
  LayerMetadata in = ones_metadata();
  auto a = plan_reproject(in, reproject_params({{"target_crs", pv("EPSG:4324")},
                                                {"extent", extent_value(in.extent)},
                                                {"layout", layout_value(in.layout.tile_layout)}}));
  EXPECT_EQ(a.md.crs.proj4(), want);
  EXPECT_EQ(a.md.layout, in.layout);
  auto b = plan_reproject(
      in, reproject_params({{"target_crs", pv("EPSG:4324")}, {"tile_size", pv(std::int64_t{64})}}));
  EXPECT_EQ(b.md.crs.proj4(), want);
  EXPECT_EQ(b.md.zoom, 0);
  EXPECT_FALSE(b.extent_from_footprint);
  // A datum shift of a few metres: about the same grid.
  EXPECT_NEAR(b.md.layout.cell_size().width, 0.25, 0.01);
  EXPECT_NEAR(b.md.extent.xmin, 10, 0.01);
  EXPECT_NEAR(b.md.extent.ymax, 60, 0.01);
}

TEST(ReprojectPlan, GeoPySparkSameCrsZoom) {
  // test_same_crs_zoom: ZoomedLayoutScheme(LatLng, 64); 0.25-degree cells at (10, 48) measure ~27.8 km in
  // UTM: z = (int) log2(C / (27.8 km * 64)) = 4, 58% of the way to zoom 5 > 0.1 -> zoom 5.
  LayerMetadata in = ones_metadata();
  auto t = plan_reproject(in, reproject_params({{"target_crs", pv("EPSG:4326")},
                                                {"scheme", pv("zoom")},
                                                {"tile_size", pv(std::int64_t{64})}}));
  ASSERT_TRUE(t.md.zoom.has_value());
  EXPECT_EQ(*t.md.zoom, 5);
  EXPECT_EQ(t.md.layout, ZoomedLayoutScheme(Crs::from_epsg(4326), 64).level_for_zoom(5).layout);
  EXPECT_NE(t.md.crs.proj4().find("+datum=WGS84"), std::string::npos);
  // `zoom` overrides the choice; resolution_threshold moves it.
  auto z2 = plan_reproject(in, reproject_params({{"target_crs", pv("EPSG:4326")},
                                                 {"scheme", pv("zoom")},
                                                 {"tile_size", pv(std::int64_t{64})},
                                                 {"zoom", pv(std::int64_t{2})}}));
  EXPECT_EQ(z2.md.zoom, 2);
  auto thr = plan_reproject(in, reproject_params({{"target_crs", pv("EPSG:4326")},
                                                  {"scheme", pv("zoom")},
                                                  {"tile_size", pv(std::int64_t{64})},
                                                  {"resolution_threshold", pv(0.9)}}));
  EXPECT_EQ(thr.md.zoom, 4);
}

TEST(ReprojectPlan, FloatSchemeIsGdalwarpsGrid) {
  // GDALSuggestedWarpOutput2 against gdalwarp itself (no -te/-tr/-ts) on a UTM raster.
  TempDir d;
  write_raster(d / "u.tif", "Byte", 300, 200, 1, {400000, 30, 0, 5600000, 0, -30}, "EPSG:32632", 0.0,
               {std::vector<double>(60000, 1)});
  auto r = run_command("gdalwarp -q -t_srs EPSG:4326 '" + (d / "u.tif").string() + "' '" +
                       (d / "g.tif").string() + "'");
  ASSERT_EQ(r.status, 0) << r.err;
  Raster g = read_raster(d / "g.tif");
  GridExtent s = io::suggested_warp_output(GridExtent{{400000, 5594000, 409000, 5600000}, 300, 200},
                                           Crs::from_epsg(32632), "EPSG:4326");
  EXPECT_EQ(s.cols, g.cols);
  EXPECT_EQ(s.rows, g.rows);
  EXPECT_NEAR(s.extent.xmin, g.gt[0], 1e-9);
  EXPECT_NEAR(s.extent.ymax, g.gt[3], 1e-9);
  EXPECT_NEAR(s.cell_width(), g.gt[1], 1e-12);
  EXPECT_NEAR(s.cell_height(), -g.gt[5], 1e-12);
  // The same through the plan of a layer whose data window is that raster.
  LayerMetadata in;
  in.cell_type = CellType::parse("uint8");
  in.crs = Crs::from_epsg(32632);
  in.extent = {400000, 5594000, 409000, 5600000};
  in.layout = FloatingLayoutScheme{64, 64}.level_for(in.extent, {30, 30});
  auto t = plan_reproject(in, reproject_params({{"target_crs", pv("EPSG:4326")}}));
  EXPECT_NEAR(t.md.extent.xmin, g.gt[0], 1e-9);
  EXPECT_NEAR(t.md.extent.ymax, g.gt[3], 1e-9);
  EXPECT_NEAR(t.md.layout.cell_size().width, g.gt[1], 1e-12);
  EXPECT_EQ(t.md.layout.tile_layout.tile_cols, 256);
  EXPECT_EQ(t.md.layout.tile_layout.layout_cols, (g.cols + 255) / 256);
}

TEST(ReprojectPlan, GlobalGeographicToWebMercatorIsClippedAtTheMercatorLimit) {
  LayerMetadata in;
  in.cell_type = CellType::parse("float32");
  in.crs = Crs::from_epsg(4326);
  in.extent = {-180, -90, 180, 90};
  in.layout = FloatingLayoutScheme{256, 256}.level_for(in.extent, {0.1, 0.1});
  auto t = plan_reproject(in, reproject_params({{"target_crs", pv("EPSG:3857")}}));
  const double half = 20037508.342789244;
  EXPECT_NEAR(t.md.extent.xmin, -half, 1e-3 * half);
  EXPECT_NEAR(t.md.extent.xmax, half, 1e-3 * half);
  EXPECT_NEAR(t.md.extent.ymax, half, 1e-3 * half);  // 85.0511 degrees
  EXPECT_NEAR(t.md.extent.ymin, -half, 1e-3 * half);
  // GDAL's resolution keeps the diagonal's cell count: the square world's diagonal over that of the
  // 3600 x 1701 clipped cells.
  EXPECT_NEAR(t.md.layout.cell_size().width, 2 * half * std::sqrt(2.0) / std::hypot(3600.0, 1701.0), 20);
}

TEST(ReprojectPlan, ZoomSchemeRejectsUtmBeforeAnyWork) {
  const job::OpSpec* op = ops::registry().find("reproject");
  ASSERT_NE(op, nullptr);
  job::ParamMap values;
  for (const auto& spec : op->params)
    if (spec.default_value) values[spec.name] = *spec.default_value;
  values["target_crs"] = pv("EPSG:32632");
  values["scheme"] = pv("zoom");
  job::Params p("rp", "reproject", job::Mark{"job.yaml", 1, 1}, values);
  EXPECT_THROW(op->validate(p), JobError);
}

// ------------------------------------------------------------------------------------------------
// The op on in-memory layers

TiledLayer run_reproject(const TiledLayer& in, job::ParamMap values) {
  return std::get<TiledLayer>(run_op("reproject", in, std::move(values)));
}

// A layer over `extent` in `crs` cut in tiles of `ts` with cells of `cs`, holding `keys` (every key of
// every instant when empty), each cell f(global col, global row, instant).
template <class F>
TiledLayer make_layer(const Crs& crs, const Extent& extent, double cs, int ts,
                      const std::vector<std::int64_t>& instants, F f,
                      const std::vector<SpatialKey>& skip = {}) {
  mpi::Runtime::init(nullptr, nullptr);
  TiledLayer l;
  l.md.cell_type = CellType::parse("float32");
  l.md.crs = crs;
  l.md.extent = extent;
  l.md.layout = FloatingLayoutScheme{ts, ts}.level_for(extent, {cs, cs});
  l.md.temporal = instants.size() > 1 || instants.front() != 0;
  GridBounds gb = l.md.layout.extent_to_bounds(extent).intersection(l.md.layout.layout_bounds());
  l.md.bounds = KeyBounds{
      {static_cast<std::int32_t>(gb.col_min), static_cast<std::int32_t>(gb.row_min), instants.front()},
      {static_cast<std::int32_t>(gb.col_max), static_cast<std::int32_t>(gb.row_max), instants.back()}};
  std::vector<SpaceTimeKey> keys;
  for (auto t : instants)
    for (long r = gb.row_min; r <= gb.row_max; ++r)
      for (long c = gb.col_min; c <= gb.col_max; ++c) {
        SpatialKey sk{static_cast<std::int32_t>(c), static_cast<std::int32_t>(r)};
        if (std::find(skip.begin(), skip.end(), sk) != skip.end()) continue;
        keys.push_back({sk.col, sk.row, t});
      }
  l.partitioner = mpi::balance(keys, IndexKind::ZOrder, l.md.bounds);
  for (const auto& k : keys) {
    Tile t(l.md.cell_type, ts, ts);
    for (int r = 0; r < ts; ++r)
      for (int c = 0; c < ts; ++c) t.set(0, c, r, f(k.col * ts + c, k.row * ts + r, k.instant));
    l.tiles.emplace(k, std::move(t));
  }
  return l;
}

TEST(ReprojectOp, SpacetimeLayersReprojectEachInstant) {
  // Two instants with values v and 10 v: the result has the same keys for both, and cell for cell the
  // second is ten times the first (each instant's tiles are warped from that instant's mosaic only).
  auto in = make_layer(
      Crs::from_epsg(4326), {5, 45, 7, 47}, 0.01, 32, {1000, 2000},
      [](long c, long r, std::int64_t t) { return (t == 1000 ? 1.0 : 10.0) * (1 + (c * 7 + r * 3) % 50); });
  auto out = run_reproject(in, {{"target_crs", pv("EPSG:3857")}, {"tile_size", pv(std::int64_t{32})}});
  EXPECT_TRUE(out.md.temporal);
  EXPECT_EQ(out.md.bounds.min.instant, 1000);
  EXPECT_EQ(out.md.bounds.max.instant, 2000);
  std::size_t first = 0, compared = 0;
  for (const auto& [k, t] : out.tiles) {
    if (k.instant != 1000) continue;
    ++first;
    auto it = out.tiles.find({k.col, k.row, 2000});
    ASSERT_NE(it, out.tiles.end());
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c) {
        double a = t.get(0, c, r), b = it->second.get(0, c, r);
        ASSERT_EQ(std::isnan(a), std::isnan(b));
        if (!std::isnan(a)) {
          EXPECT_EQ(b, 10 * a);
          ++compared;
        }
      }
  }
  EXPECT_EQ(first * 2, out.tiles.size());
  EXPECT_GT(compared, 1000u);
}

TEST(ReprojectOp, ZoomedKeysFollowTheWorldGrid) {
  // semantics.md, Reproject: with a zoomed scheme, col = floor((x - xmin_world) / tileWidth) and
  // row = floor((ymax_world - y) / tileHeight): (8348915.4668, 543988.9432) at zoom 11 -> (1450, 996).
  // A small geographic layer around that point, reprojected to WebMercator zoom 11, holds that key, and the
  // cell there has the layer's value.
  double lon = 8348915.4668 / 20037508.342789244 * 180;
  double lat = std::atan(std::sinh(543988.9432 / 6378137.0)) * 180 / M_PI;
  auto in = make_layer(Crs::from_epsg(4326), {lon - 0.05, lat - 0.05, lon + 0.05, lat + 0.05}, 0.001, 50, {0},
                       [](long, long, std::int64_t) { return 3.0; });
  auto out = run_reproject(
      in, {{"target_crs", pv("EPSG:3857")}, {"scheme", pv("zoom")}, {"zoom", pv(std::int64_t{11})}});
  EXPECT_EQ(out.md.zoom, 11);
  auto it = out.tiles.find({1450, 996, 0});
  ASSERT_NE(it, out.tiles.end());
  Extent e = out.md.layout.key_extent(1450, 996);
  int c = static_cast<int>((8348915.4668 - e.xmin) / out.md.layout.cell_size().width);
  int r = static_cast<int>((e.ymax - 543988.9432) / out.md.layout.cell_size().height);
  EXPECT_EQ(it->second.get(0, c, r), 3.0);
}

TEST(ReprojectOp, SparseLayersStaySparse) {
  // A 4 x 4-tile layer missing its whole east half: the result has no tile east of the footprint of the
  // tiles that exist, and NoData where the missing tiles would be.
  std::vector<SpatialKey> skip;
  for (int r = 0; r < 4; ++r) skip.push_back({2, r}), skip.push_back({3, r});
  auto in = make_layer(
      Crs::from_epsg(4326), {0, 0, 1.28, 1.28}, 0.01, 32, {0}, [](long, long, std::int64_t) { return 5.0; },
      skip);
  auto out = run_reproject(in, {{"target_crs", pv("EPSG:3857")}, {"tile_size", pv(std::int64_t{32})}});
  // The east edge of the existing tiles (0.64 degrees) in WebMercator.
  const double east = 0.64 * 20037508.342789244 / 180;
  std::size_t data = 0;
  for (const auto& [k, t] : out.tiles) {
    Extent e = out.md.layout.key_extent(k.col, k.row);
    EXPECT_LT(e.xmin, east) << k.col << "," << k.row;
    for (int r = 0; r < t.rows(); ++r)
      for (int c = 0; c < t.cols(); ++c) {
        double v = t.get(0, c, r);
        double x = e.xmin + (c + 0.5) * out.md.layout.cell_size().width;
        if (x > east + out.md.layout.cell_size().width) {
          EXPECT_TRUE(std::isnan(v));
        }
        if (!std::isnan(v)) {
          EXPECT_EQ(v, 5.0);
          ++data;
        }
      }
  }
  EXPECT_GT(data, 1000u);
}

}  // namespace
}  // namespace trellis::test
