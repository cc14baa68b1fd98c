// rasterize: geometries burnt into a new tiled layer (GeoPySpark's rasterize and rasterize_features,
// GeoTrellis' RasterizeRDD), with the rules of burn.hpp.
//
// Design. Every rank reads the features (they are the job's input, like a raster's header). The keys
// are those of the features' envelopes; they are balanced over the ranks along the Z-order curve, and
// each rank burns the tiles it owns: first every (feature, tile) pair in parallel, feature by feature
// (each thread keeps its polygon prepared across the feature's tiles), giving runs of cells; then each
// tile is filled from its pairs in burn order. A tile is made when a feature meets it (even if no cell
// centre is inside: GeoTrellis emits the tile); the others are not.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "core/parallel.hpp"
#include "job/op.hpp"
#include "job/types/layout.hpp"
#include "mpi/partition.hpp"
#include "mpi/runtime.hpp"
#include "ops/common/features.hpp"
#include "ops/rasterize/burn.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

struct RasterizeArgs {
  job::GeometrySources geometry;
  std::optional<Crs> geometry_crs;
  Crs crs;
  std::optional<int> zoom;
  int tile_size = 256;
  std::optional<Extent> extent;
  std::optional<int> cols, rows;
  std::optional<TileLayout> layout;
  double fill_value = 1;
  std::optional<std::string> value_field, zindex_field;
  CellType cell_type = CellType::parse("float64");
  SampleType sample_type = SampleType::PixelIsPoint;
  bool include_partial = true;
  int connectivity = 8;
};

void declare(job::Schema<RasterizeArgs>& s) {
  using A = RasterizeArgs;
  s.add("geometry", &A::geometry,
        "WKT, GeoJSON (a map with `type`, or text starting with '{'), an OGR source {uri, layer, where}, or "
        "a list of these: polygons, lines and points")
      .required();
  s.add("geometry_crs", &A::geometry_crs,
        "CRS of geometries whose source names none (WKT, inline GeoJSON); default: `crs`");
  s.add("crs", &A::crs, "CRS of the layer made").required();
  s.add("zoom", &A::zoom, "GeoPySpark 0.2: the ZoomedLayoutScheme level of `crs`").range(0, 30);
  s.add("tile_size", &A::tile_size, "tile width and height in cells (zoom, or extent with cols and rows)")
      .range(1, 65536);
  s.add("extent", &A::extent,
        "[xmin, ymin, xmax, ymax]: with cols and rows (GeoPySpark 0.1), or with layout (an explicit layout)");
  s.add("cols", &A::cols, "GeoPySpark 0.1: columns of the raster over `extent`").range(1, std::nullopt);
  s.add("rows", &A::rows, "GeoPySpark 0.1: rows of the raster over `extent`").range(1, std::nullopt);
  s.add("layout", &A::layout, "TileLayout {layout_cols, layout_rows, tile_cols, tile_rows} (with `extent`)");
  s.add("fill_value", &A::fill_value, "the value burnt (features without value_field)");
  s.add("value_field", &A::value_field,
        "the attribute (a number) giving each feature's value; `fid`: an OGR source's feature id");
  s.add("zindex_field", &A::zindex_field,
        "the attribute (a number) ordering overlapping features: the highest wins");
  s.add("cell_type", &A::cell_type, "cell type of the layer (GeoPySpark's default: float64)");
  s.add("sample_type", &A::sample_type,
        "pixel_is_point: cells whose centre is inside; pixel_is_area: cells meeting the polygon");
  s.add("include_partial", &A::include_partial,
        "pixel_is_area: cells partly inside count (false: only cells entirely inside)");
  s.add("connectivity", &A::connectivity, "lines: 8 (diagonal steps, GeoTrellis' default) or 4");
  s.together({"cols", "rows"}, "GeoPySpark 0.1's raster size");
  s.excludes("zoom", "extent", "a zoom level's layout covers the world");
  s.excludes("zoom", "cols");
  s.excludes("cols", "layout");
  s.excludes("tile_size", "layout", "an explicit layout gives the tile size");
  s.excludes("fill_value", "value_field", "each feature's value comes from value_field");
  s.check([](const A& a, const job::Checker<A>& c) {
    if (!a.zoom && !a.cols && !a.layout)
      c.fail(&A::crs,
             "give the layer's grid: `zoom` (GeoPySpark 0.2), `extent` with `cols` and `rows` "
             "(GeoPySpark 0.1), or `extent` with `layout`");
    if (a.cols && !a.extent) c.fail(&A::cols, "`cols` and `rows` need `extent`");
    if (a.layout && !a.extent) c.fail(&A::layout, "`layout` needs `extent`");
    if (a.connectivity != 4 && a.connectivity != 8) c.fail(&A::connectivity, "connectivity is 4 or 8");
    if (a.extent && !(a.extent->width() > 0 && a.extent->height() > 0))
      c.fail(&A::extent, "the extent is empty");
    if (a.cell_type.kind == CellKind::Bool) c.fail(&A::cell_type, "bool cells cannot hold a burn value");
  });
}

