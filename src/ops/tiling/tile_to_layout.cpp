// tile_to_layout / to_tiled_layer / cut_tiles: an untiled raster layer cut into the tiles of a layout
// (the cutting and merging are in cut.cpp).
#include "job/op.hpp"
#include "ops/common/layout_args.hpp"
#include "ops/common/layout_plan.hpp"
#include "ops/registry.hpp"
#include "ops/tiling/cut.hpp"

namespace trellis::ops {

namespace {

struct TilingArgs : LayoutArgs {
  io::ResampleMethod resample_method = io::ResampleMethod::NearestNeighbor;
  std::optional<CellType> cell_type;
  IndexKind partition_index = IndexKind::ZOrder;
  std::int64_t round_mb = 64;
};

void declare(job::Schema<TilingArgs>& s) {
  declare_layout(
      s, "layout extent [xmin, ymin, xmax, ymax] (with `layout`)",
      "float: GeoTrellis FloatingLayoutScheme at native resolution (GeoPySpark LocalLayout); zoom: "
      "ZoomedLayoutScheme of the layer's CRS (GlobalLayout)");
  s.add("resample_method", &TilingArgs::resample_method,
        "resampling kernel (GDAL's) when source and layout grids differ");
  s.add("cell_type", &TilingArgs::cell_type, "cell type of the tiles (default: the union of the sources')");
  s.add("partition_index", &TilingArgs::partition_index,
        "space-filling curve whose contiguous ranges the ranks own")
      .choices({"zorder", "hilbert"});
  s.add("round_mb", &TilingArgs::round_mb,
        "MiB of cells each rank cuts and sends per exchange round (bounds memory)")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
}

// Tiles start as NoData, so cells no file covers stay out of the layer's data; a cell type without
// NoData cannot say so, and those cells read as 0. Warns when that may happen: a VRT or sparse file with
// parts holding no data, or files that do not cover the layer's extent.
void warn_if_gaps_read_as_data(job::PlanContext& ctx, const RasterLayer& in, const LayerMetadata& md) {
  if (md.cell_type.has_nodata()) return;
  bool sparse = false;
  double covered = 0;
  for (const auto& src : in.sources) {
    sparse |= src.data_cells.has_value();
    const Extent e = src.grid.extent.intersection(md.extent);
    if (e.width() > 0 && e.height() > 0) covered += e.width() * e.height();
  }
  const bool between = covered < md.extent.width() * md.extent.height() * (1 - 1e-9);
  if (!sparse && !between) return;
  const std::string name = md.cell_type.name();
  std::string fix;
  if (between)
    fix = "give a `cell_type` with NoData (e.g. " + name.substr(0, name.find("raw")) +
          ") to keep the cells between the files out";
  if (sparse)
    fix += std::string(fix.empty() ? "" : "; ") +
           "give the VRT a NoData value (gdalbuildvrt -vrtnodata) to keep the cells outside its sources out";
  ctx.warn("step '" + ctx.params.step_id() + "': cell type " + name +
               " has no NoData value, so cells no file covers read as 0 and count as data; " + fix,
           {{"event", "gaps_read_as_data"}, {"step", ctx.params.step_id()}});
}

job::Shape plan(job::PlanContext& ctx, const TilingArgs& a) {
  const RasterLayer& in = ctx.input().raster;
  auto plan_with = [&](const LayoutArgs& b) {
    const LayerMetadata md = plan_layout(in, b, a.cell_type);
    return job::PlannedLayer{md, planned_tiles(in, md)};
  };
  // Pieces cut and sent in one round, and those received.
  job::Shape s = layout_shape(ctx, a, a.round_mb, plan_with);
  const LayerMetadata& md = s.levels.front().md;
  double cells = 0;
  CellSize finest = in.sources.front().grid.cell_size();
  for (const auto& src : in.sources) {
    cells += static_cast<double>(src.grid.cols) * static_cast<double>(src.grid.rows);
    if (src.grid.cell_size().width * src.grid.cell_size().height < finest.width * finest.height)
      finest = src.grid.cell_size();
  }
  warn_if_zoom_finer_than_data(ctx, md, md.extent, cells, md.extent.center_x(), md.extent.center_y(), finest,
                               a);
  warn_if_gaps_read_as_data(ctx, in, md);
  return s;
}

job::StepValue run(job::StepContext& ctx, const TilingArgs& a) {
  const auto& in = ctx.input_as<RasterLayer>();
  const LayerMetadata md = plan_layout(in, a, a.cell_type);
  return tile_raster_layer(in, md, a.resample_method, a.partition_index,
                           static_cast<std::size_t>(a.round_mb) << 20, &ctx.progress);
}

const job::OpInfo kInfo{
    .name = "tile_to_layout",
    .aliases = {"to_tiled_layer"},
    .group = "tiling",
    .help = "cut a raster layer into the tiles of a layout (floating, zoomed or explicit), merging overlaps",
    .doc = R"md(## Semantics

GeoPySpark's `tile_to_layout` / `to_tiled_layer` (GeoTrellis `CollectTileLayerMetadata` + `cutTiles` +
merge).

- **Metadata**: the extent is the union of the rasters' extents, the cell size the finest of theirs, the
  cell type the union of theirs (GeoTrellis' `CellType.union`) unless `cell_type` is given. The rasters
  must share one CRS and band count.
- **Layout**: `scheme: float` (default) is GeoTrellis' FloatingLayoutScheme: `tile_size` tiles anchored at
  the data extent's north-west corner, padded east and south, at native resolution, zoom 0. `scheme: zoom`
  is the ZoomedLayoutScheme of the layer's CRS (2^z x 2^z tiles over the CRS's world extent); the zoom is
  `zoom`, or chosen from the resolution with `resolution_threshold` exactly as GeoTrellis does.
  `extent` + `layout` give an explicit LayoutDefinition.
- **Cutting**: each rank streams its windows; a window is cut into every key its extent intersects
  (GeoTrellis' rule for exact tile edges). When the window's grid and the layout's grid have the same
  cell size and are aligned, the cells are copied; otherwise they are resampled with GDAL's warp kernel
  `resample_method`. A cell whose centre lies exactly on a raster's edge takes the edge cell, as in
  GeoTrellis. Cells no raster covers are NoData (zero for raw cell types).
- **Merging**: pieces of one key are merged on the rank that owns the key: a cell takes a raster's data
  where it is still NoData, and where two rasters both have data, the later one in input order wins
  (GeoTrellis' `gt-cuttiles-overlapping` case). The result does not depend on the number of ranks.
- **Distribution**: keys are owned by contiguous ranges of the `partition_index` curve. Before anything
  is decoded, the ranges are balanced by what reading their windows costs: a GeoTIFF's stored bytes
  (a block of NoData is stored in a few hundred bytes, so this says where the data is), plus a little
  per cell; the cells for other formats. A window whose blocks no other window needs (a tiled file's
  blocks under a tile) is read by the rank that owns its key, so its tile is made where it stays and
  does not travel; other windows (strips shared by a row of windows) are read in contiguous runs, so each
  strip is decoded once, and their pieces travel in rounds of about `round_mb` MiB per rank, so memory
  stays bounded. Tiles without data are left out; when that leaves a rank more than 2 % (plus one tile)
  above the mean, the keys are balanced again on the tiles that exist and the surplus tiles move once,
  so the steps that follow share the work evenly.
- `cut_tiles` is the same operation: trellis keeps one tile per key, so the cut pieces are merged.

## Example

```yaml
- id: tiled
  op: tile_to_layout
  tile_size: 512
  resample_method: bilinear
```
)md",
    .accepts = {job::ValueKind::RasterLayer},
    .produces = job::ValueKind::TiledLayer};

job::OpInfo cut_tiles_info() {
  job::OpInfo i = kInfo;
  i.name = "cut_tiles";
  i.aliases = {};
  i.help = "like tile_to_layout: cut each raster into the layout's tiles (overlaps merged in input order)";
  return i;
}

const OpRegistration kTileToLayout{job::make_op<TilingArgs>(kInfo, declare, run, plan)};
const OpRegistration kCutTiles{job::make_op<TilingArgs>(cut_tiles_info(), declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
