// get_min_max: the minimum and maximum over all bands and tiles, NoData excluded (GeoPySpark's
// get_min_max). Each rank scans what it owns (tiles, or its windows streamed from disk); the partial
// results merge with a reduction.
#include <cmath>
#include <limits>

#include "io/geotiff.hpp"
#include "job/op.hpp"
#include "mpi/reduce.hpp"
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

struct MinMax {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  void add(const Tile& t) {
    dispatch_kind(t.cell_type().kind, [&](auto zero) {
      using T = decltype(zero);
      const CellType& ct = t.cell_type();
      double lo = min, hi = max;
      for (int b = 0; b < t.bands(); ++b) {
        const T* d = t.band_as<T>(b);
        for (std::size_t i = 0; i < t.cells(); ++i) {
          double v = static_cast<double>(d[i]);
          if (std::isnan(v) || ct.is_nodata(v)) continue;
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      }
      min = lo;
      max = hi;
    });
  }
  void merge(const MinMax& o) {
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
};

job::StepValue run(job::StepContext& ctx, const GetMinMaxArgs&) {
  const job::StepValue& in = ctx.input();
  MinMax mm;
  if (const auto* tl = std::get_if<TiledLayer>(&in)) {
    ctx.progress.begin(tl->tiles.size(), "tiles");
    for (const auto& [k, t] : tl->tiles) {
      mm.add(t);
      ctx.progress.advance();
    }
  } else {
    const auto& rl = std::get<RasterLayer>(in);
    ctx.progress.begin(rl.windows.size(), "windows");
    std::exception_ptr failure;
#pragma omp parallel
    {
      MinMax local;
#pragma omp for schedule(dynamic, 1)
      for (std::size_t i = 0; i < rl.windows.size(); ++i) {
        try {
          local.add(io::read_window(rl, rl.windows[i]));
          ctx.progress.advance();
        } catch (...) {
#pragma omp critical
          if (!failure) failure = std::current_exception();
        }
      }
#pragma omp critical
      mm.merge(local);
    }
    if (failure) std::rethrow_exception(failure);
  }
  double lo = mpi::allreduce_min(mm.min), hi = mpi::allreduce_max(mm.max);
  job::Result r;
  if (lo <= hi) {
    r.data = {{"min", lo}, {"max", hi}};
  } else {
    r.data = {{"min", nullptr}, {"max", nullptr}};  // no data cell at all
  }
  return r;
}

const OpRegistration kGetMinMax{
    job::make_op<GetMinMaxArgs>({.name = "get_min_max",
                                 .group = "stats",
                                 .help = "minimum and maximum cell value over all bands, NoData excluded",
                                 .doc = R"md(## Semantics

GeoPySpark's `get_min_max()`: the minimum and maximum over every band of every tile (or, for an untiled
layer, every window), NoData cells excluded. Each rank scans what it owns; the partial results are
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
                                declare, run)};

}  // namespace

}  // namespace trellis::ops