// The layer's layout and metadata (bounds and data extent left to the caller).
LayerMetadata layer_grid(const RasterizeArgs& a, const job::ArgsAccess& ctx) {
  LayerMetadata md;
  md.cell_type = a.cell_type;
  md.crs = a.crs;
  if (a.zoom) {
    try {
      md.layout = ZoomedLayoutScheme(a.crs, a.tile_size).level_for_zoom(*a.zoom).layout;
    } catch (const JobError& e) {
      throw ctx.param_error(&RasterizeArgs::crs, e.what());
    }
    md.zoom = *a.zoom;
    md.extent = md.layout.extent;
  } else if (a.cols) {
    const CellSize cs{a.extent->width() / *a.cols, a.extent->height() / *a.rows};
    md.layout = LayoutDefinition::from_grid(*a.extent, cs, a.tile_size, a.tile_size);
    md.zoom = 0;
    md.extent = *a.extent;
  } else {
    md.layout = LayoutDefinition{*a.extent, *a.layout};
    md.zoom = 0;
    md.extent = *a.extent;
  }
  return md;
}

// A feature's number from its attribute `field`.
double attribute_number(const io::Feature& f, const std::string& field, std::size_t index,
                        std::optional<std::string> RasterizeArgs::*member, const job::ArgsAccess& ctx) {
  const auto it = f.attributes.find(field);
  if (it == f.attributes.end() && field == "fid" && f.fid) return static_cast<double>(*f.fid);
  if (it == f.attributes.end())
    throw ctx.param_error(member, "feature " + std::to_string(index) + " has no attribute '" + field + "'");
  if (!it->is_number())
    throw ctx.param_error(member, "feature " + std::to_string(index) + ": attribute '" + field + "' is " +
                                      (it->is_null() ? std::string("null") : it->dump()) + ", not a number");
  return it->get<double>();
}

struct Shapes {
  std::vector<BurnShape> shapes;
  std::vector<double> values;
  std::vector<std::size_t> order;  // burn order: by zindex, then feature order (the last burnt wins)
};

Shapes load_shapes(const RasterizeArgs& a, const job::ArgsAccess& ctx) {
  const std::vector<io::Feature> features = read_geometry(a.geometry, a.geometry_crs.value_or(a.crs), a.crs);
  Shapes s;
  std::vector<double> zindex;
  for (std::size_t i = 0; i < features.size(); ++i) {
    const io::Feature& f = features[i];
    s.shapes.push_back({io::decompose(f.wkb), f.envelope});
    s.values.push_back(a.value_field
                           ? attribute_number(f, *a.value_field, i, &RasterizeArgs::value_field, ctx)
                           : a.fill_value);
    zindex.push_back(
        a.zindex_field ? attribute_number(f, *a.zindex_field, i, &RasterizeArgs::zindex_field, ctx) : 0.0);
  }
  s.order.resize(features.size());
  std::iota(s.order.begin(), s.order.end(), std::size_t{0});
  std::stable_sort(s.order.begin(), s.order.end(),
                   [&](std::size_t x, std::size_t y) { return zindex[x] < zindex[y]; });
  return s;
}

