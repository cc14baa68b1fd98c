// focal: a statistic of every cell's neighbourhood (GeoPySpark's focal, GeoTrellis' focal ops), over
// tiles buffered by the halo exchange, so a layer gives the result of one stitched raster whatever its
// tile size and rank count. The arithmetic is ops/focal/statistics.hpp.
#include <cmath>

#include "core/cell_stats.hpp"
#include "job/op.hpp"
#include "job/types/neighbourhood.hpp"
#include "mpi/skeletons.hpp"
#include "ops/focal/statistics.hpp"
#include "ops/focal/window.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

using focal::FocalStat;

// GeoTrellis' TargetCell: which cells get the statistic.
enum class TargetCell { All, Data, NoData };
constexpr EnumName<TargetCell> kTargetCells[] = {
    {TargetCell::All, "all"}, {TargetCell::Data, "data"}, {TargetCell::NoData, "nodata"}};
[[maybe_unused]] std::span<const EnumName<TargetCell>> enum_names(TargetCell) {
  return kTargetCells;
}

struct FocalArgs {
  FocalStat operation = FocalStat::Sum;
  Neighbourhood neighbourhood;
  TargetCell target = TargetCell::All;
  std::optional<CellType> cell_type;
  std::int64_t round_mb = 64;
};

void declare(job::Schema<FocalArgs>& s) {
  using A = FocalArgs;
  s.add("operation", &A::operation, "the statistic of each neighbourhood").required();
  job::declare_neighbourhood(s, &A::neighbourhood);
  s.add("target", &A::target,
        "which cells get the statistic: all, data (NoData cells stay NoData) or nodata (data cells are "
        "kept)");
  s.add("cell_type", &A::cell_type,
        "the result's cell type (default: GeoTrellis': the input's for sum, min and max, int32 for median "
        "and mode, float64 for the others)");
  s.add("round_mb", &A::round_mb, "MiB of halo cells each rank sends per round")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
}

// GeoTrellis' result types: ArrayTileResult (the input's) for sum, min and max; IntArrayTileResult for
// median and mode; DoubleArrayTileResult for the others.
CellType result_type(const FocalArgs& a, const CellType& in) {
  if (a.cell_type) return *a.cell_type;
  switch (a.operation) {
    case FocalStat::Sum:
    case FocalStat::Min:
    case FocalStat::Max:
      return in;
    case FocalStat::Median:
    case FocalStat::Mode:
      return CellType::parse("int32");
    default:
      return CellType::parse("float64");
  }
}

// NoData cells take their neighbours' statistic (target all and nodata), in the tiles a sparse layer
// left out too, so the result does not depend on the tiling.
mpi::HaloKeys halo_keys(TargetCell t) {
  return t == TargetCell::Data ? mpi::HaloKeys::Existing : mpi::HaloKeys::Neighbours;
}

bool needs_sums(FocalStat s) {
  return s == FocalStat::Sum || s == FocalStat::Mean || s == FocalStat::Variance ||
         s == FocalStat::StandardDeviation;
}

// The fixed point that makes the layer's sums exact: found over every rank's data cells, so every tile
// (and every rank count) uses the same one.
std::optional<focal::SumScale> layer_sum_scale(const TiledLayer& in, std::int64_t window_cells,
                                               bool squares) {
  if (!in.md.cell_type.is_float()) return focal::SumScale{0};
  const CellWindow data = data_window(in.md);
  const auto probe = mpi::reduce_tiles<focal::ScaleProbe>(
      in, focal::ScaleProbe{}, [&](focal::ScaleProbe& p, const SpaceTimeKey& k, const Tile& t) {
        const CellWindow w = tile_data_window(in.md, data, k);
        for (int b = 0; b < t.bands(); ++b) for_each_data_cell(t, b, w, [&](double v) { p.add(v); });
      });
  return probe.scale(window_cells, squares);
}

