// get_histogram, get_class_histogram, get_quantile_breaks, get_quantile_breaks_exact_int: GeoPySpark's
// histograms of a layer's band (core/histogram.hpp holds GeoTrellis' two histograms).
//
// Both are merged by the reduce skeleton (mpi::reduce_tiles) with exact, order-free merges, so a result
// is identical on any rank count:
// - integer counts (IntHistogram, GeoTrellis' FastMapHistogram) merge by adding counts;
// - a float layer's StreamingHistogram is not built tile by tile (its merge is neither associative nor
//   commutative once buckets merge, and GeoTrellis' own result depends on Spark's partitions): a first
//   reduction finds the exact minimum and maximum, a second counts the cells in 4096 equal bins between
//   them, keeping each bin's exact minimum and maximum; the StreamingHistogram then receives each bin,
//   in order, as one value (the bin's only value when its minimum equals its maximum, else the midpoint
//   of its minimum and maximum) with its count. A layer with at most 4096 distinct values in distinct
//   bins is histogrammed exactly; otherwise a value moves by at most half a bin (1/8192 of the range)
//   before the streaming histogram's own approximation.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>

#include "core/cell_stats.hpp"
#include "job/op.hpp"
#include "mpi/skeletons.hpp"
#include "ops/common/output.hpp"
#include "ops/registry.hpp"
#include "ops/stats/layer_histogram.hpp"

namespace trellis::ops {

namespace {

// ---------------------------------------------------------------------------------------------------
// Reading a band's data cells

// GeoTrellis' Tile.get of a cell: truncated toward zero and saturated to Int.
std::int64_t as_int(double v) {
  const double t = std::trunc(v);
  return t >= 2147483647.0 ? INT_MAX : t <= -2147483648.0 ? INT_MIN : static_cast<std::int64_t>(t);
}

// ---------------------------------------------------------------------------------------------------
// Accumulators (mergeable exactly, in any order)

// Exact integer counts of one tile at a time: dense counting when the tile's values span a small
// range, sorting otherwise.
struct IntCounts {
  IntHistogram h;
  void add_tile(const Tile& t, int band, const CellWindow& w) {
    std::vector<std::int64_t> vals;
    vals.reserve(static_cast<std::size_t>(w.cols() * w.rows()));
    for_each_data_cell(t, band, w, [&](double v) {
      const std::int64_t i = as_int(v);
      if (i != kIntNoData) vals.push_back(i);  // Int.MinValue is GeoTrellis' Int NoData
    });
    if (vals.empty()) return;
    const auto [lo, hi] = std::minmax_element(vals.begin(), vals.end());
    const std::int64_t base = *lo, span = *hi - *lo + 1;
    if (span <= std::max<std::int64_t>(65536, static_cast<std::int64_t>(vals.size()))) {
      std::vector<std::int64_t> n(static_cast<std::size_t>(span), 0);
      for (std::int64_t v : vals) ++n[static_cast<std::size_t>(v - base)];
      for (std::size_t i = 0; i < n.size(); ++i)
        if (n[i]) h.add(base + static_cast<std::int64_t>(i), n[i]);
      return;
    }
    std::sort(vals.begin(), vals.end());
    for (std::size_t i = 0; i < vals.size();) {
      std::size_t j = i;
      while (j < vals.size() && vals[j] == vals[i]) ++j;
      h.add(vals[i], static_cast<std::int64_t>(j - i));
      i = j;
    }
  }
  void merge(const IntCounts& o) { h.merge(o.h); }
  void serialize(std::vector<std::byte>& out) const { h.serialize(out); }
  static IntCounts deserialize(std::span<const std::byte> b) { return {IntHistogram::deserialize(b)}; }
};

// Counts in equal bins over [lo, hi], with each bin's exact minimum and maximum.
struct FineBins {
  static constexpr int kBins = 4096;
  double lo = 0, hi = 0;
  std::vector<std::int64_t> count = std::vector<std::int64_t>(kBins, 0);
  std::vector<double> vmin = std::vector<double>(kBins, INFINITY),
                      vmax = std::vector<double>(kBins, -INFINITY);

