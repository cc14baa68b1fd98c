// reproject: a tiled layer to a new layout in another CRS (GeoPySpark's TiledRasterLayer.reproject).
// The parameters and the op; the target planning is in target.cpp, the distributed work in
// reprojector.cpp.
#include <nlohmann/json.hpp>

#include "job/op.hpp"
#include "ops/common/layout_plan.hpp"
#include "ops/registry.hpp"
#include "ops/reproject/reproject.hpp"
#include "ops/reproject/reprojector.hpp"

namespace trellis::ops {

namespace {

void declare(job::Schema<ReprojectArgs>& s) {
  using A = ReprojectArgs;
  s.add("target_crs", &A::target_crs, "the CRS to reproject to (EPSG:n, a PROJ string or WKT)").required();
  declare_layout(
      s, "layout extent [xmin, ymin, xmax, ymax] in target_crs (with `layout`)",
      "float: FloatingLayoutScheme at the resolution gdalwarp would pick (GeoPySpark LocalLayout); "
      "zoom: ZoomedLayoutScheme of target_crs (GlobalLayout)");
  s.add("resample_method", &A::resample_method, "GDAL's warp kernel");
  s.add("partition_index", &A::partition_index,
        "space-filling curve whose contiguous ranges the ranks own (default: the input's)")
      .choices({"zorder", "hilbert"});
  s.add("round_mb", &A::round_mb, "MiB of source tiles each rank receives per exchange round (bounds memory)")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
  s.add("share_ms", &A::share_ms,
        "milliseconds between the ranks' check-ins to share the warping (0: each rank warps its own tiles "
        "alone)")
      .range(0, 3600000);
  // ZoomedLayoutScheme knows the world extent of some CRSs only.
  s.check([](const A& a, const job::Checker<A>& c) {
    if (a.scheme != LayoutSchemeKind::Zoom) return;
    try {
      ZoomedLayoutScheme::world_extent_for(a.target_crs);
    } catch (const JobError& e) {
      c.fail(&A::target_crs, std::string("scheme 'zoom': ") + e.what());
    }
  });
}

// The target layer and how many tiles it holds at most: the keys of the layout within the extent GDAL
// suggests for the whole layer, per instant.
job::PlannedLayer planned_target(const job::PlannedLayer& in, const ReprojectArgs& a) {
  job::PlannedLayer out{plan_reproject(in.md, a).md, 0};
  LayerMetadata& md = out.md;
  if (md.extent.empty())
    md.extent = suggested_grid(in.md, a.target_crs).extent.intersection(md.layout.extent);
  GridBounds b = md.layout.extent_to_bounds(md.extent).intersection(md.layout.layout_bounds());
  if (md.extent.empty() || b.empty()) b = GridBounds{};
  md.bounds.min.col = static_cast<std::int32_t>(b.col_min);
  md.bounds.min.row = static_cast<std::int32_t>(b.row_min);
  md.bounds.max.col = static_cast<std::int32_t>(b.col_max);
  md.bounds.max.row = static_cast<std::int32_t>(b.row_max);
  out.tiles = static_cast<std::uint64_t>(b.size()) * in.instants();
  return out;
}

job::Shape plan(job::PlanContext& ctx, const ReprojectArgs& a) {
  const job::PlannedLayer& in = ctx.input().layer();
  if (!in.md.crs.valid()) throw JobError("the input layer has no CRS");
  auto plan_with = [&](const LayoutArgs& b) {
    ReprojectArgs r = a;
    static_cast<LayoutArgs&>(r) = b;
    return planned_target(in, r);
  };
  job::Shape s = layout_shape(ctx, a, a.round_mb, plan_with);
  const LayerMetadata& md = s.levels.front().md;
  if (a.scheme == LayoutSchemeKind::Zoom && !a.zoom) {
    const CellWindow w = data_window(in.md);
    const TargetGrid g = suggested_grid(in.md, a.target_crs);
    warn_if_zoom_finer_than_data(ctx, md, g.extent,
                                 static_cast<double>(w.cols()) * static_cast<double>(w.rows()),
                                 g.extent.center_x(), g.extent.center_y(), g.cs, a);
  }
  return s;
}

job::StepValue run(job::StepContext& ctx, const ReprojectArgs& a) {
  const auto& in = ctx.input_as<TiledLayer>();
  if (!in.md.crs.valid()) throw JobError("the input layer has no CRS");
  const ReprojectTarget target = plan_reproject(in.md, a);
  TiledLayer out =
      reproject_layer(in, target, a.resample_method, a.partition_index.value_or(in.partitioner.kind()),
                      static_cast<std::size_t>(a.round_mb) << 20, static_cast<double>(a.share_ms) / 1000.0,
                      ctx.consumable_input<TiledLayer>(), &ctx.progress, &ctx.log);
  const auto& md = out.md;
  const auto& tl = md.layout.tile_layout;
  ctx.log.info("reprojected " + in.md.crs.label() + " -> " + md.crs.label() + ": layout " +
                   std::to_string(tl.layout_cols) + "x" + std::to_string(tl.layout_rows) + " tiles of " +
                   std::to_string(tl.tile_cols) + "x" + std::to_string(tl.tile_rows) + " over " +
                   md.layout.extent.to_string() + (md.zoom ? ", zoom " + std::to_string(*md.zoom) : "") +
                   ", extent " + md.extent.to_string(),
               {{"zoom", md.zoom ? nlohmann::json(*md.zoom) : nlohmann::json(nullptr)},
                {"cell_width", md.layout.cell_size().width},
                {"cell_height", md.layout.cell_size().height}});
  return out;
}

const OpRegistration kReproject{job::make_op<ReprojectArgs>(
    {.name = "reproject",
     .group = "tiling",
     .help =
         "reproject a tiled layer to a new layout in another CRS (float, zoomed or explicit), with GDAL's "
         "kernels",
     .doc = R"md(## Semantics

GeoPySpark's `TiledRasterLayer.reproject` (GeoTrellis' buffered `reproject` of a tiled layer): the layer
is reprojected to `target_crs` and tiled to a new layout; each cell is computed by GDAL's warp kernel
(`resample_method`), the one `gdalwarp -t_srs .. -te .. -ts .. -r ..` runs on the stitched layer.

- **Target grid.** `scheme: float` (default) keeps the native resolution: the extent and cell size are
  those GDAL's `GDALSuggestedWarpOutput2` gives for the whole layer (what `gdalwarp` picks without
  `-te`/`-tr`; GeoTrellis' `ReprojectRasterExtent` is a port of it), tiled with FloatingLayoutScheme
  (`tile_size`, anchored at the extent's north-west corner, zoom 0). Reprojecting to the layer's own CRS
  keeps its extent and cell size. `scheme: zoom` uses ZoomedLayoutScheme(`target_crs`, `tile_size`,
  `resolution_threshold`): the zoom is `zoom`, or GeoTrellis' `levelFor(extent, cell size)` of that
  reprojected grid, and is recorded as the layer's zoom (`{zoom}` in write_geotiff's uri). `extent` +
  `layout` give an explicit LayoutDefinition (as GeoPySpark's `extent=`/`layout=`).
- **Mercator and the antimeridian.** A geographic layer going to a Mercator CRS (EPSG:3857) is clipped at
  the Mercator latitude limit (+-85.0511287798 degrees) first. A layer whose footprint crosses the
  antimeridian of a geographic or WebMercator target gets one continuous extent (east of +180 with
  `scheme: float`; with a zoomed layout its tiles wrap to the west edge of the world), and a source layer
  that crosses the antimeridian (longitudes beyond +-180) is read across it.
- **Keys and metadata.** The result has the target keys that the reprojected footprints of the existing
  source tiles intersect (sparse layers stay sparse; a key may hold only NoData where a footprint's
  envelope is larger than the data). The extent is GDAL's suggested extent with `scheme: float`, and the
  envelope of the footprints within the layout otherwise. The cell type and bands are the input's.
- **Cells.** A destination tile is warped from a mosaic of every source tile its extent, mapped back to
  the source CRS (densified) and buffered by the kernel's reach, touches, clipped to the layer's data
  window: there are no seams at tile edges and no missing cells. Only the cells inside the layer's extent
  are computed (the others are NoData), as gdalwarp to that grid does. The result matches `gdalwarp` on
  the stitched layer to the same grid cell for cell where the transformation is linear along rows
  (EPSG:4326 <-> EPSG:3857) and the kernel is not widened for downsampling. Otherwise two things GDAL
  does per warped chunk (a tile here, the whole raster in gdalwarp) differ: its approximation of the
  transformation (within 1/8 of a cell, gdalwarp's default; a tile's is closer to the exact one) and the
  scale by which it widens bilinear, cubic and lanczos kernels when downsampling (estimated over the tile
  here, over the whole raster in gdalwarp). NoData stays NoData; cells outside the data are NoData (zero
  for raw cell types).
- **Bilinear upsampling of float layers through a separable transformation** (each target column maps
  to one source column and each row to one source row: geographic to Mercator and back) is computed by
  trellis itself: GDAL's 4-sample bilinear formula, NoData renormalisation and edge rules written out
  over one source coordinate per column and per row, about a tenth of the time of GDAL's masked
  kernel. The cells are GDAL's to within 1e-9 (the source coordinates are rounded differently:
  float64 cells differ in their last bits, float32 ones almost never). Anything else (another kernel,
  integer cells, downsampling, other CRSs, tiles across the antimeridian) goes through GDAL's warper
  as before. `--log-level debug` counts the tiles computed each way.
- **Distribution.** Keys are balanced over the ranks (`partition_index`, default the input's). Each rank
  processes its keys in batches of about `round_mb` MiB of source tiles held by other ranks; the owners
  send exactly those tiles (once per batch and requesting rank) with bounded all-to-all rounds, so memory
  stays bounded and no rank gathers the layer. While they warp a batch, the ranks check in every
  `share_ms` milliseconds with how many tiles they have left and how fast they warp; when a rank is
  about to run out of work (before the next check-in) and another is expected to take longer, the
  latter ships it the source mosaics of the tiles at the end of its batch and gets them back warped at
  a later check-in. A rank slowed down by its data (tiles
  needing GDAL's masked kernel), its node or its neighbours thus does not hold the others up. The cells
  do not depend on which rank warps a tile. With `share_ms: 0` each rank warps its own tiles, and the
  ranks still wait for each other at every exchange round. `--log-level debug` prints each rank's
  times, the tiles it shipped and warped for others, and how many source tiles it freed early. When no later step uses the input layer, each of its
  tiles is freed as soon as the destination tiles that need it are warped and it is sent, so the
  result reuses its memory (peak memory: about the larger of the two layers, not their sum). The
  result does not depend on the number of ranks.
- Heavy downsampling (a zoom far below the layer's resolution) makes each destination tile's mosaic large:
  build a pyramid from a zoom near the native resolution instead.

## Example

```yaml
- id: webmercator
  op: reproject
  input: tiled
  target_crs: EPSG:3857
  scheme: zoom
  resample_method: bilinear
```
)md",
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