job::StepValue run(job::StepContext& ctx, const FocalArgs& a) {
  const auto& in = ctx.input_as<TiledLayer>();
  const Neighbourhood& nb = a.neighbourhood;
  const int r = nb.reach();
  const std::int64_t window_cells = static_cast<std::int64_t>(2 * r + 1) * (2 * r + 1);
  const std::optional<focal::SumScale> scale =
      needs_sums(a.operation)
          ? layer_sum_scale(in, window_cells,
                            a.operation == FocalStat::Variance || a.operation == FocalStat::StandardDeviation)
          : std::nullopt;
  if (needs_sums(a.operation) && !scale)
    ctx.log.info(
        "focal: the layer's values span too many binary orders of magnitude for exact running "
        "sums; each cell's sums are computed from its neighbourhood (slower)");
  LayerMetadata md = in.md;
  md.cell_type = result_type(a, in.md.cell_type);
  const CellWindow data = data_window(in.md);
  const TileLayout& tl = in.md.layout.tile_layout;
  ctx.progress.begin(in.tiles.size(), "tiles");
  return mpi::map_tiles_with_halo(
      in, r, md,
      [&](const SpaceTimeKey& key, const Tile& buffered) {
        // Every cell of every band is written below.
        Tile out = Tile::uninitialized(md.cell_type, tl.tile_cols, tl.tile_rows, buffered.bands());
        const CellWindow own = tile_data_window(in.md, data, key);
        std::vector<double> result(static_cast<std::size_t>(tl.tile_cols) * tl.tile_rows);
        const bool held = in.tiles.count(key) > 0;
        bool any_data = held;  // a tile the layer lacks is made only if it gets data
        for (int b = 0; b < buffered.bands(); ++b) {
          const Window w = buffered_window(buffered, b, r, in.md, data, key);
          focal::statistics({w.cells.data(), w.cols, w.rows}, nb, a.operation, scale, result);
          for (int y = 0; y < tl.tile_rows; ++y)
            for (int x = 0; x < tl.tile_cols; ++x) {
              double& v = result[static_cast<std::size_t>(y) * tl.tile_cols + x];
              const double focus = w.cells[static_cast<std::size_t>(y + r) * w.cols + x + r];
              // The padding of edge tiles is never data; the target decides the other cells.
              const bool inside = x >= own.c0 && x < own.c1 && y >= own.r0 && y < own.r1;
              if (!inside || (a.target == TargetCell::Data && std::isnan(focus)))
                v = std::nan("");
              else if (a.target == TargetCell::NoData && !std::isnan(focus))
                v = focus;
              any_data = any_data || !std::isnan(v);
            }
          dispatch_kind(md.cell_type.kind, [&](auto zero) {
            using T = decltype(zero);
            write_cells(result.data(), result.size(), md.cell_type, out.band_as<T>(b));
          });
        }
        if (held) ctx.progress.advance();
        return any_data ? std::optional<Tile>(std::move(out)) : std::nullopt;
      },
      static_cast<std::size_t>(a.round_mb) << 20, halo_keys(a.target));
}

job::Shape plan(job::PlanContext& ctx, const FocalArgs& a) {
  const job::Shape& in = ctx.input();
  return focal_shape(in, result_type(a, in.layer().md.cell_type), a.neighbourhood.reach(), a.round_mb,
                     ctx.ranks, halo_keys(a.target));
}

const OpRegistration kFocal{job::make_op<FocalArgs>(
    {.name = "focal",
     .group = "focal",
     .help = "a statistic of each cell's neighbourhood: sum, min, max, mean, median, mode, "
             "standard_deviation or variance",
     .doc = R"md(## Semantics

GeoPySpark's `focal(operation, neighborhood, param_1, param_2, param_3, target)`, GeoTrellis' focal
operations: every cell gets a statistic of the cells of its neighbourhood.

- **Neighbourhoods**: `square` (`extent` cells on each side), `circle` (`radius`: cells whose centre is
  within it), `nesw` (the row and column through the focus, `extent` each way), `wedge` (`radius`, from
  `start_angle` to `end_angle`, degrees counter-clockwise from east; wraps when start > end; the focus is
  always in), `annulus` (`inner` <= distance <= `outer`). GeoPySpark's `param_1..3` stand for the sizes
  in that order.
- **Edges and NoData**: the neighbourhood is truncated at the layer's edge (no padding, no reflection);
  NoData neighbours are skipped; with no data cell left the result is NoData. Tiles missing from a sparse
  layer count as outside. The padding of edge tiles is never data.
- **target**: `all` (default, GeoPySpark's) computes every cell, NoData cells included; `data` leaves
  NoData cells NoData; `nodata` computes only NoData cells and keeps data cells.
- **Statistics**: `sum`, `min`, `max` keep the input's cell type (GeoTrellis); `mean`,
  `standard_deviation` and `variance` (population: divided by n) are float64; `median` and `mode` read
  cells as integers (truncated toward zero, as GeoTrellis' `get`) and give int32: the median of an even
  count is (lower + upper) / 2 in integer division; the mode is the unique most frequent value, and a
  tie gives NoData. `cell_type` sets another result type.
- **Every band** is computed (GeoTrellis' multiband focal); GeoPySpark 0.1/0.2 computed band 0 only.

## Exact, and the same on any tiling

Each tile is buffered by exactly the neighbourhood's reach with the cells of the tiles around it (one
halo exchange per step, carrying only those cells), so every cell sees what it would see in one
stitched raster. Sums are exact: integer layers sum in integers, float layers in a fixed point chosen
over the whole layer, so a cell's result depends only on its neighbourhood's values, never on the tile
size or the rank count. (When a float layer's values span too many binary orders of magnitude for a
128-bit fixed point, each cell's sums are computed from its own neighbourhood instead, exactly and
slower; the log says so.)

## Cost

Square sums, means and deviations use running sums, square min and max van Herk / Gil-Werman: the cost
per cell does not grow with the square. Other shapes go by row spans (one step per row of the shape),
median and mode by a sliding histogram. Tiles run in parallel on the rank's threads.

## Example

```yaml
- op: focal
  input: dem
  operation: mean
  neighborhood: circle
  radius: 5
```
)md",
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