  void add(double v) {
    const double f = hi > lo ? (v - lo) / (hi - lo) * kBins : 0.0;
    const int i = std::clamp(static_cast<int>(f), 0, kBins - 1);
    ++count[static_cast<std::size_t>(i)];
    vmin[static_cast<std::size_t>(i)] = std::min(vmin[static_cast<std::size_t>(i)], v);
    vmax[static_cast<std::size_t>(i)] = std::max(vmax[static_cast<std::size_t>(i)], v);
  }
  void merge(const FineBins& o) {
    for (std::size_t i = 0; i < kBins; ++i) {
      count[i] += o.count[i];
      vmin[i] = std::min(vmin[i], o.vmin[i]);
      vmax[i] = std::max(vmax[i], o.vmax[i]);
    }
  }
  // The non-empty bins only: (index, count, min, max).
  void serialize(std::vector<std::byte>& out) const {
    auto put = [&](const auto& x) {
      const auto* p = reinterpret_cast<const std::byte*>(&x);
      out.insert(out.end(), p, p + sizeof x);
    };
    put(lo), put(hi);
    for (std::int32_t i = 0; i < kBins; ++i)
      if (count[static_cast<std::size_t>(i)])
        put(i), put(count[static_cast<std::size_t>(i)]), put(vmin[static_cast<std::size_t>(i)]),
            put(vmax[static_cast<std::size_t>(i)]);
  }
  static FineBins deserialize(std::span<const std::byte> b) {
    FineBins f;
    std::size_t at = 0;
    auto get = [&](auto& x) {
      if (at + sizeof x > b.size()) throw IoError("corrupt message: histogram bins");
      std::memcpy(&x, b.data() + at, sizeof x);
      at += sizeof x;
    };
    get(f.lo), get(f.hi);
    while (at < b.size()) {
      std::int32_t i = 0;
      get(i);
      if (i < 0 || i >= kBins) throw IoError("corrupt message: histogram bin index");
      const auto k = static_cast<std::size_t>(i);
      get(f.count[k]), get(f.vmin[k]), get(f.vmax[k]);
    }
    return f;
  }
  StreamingHistogram histogram(int buckets) const {
    StreamingHistogram h(buckets);
    for (std::size_t i = 0; i < kBins; ++i)
      if (count[i]) h.add(vmin[i] == vmax[i] ? vmin[i] : 0.5 * (vmin[i] + vmax[i]), count[i]);
    return h;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------------
// The histograms of a layer

IntHistogram exact_histogram(const TiledLayer& l, int band, job::Progress& progress) {
  const CellWindow data = data_window(l.md);
  progress.begin(l.tiles.size(), "tiles");
  return mpi::reduce_tiles<IntCounts>(l, IntCounts{},
                                      [&](IntCounts& acc, const SpaceTimeKey& k, const Tile& t) {
                                        acc.add_tile(t, band, tile_data_window(l.md, data, k));
                                        progress.advance();
                                      })
      .h;
}

StreamingHistogram streaming_histogram(const TiledLayer& l, int band, int buckets, job::Progress& progress) {
  const CellWindow data = data_window(l.md);
  progress.begin(2 * l.tiles.size(), "tile passes");
  const CellAccumulator range =
      mpi::reduce_tiles<CellAccumulator>(l, CellAccumulator(kAccCount | kAccMin | kAccMax),
                                         [&](CellAccumulator& acc, const SpaceTimeKey& k, const Tile& t) {
                                           const CellWindow w = tile_data_window(l.md, data, k);
                                           acc.add_tile(t, band, &w);
                                           progress.advance();
                                         });
  FineBins empty;
  if (range.count() > 0) empty.lo = *range.value(CellStat::Min), empty.hi = *range.value(CellStat::Max);
  const FineBins bins =
      mpi::reduce_tiles<FineBins>(l, empty, [&](FineBins& acc, const SpaceTimeKey& k, const Tile& t) {
        for_each_data_cell(t, band, tile_data_window(l.md, data, k), [&](double v) {
          if (std::isfinite(v)) acc.add(v);
        });
        progress.advance();
      });
  return bins.histogram(buckets);
}

namespace {

// ---------------------------------------------------------------------------------------------------
// The ops

enum class HistogramKind { Auto, Streaming, Exact };
constexpr EnumName<HistogramKind> kKinds[] = {
    {HistogramKind::Auto, "auto"}, {HistogramKind::Streaming, "streaming"}, {HistogramKind::Exact, "exact"}};
std::span<const EnumName<HistogramKind>> enum_names(HistogramKind) {
  return kKinds;
}

struct HistogramArgs {
  int band = 0;
  int num_buckets = StreamingHistogram::kDefaultMaxBuckets;
  HistogramKind kind = HistogramKind::Auto;
  int num_breaks = 0;
  std::optional<job::OutputPath> output;
};

void declare_band(job::Schema<HistogramArgs>& s) {
  s.add("band", &HistogramArgs::band, "the band (GeoPySpark: band 0)").range(0, std::nullopt);
}

// The band must exist. Not collective.
void check_band(const LayerMetadata& md, const HistogramArgs& a, const job::ArgsAccess& ctx) {
  if (a.band >= md.bands)
    throw ctx.param_error(&HistogramArgs::band, "band " + std::to_string(a.band) +
                                                    " does not exist: the layer has " +
                                                    std::to_string(md.bands) + " band(s) (numbered from 0)");
}

job::Shape plan(job::PlanContext& ctx, const HistogramArgs& a) {
  check_band(ctx.input().layer().md, a, ctx);
  job::Shape s;
  s.kind = job::ValueKind::Result;
  return s;
}

const TiledLayer& input_layer(job::StepContext& ctx, const HistogramArgs& a) {
  const auto& l = ctx.input_as<TiledLayer>();
  check_band(l.md, a, ctx);
  return l;
}

job::StepValue run_histogram(job::StepContext& ctx, const HistogramArgs& a) {
  const TiledLayer& l = input_layer(ctx, a);
  const bool exact =
      a.kind == HistogramKind::Exact || (a.kind == HistogramKind::Auto && !l.md.cell_type.is_float());
  job::Result r;
  r.data = exact ? exact_histogram(l, a.band, ctx.progress).to_json()
                 : streaming_histogram(l, a.band, a.num_buckets, ctx.progress).to_json();
  r.data["type"] = exact ? "exact_int" : "streaming";
  return r;
}

job::StepValue run_class_histogram(job::StepContext& ctx, const HistogramArgs& a) {
  const IntHistogram h = exact_histogram(input_layer(ctx, a), a.band, ctx.progress);
  job::Result r;
  r.data = nlohmann::json::array();
  for (const auto& b : h.bins()) r.data.push_back({b.value, b.count});
  return r;
}

job::StepValue run_breaks(job::StepContext& ctx, const HistogramArgs& a) {
  const TiledLayer& l = input_layer(ctx, a);
  job::Result r;
  r.data = streaming_histogram(l, a.band, a.num_buckets, ctx.progress).quantile_breaks(a.num_breaks);
  return r;
}

job::StepValue run_breaks_exact(job::StepContext& ctx, const HistogramArgs& a) {
  job::Result r;
  r.data = exact_histogram(input_layer(ctx, a), a.band, ctx.progress).quantile_breaks(a.num_breaks);
  return r;
}

const char* kHistogramSemantics = R"md(## Semantics

GeoPySpark's histograms of a tiled layer's band (band 0 unless `band` says otherwise), NoData cells and
the padding of edge tiles excluded:

- **Exact integer counts** (GeoTrellis' FastMapHistogram, `histogramExactInt`): each cell read as
  GeoTrellis' `Tile.get` reads it (truncated toward zero; Int.MinValue is NoData). `get_class_histogram`,
  `get_quantile_breaks_exact_int`, and `get_histogram` of an integer layer.
- **Streaming histogram** (GeoTrellis' StreamingHistogram, Ben-Haim & Tom-Tov, `num_buckets` buckets,
  80 by default): `get_histogram` of a float layer and `get_quantile_breaks`. GeoTrellis merges one
  histogram per tile in Spark's order, which its merge rule makes depend on the partitions; trellis
  makes it identical on any rank count: exact minimum and maximum first, then exact counts in 4096
  equal bins between them (with each bin's exact minimum and maximum), given to the streaming
  histogram bin by bin in order. A layer whose distinct values fall in distinct bins (at most 4096 of
  them) is histogrammed exactly; otherwise a value moves by at most 1/8192 of the layer's range before
  the streaming histogram's own approximation (a quantile's rank is off by at most about the heaviest
  bucket's share of the cells).
- **Quantile breaks** (`num_breaks` n): GeoTrellis' `quantileBreaks(n)`: n values, the last one the
  maximum; with exact counts a value never repeats (a heavy value absorbs several quantiles and the
  following breaks move to later values).
- **Statistics** (`get_histogram`): GeoTrellis' `statistics()`: `dataCells`, `mean`, `median`, `mode`,
  `stddev` (population), `zmin`, `zmax`, computed from the histogram as GeoTrellis computes them (for a
  streaming histogram, from its buckets). GeoPySpark's `Histogram.median()` returns the mean (a
  GeoPySpark bug); trellis' `median` is GeoTrellis'.
- Accumulated by the reduce skeleton with exact merges: identical on any rank count.
)md";

void declare_histogram(job::Schema<HistogramArgs>& s) {
  declare_band(s);
  s.add("num_buckets", &HistogramArgs::num_buckets, "buckets of a streaming histogram").range(1, 100000);
  s.add("kind", &HistogramArgs::kind,
        "auto: exact counts for integer layers, a streaming histogram for float layers (GeoPySpark)");
  declare_output(s, &HistogramArgs::output);
}

void declare_class(job::Schema<HistogramArgs>& s) {
  declare_band(s);
  declare_output(s, &HistogramArgs::output);
}

void declare_breaks(job::Schema<HistogramArgs>& s) {
  declare_band(s);
  s.add("num_breaks", &HistogramArgs::num_breaks, "how many breaks").required().range(1, 100000);
  s.add("num_buckets", &HistogramArgs::num_buckets, "buckets of the streaming histogram").range(1, 100000);
  declare_output(s, &HistogramArgs::output);
}

void declare_breaks_exact(job::Schema<HistogramArgs>& s) {
  declare_band(s);
  s.add("num_breaks", &HistogramArgs::num_breaks, "how many breaks").required().range(1, 100000);
  declare_output(s, &HistogramArgs::output);
}

job::OpSpec histogram_op(const std::string& name, const std::string& help, const std::string& result,
                         void (*declare)(job::Schema<HistogramArgs>&),
                         job::StepValue (*run)(job::StepContext&, const HistogramArgs&)) {
  return job::make_op<HistogramArgs>({.name = name,
                                      .group = "stats",
                                      .help = help,
                                      .doc = std::string(kHistogramSemantics) + "\n## Result\n\n" + result,
                                      .accepts = {job::ValueKind::TiledLayer},
                                      .produces = job::ValueKind::Result},
                                     declare, run, plan);
}

const OpRegistration kGetHistogram{histogram_op("get_histogram",
                                                "the histogram of a band, with GeoTrellis' statistics",
                                                R"md(GeoTrellis' histogram as JSON:
`type` (`exact_int` or `streaming`), `buckets` (`[value, count]`, streaming) or `bins` (`[value,
count]`, exact), `maxBucketCount`, `minimum` and `maximum` (streaming), and `statistics`
(`dataCells`, `mean`, `median`, `mode`, `stddev`, `zmin`, `zmax`; null when the layer has no data
cell). Written to `output` and logged.

## Example

```yaml
- op: get_histogram
  input: ndvi
  output: out/ndvi-histogram.json
```
)md",
                                                declare_histogram, run_histogram)};

const OpRegistration kGetClassHistogram{histogram_op(
    "get_class_histogram", "exact counts of each integer value of a band", R"md(`[[value, count], ...]`
sorted by value (GeoPySpark's `bin_counts()`).

## Example

```yaml
- op: get_class_histogram
  input: classes
  output: out/classes.json
```
)md",
    declare_class, run_class_histogram)};

const OpRegistration kGetQuantileBreaks{histogram_op(
    "get_quantile_breaks", "quantile breaks of a band from its streaming histogram", R"md(A list of
`num_breaks` numbers.

## Example

```yaml
- op: get_quantile_breaks
  input: ndvi
  num_breaks: 10
  output: out/breaks.json
```
)md",
    declare_breaks, run_breaks)};

const OpRegistration kGetQuantileBreaksExactInt{histogram_op(
    "get_quantile_breaks_exact_int", "quantile breaks of a band from exact integer counts", R"md(A list of
`num_breaks` integers.

## Example

```yaml
- op: get_quantile_breaks_exact_int
  input: classes
  num_breaks: 5
```
)md",
    declare_breaks_exact, run_breaks_exact)};

}  // namespace

}  // namespace trellis::ops