// Every key a shape may burn, sorted and unique.
std::vector<SpaceTimeKey> candidate_keys(const LayoutDefinition& L, const Shapes& s) {
  std::vector<SpaceTimeKey> keys;
  for (const BurnShape& b : s.shapes) {
    if (b.parts.empty()) continue;
    const GridBounds g = shape_keys(L, b);
    for (long r = g.row_min; r <= g.row_max; ++r)
      for (long c = g.col_min; c <= g.col_max; ++c)
        keys.push_back({static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), 0});
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// Bounds and data extent from the candidate keys: the features' envelopes within the layout (GeoPySpark
// 0.1: the extent asked for).
void set_extent(LayerMetadata& md, const RasterizeArgs& a, const Shapes& s,
                const std::vector<SpaceTimeKey>& keys) {
  GridBounds gb;
  for (const auto& k : keys)
    gb = gb.empty() ? GridBounds{k.col, k.row, k.col, k.row} : gb.combine({k.col, k.row, k.col, k.row});
  if (gb.empty()) gb = {0, 0, 0, 0};
  md.bounds = {{static_cast<std::int32_t>(gb.col_min), static_cast<std::int32_t>(gb.row_min), 0},
               {static_cast<std::int32_t>(gb.col_max), static_cast<std::int32_t>(gb.row_max), 0}};
  if (a.zoom) {
    std::optional<Extent> env;
    for (const BurnShape& b : s.shapes)
      if (!b.parts.empty()) env = env ? env->combine(b.envelope) : b.envelope;
    const Extent world = md.layout.extent;
    md.extent = env && env->intersects(world) ? env->intersection(world) : md.layout.bounds_extent(gb);
  }
}

// The shape of the layer `a` makes from shapes `s`: the keys of every shape's envelope, an upper bound
// of the tiles made (overlaps counted twice, at most the keys of their common bounds).
job::Shape estimate(const RasterizeArgs& a, const Shapes& s, const job::ArgsAccess& ctx) {
  LayerMetadata md = layer_grid(a, ctx);
  std::uint64_t n = 0;
  GridBounds all;
  for (const BurnShape& b : s.shapes) {
    if (b.parts.empty()) continue;
    const GridBounds g = shape_keys(md.layout, b);
    n = job::sat_add(n, static_cast<std::uint64_t>(g.size()));
    if (!g.empty()) all = all.empty() ? g : all.combine(g);
  }
  n = std::min(n, static_cast<std::uint64_t>(all.size()));
  job::Shape out;
  out.kind = job::ValueKind::TiledLayer;
  md.bounds = {{static_cast<std::int32_t>(std::max(0L, all.col_min)),
                static_cast<std::int32_t>(std::max(0L, all.row_min)), 0},
               {static_cast<std::int32_t>(std::max(0L, all.col_max)),
                static_cast<std::int32_t>(std::max(0L, all.row_max)), 0}};
  out.levels.push_back({md, n});
  // Every rank lists the candidate keys (24 bytes each) and its pairs' runs.
  out.working_bytes_per_rank = job::sat_mul(n, 48);
  return out;
}

job::Shape plan(job::PlanContext& ctx, const RasterizeArgs& a) {
  auto shapes = std::make_shared<const Shapes>(load_shapes(a, ctx));
  const Shapes& s = *shapes;
  job::Shape out = estimate(a, s, ctx);
  out.op_data = shapes;  // the run burns what the plan read
  if (!ctx.fits(out, out.working_bytes_per_rank) && a.zoom)
    for (int z = *a.zoom - 1; z >= 0; --z) {  // the highest zoom that fits
      RasterizeArgs lower = a;
      lower.zoom = z;
      const job::Shape l = estimate(lower, s, ctx);
      if (ctx.fits(l, l.working_bytes_per_rank)) {
        out.fits_hint = "zoom: " + std::to_string(z);
        break;
      }
    }
  return out;
}

// Writes `v` into the cells of `b` inside the tile's data window `w`.
template <class T>
void fill_cells(Tile& t, T v, const BurntCells& b, const CellWindow& w) {
  T* d = t.band_as<T>(0);
  const long cols = t.cols();
  b.for_each_run(cols, t.rows(), [&](long r, long c0, long c1) {
    if (r < w.r0 || r >= w.r1) return;
    c0 = std::max(c0, w.c0);
    c1 = std::min(c1, w.c1);
    if (c0 < c1) std::fill(d + r * cols + c0, d + r * cols + c1, v);
  });
}

job::StepValue run(job::StepContext& ctx, const RasterizeArgs& a) {
  LayerMetadata md = layer_grid(a, ctx);
  // The features the plan read (every rank planned the same), else read now.
  std::shared_ptr<const void> planned = ctx.planned ? ctx.planned->op_data : nullptr;
  if (!planned) planned = std::make_shared<const Shapes>(load_shapes(a, ctx));
  const Shapes& s = *static_cast<const Shapes*>(planned.get());
  const std::vector<SpaceTimeKey> keys = candidate_keys(md.layout, s);
  set_extent(md, a, s, keys);

  // Balance the candidate keys (each rank offers a strided share: they are the same on every rank).
  const int rank = mpi::Runtime::rank(), size = mpi::Runtime::size();
  std::vector<SpaceTimeKey> share;
  for (std::size_t i = static_cast<std::size_t>(rank); i < keys.size(); i += static_cast<std::size_t>(size))
    share.push_back(keys[i]);
  TiledLayer out;
  out.md = md;
  out.partitioner = mpi::balance(share, IndexKind::ZOrder, md.bounds);

  // The tiles this rank owns, burnt; those a feature meets are made.
  std::vector<SpaceTimeKey> mine;
  for (const SpaceTimeKey& k : keys)
    if (out.partitioner.owner(k) == rank) mine.push_back(k);
  const BurnOptions opt{a.sample_type, a.include_partial, a.connectivity == 4};
  std::vector<TileBurns> burns = burn_tiles(md.layout, opt, s.shapes, s.order, mine, ctx.progress);
  std::erase_if(burns, [](const TileBurns& b) { return !b.meets(); });
  const CellWindow data = data_window(md);
  const int tc = md.layout.tile_layout.tile_cols, tr = md.layout.tile_layout.tile_rows;
  std::vector<Tile> tiles(burns.size());
  parallel_for(burns.size(), [&](std::size_t g) {
    Tile t(md.cell_type, tc, tr);
    t.fill_nodata();
    const CellWindow w = tile_data_window(md, data, burns[g].key);
    dispatch_kind(md.cell_type.kind, [&](auto zero) {
      using T = decltype(zero);
      for (const auto& [shape, cells] : burns[g].burns)
        fill_cells<T>(t, narrow_from_double<T>(s.values[shape], md.cell_type), cells, w);
    });
    tiles[g] = std::move(t);
  });
  for (std::size_t g = 0; g < burns.size(); ++g) out.tiles.emplace(burns[g].key, std::move(tiles[g]));
  ctx.log.debug("rasterize: " + std::to_string(s.shapes.size()) + " feature(s), " +
                std::to_string(keys.size()) + " candidate tile(s), " + std::to_string(mine.size()) +
                " on this rank, " + std::to_string(out.tiles.size()) + " made");
  return out;
}

const OpRegistration kRasterize{job::make_op<RasterizeArgs>(
    {.name = "rasterize",
     .group = "rasterize",
     .help = "burn polygons, lines and points into a new tiled layer (GeoPySpark's rasterize)",
     .doc = R"md(## Semantics

GeoPySpark's `rasterize(geoms, crs, zoom, fill_value, cell_type, options)` and `rasterize_features`,
GeoTrellis' `RasterizeRDD`, with GeoTrellis' `Rasterizer` rules:

- **Polygons, `sample_type: pixel_is_point`** (the default): a cell is burnt iff its **centre** is inside
  the polygon; holes are excluded; a MultiPolygon is the union of its parts. Centres exactly on the
  boundary: a centre on the left end of a scanline run is out, on the right end in; a vertical left edge
  through a column of centres excludes the column (the "flipped diamond" burns 25 cells, not 36); a
  horizontal bottom edge on a row of centres includes the row. GDAL's scanline rasterizer does the
  burning, on each tile the polygon's boundary crosses (clipped to the tile by GEOS); tiles inside the
  polygon are filled whole. `include_partial` has no effect here.
- **Polygons, `sample_type: pixel_is_area`**: with `include_partial: true` (the default) every cell whose
  area meets the polygon's interior; with `false` only the cells entirely inside it (their edges may lie
  on the boundary). One GEOS predicate per cell of the polygon's envelope: slower, for small extents.
- **Lines**: GeoTrellis' Bresenham from the cell of each vertex to the next one's, `connectivity: 8`
  (diagonal steps) or `4`; shared vertices are burnt once. Cells are the layout's: a line's cells do not
  depend on the tiling.
- **Points**: the cell holding the point; a point on a cell corner belongs to the cell to its lower right.
- **Values**: `fill_value` (default 1), or each feature's `value_field` attribute, converted to
  `cell_type` as GeoTrellis converts (default `float64`, GeoPySpark's FLOAT64); `value_field: fid` burns
  an OGR source's feature ids (when no attribute has that name). Unburnt cells are NoData.
  Where features overlap, the one with the highest `zindex_field` wins; between equal z-indexes (or
  without `zindex_field`) the later feature in the source wins, as in `gdal_rasterize`. A feature without
  the attribute, or with a value that is not a number, is refused before any work.
- **The grid**, one of:
  - `zoom` (GeoPySpark 0.2): the ZoomedLayoutScheme level of `crs` with `tile_size` tiles;
  - `extent` with `cols` and `rows` (GeoPySpark 0.1): a raster of cols x rows cells over the extent,
    tiled by `tile_size` (cells beyond it, in edge tiles, are never data);
  - `extent` with `layout`: an explicit LayoutDefinition.
- **Tiles**: the tiles a feature meets (its interior, for polygons), even when no cell centre is inside:
  GeoPySpark's 11 m square at zoom 11 gives one tile of NoData. Tiles no feature meets are not made.
- **Geometry**: as `polygonal_summary` (WKT, GeoJSON, OGR sources, lists), reprojected to `crs` with OGR;
  WKT and inline GeoJSON are in `geometry_crs` (default `crs`), OGR sources carry their own CRS.
- **Distribution**: every rank reads the features; the candidate tiles (the keys of the features'
  envelopes) are balanced along the Z-order curve; each rank burns its own, one pass over a feature's
  scanlines per tile it touches. The output is identical on any rank count.

## Example

```yaml
- id: states
  op: rasterize
  geometry: {uri: /usr/share/qgis/resources/data/world_map.gpkg, layer: states_provinces}
  crs: EPSG:4326
  extent: [-180, -90, 180, 90]
  cols: 3600
  rows: 1800
  value_field: fid
  cell_type: int32
```
)md",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
