// normalize: the cells mapped linearly from [old_min, old_max] onto [new_min, new_max] (GeoPySpark's
// normalize; GeoTrellis' Tile.normalize). The old range defaults to the layer's minimum and maximum
// over every band (get_min_max's), found with an exact reduction.
#include <cmath>

#include "core/cell_stats.hpp"
#include "job/op.hpp"
#include "mpi/skeletons.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

struct NormalizeArgs {
  double new_min = 0, new_max = 0;
  std::optional<double> old_min, old_max;
};

void declare(job::Schema<NormalizeArgs>& s) {
  using A = NormalizeArgs;
  s.add("new_min", &A::new_min, "the value old_min maps to").required();
  s.add("new_max", &A::new_max, "the value old_max maps to").required();
  s.add("old_min", &A::old_min, "the value that maps to new_min (default: the layer's minimum)");
  s.add("old_max", &A::old_max, "the value that maps to new_max (default: the layer's maximum)");
  s.check([](const A& a, const job::Checker<A>& c) {
    if (!(a.new_max > a.new_min)) c.fail(&A::new_max, "new_max must be above new_min");
    if (a.old_min && a.old_max && !(*a.old_max > *a.old_min))
      c.fail(&A::old_max, "old_max must be above old_min");
  });
}

job::StepValue run(job::StepContext& ctx, const NormalizeArgs& a) {
  const auto& in = ctx.input_as<TiledLayer>();
  double old_min = a.old_min.value_or(0), old_max = a.old_max.value_or(0);
  if (!a.old_min || !a.old_max) {
    const CellWindow data = data_window(in.md);
    const CellAccumulator range =
        mpi::reduce_tiles<CellAccumulator>(in, CellAccumulator(kAccCount | kAccMin | kAccMax),
                                           [&](CellAccumulator& acc, const SpaceTimeKey& k, const Tile& t) {
                                             // Only data cells: the padding of edge tiles is not data.
                                             const CellWindow w = tile_data_window(in.md, data, k);
                                             for (int b = 0; b < t.bands(); ++b) acc.add_tile(t, b, &w);
                                           });
    if (range.count() == 0) throw JobError("the layer has no data cell: give old_min and old_max");
    old_min = a.old_min.value_or(*range.value(CellStat::Min));
    old_max = a.old_max.value_or(*range.value(CellStat::Max));
    if (!(old_max > old_min))
      throw JobError("the layer's values span no range (old_min " + std::to_string(old_min) + ", old_max " +
                     std::to_string(old_max) + "): give old_min and old_max");
  }
  // GeoTrellis' mapIfSetDouble: computed in double, stored in the layer's cell type, NoData kept.
  ctx.progress.begin(in.tiles.size(), "tiles");
  return mpi::map_tiles(in, in.md, [&](const SpaceTimeKey&, const Tile& t) {
    Tile out(t.cell_type(), t.cols(), t.rows(), t.bands());
    for (int b = 0; b < t.bands(); ++b)
      for (int r = 0; r < t.rows(); ++r)
        for (int c = 0; c < t.cols(); ++c) {
          const double z = t.get(b, c, r);
          if (!std::isnan(z))
            out.set(b, c, r, (z - old_min) * (a.new_max - a.new_min) / (old_max - old_min) + a.new_min);
        }
    ctx.progress.advance();
    return std::optional<Tile>(std::move(out));
  });
}

// The input's layout and tiles, with new cells: the input stays held beside it.
job::Shape plan(job::PlanContext& ctx, const NormalizeArgs&) {
  return job::cellwise(ctx.input());
}

const OpRegistration kNormalize{
    job::make_op<NormalizeArgs>({.name = "normalize",
                                 .group = "local",
                                 .help = "map the cells linearly from [old_min, old_max] (default: the "
                                         "layer's range) onto [new_min, new_max]",
                                 .doc = R"md(## Semantics

GeoPySpark's `normalize(new_min, new_max, old_min=None, old_max=None)`, GeoTrellis' `Tile.normalize`:
every data cell z becomes `(z - old_min) * (new_max - new_min) / (old_max - old_min) + new_min`,
computed in double precision and stored in the layer's cell type (integer types truncate, as
GeoTrellis' `mapIfSetDouble` does). NoData stays NoData; the cell type, bands and layout are kept.

- `old_min` and `old_max` default to the layer's minimum and maximum over every band (what
  `get_min_max` gives), found with an exact reduction over the ranks, so the result does not depend on
  the number of ranks.
- `new_max` must be above `new_min`, and the old range must not be empty (GeoTrellis refuses both).

## Example

```yaml
- op: normalize
  input: dem
  new_min: 0
  new_max: 255
```
)md",
                                 .accepts = {job::ValueKind::TiledLayer},
                                 .produces = job::ValueKind::TiledLayer},
                                declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
