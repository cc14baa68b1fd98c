// get_min_max: the minimum and maximum over all bands and tiles, NoData excluded (GeoPySpark's
// get_min_max). Each rank scans what it owns (tiles, or its windows streamed from disk); the partial
// results merge with a reduction.
#include <cmath>
#include <limits>

#include "core/cell_stats.hpp"
#include "core/parallel.hpp"
#include "io/geotiff.hpp"
#include "job/op.hpp"
#include "mpi/reduce.hpp"
#include "mpi/skeletons.hpp"
#include "ops/common/output.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

struct GetMinMaxArgs {
  std::optional<job::OutputPath> output;
};

void declare(job::Schema<GetMinMaxArgs>& s) {
  declare_output(s, &GetMinMaxArgs::output);
}

job::StepValue run(job::StepContext& ctx, const GetMinMaxArgs&) {
  const job::StepValue& in = ctx.input();
  const CellAccumulator empty(kAccCount | kAccMin | kAccMax);
  CellAccumulator all = empty;
  if (const auto* tl = std::get_if<TiledLayer>(&in)) {
    // Only the layer's data cells: the padding of edge tiles is not data, whatever the cell type.
    const CellWindow data = data_window(tl->md);
    ctx.progress.begin(tl->tiles.size(), "tiles");
    all = mpi::reduce_tiles<CellAccumulator>(*tl, empty,
                                             [&](CellAccumulator& acc, const SpaceTimeKey& k, const Tile& t) {
                                               const CellWindow w = tile_data_window(tl->md, data, k);
                                               for (int b = 0; b < t.bands(); ++b) acc.add_tile(t, b, &w);
                                               ctx.progress.advance();
                                             });
  } else {
    // An untiled layer: this rank's windows, read and scanned in parallel (a window is all data).
    const auto& rl = std::get<RasterLayer>(in);
    ctx.progress.begin(rl.windows.size(), "windows");
    std::vector<CellAccumulator> per_thread(static_cast<std::size_t>(max_threads()), empty);
    parallel_for(rl.windows.size(), [&](std::size_t i) {
      const Tile t = io::read_window(rl, rl.windows[i]);
      for (int b = 0; b < t.bands(); ++b) per_thread[thread_index()].add_tile(t, b);
      ctx.progress.advance();
    });
    CellAccumulator local = empty;
    for (const auto& a : per_thread) local.merge(a);
    all = mpi::allreduce(local);
  }
  job::Result r;
  if (all.count() > 0) {
    r.data = {{"min", *all.value(CellStat::Min)}, {"max", *all.value(CellStat::Max)}};
  } else {
    r.data = {{"min", nullptr}, {"max", nullptr}};  // no data cell at all
  }
  return r;
}

// A result; nothing the metadata could contradict.
job::Shape plan(job::PlanContext&, const GetMinMaxArgs&) {
  job::Shape s;
  s.kind = job::ValueKind::Result;
  return s;
}

const OpRegistration kGetMinMax{
    job::make_op<GetMinMaxArgs>({.name = "get_min_max",
                                 .group = "stats",
                                 .help = "minimum and maximum cell value over all bands, NoData excluded",
                                 .doc = R"md(## Semantics

GeoPySpark's `get_min_max()`: the minimum and maximum over every band of every tile (or, for an untiled
layer, every window), NoData cells excluded, and the cells outside the layer's extent (the padding of
edge tiles) excluded whatever the cell type. Each rank scans what it owns; the partial results are
reduced. The result is `{"min": ..., "max": ...}` (both `null` when the layer has no data cell), logged,
and written to `output` when given.

## Example

```yaml
- op: get_min_max
  input: tiled
  output: out/min-max.json
```
)md",
                                 .accepts = {job::ValueKind::RasterLayer, job::ValueKind::TiledLayer},
                                 .produces = job::ValueKind::Result},
                                declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
