// reclassify: each cell mapped through a break map (GeoPySpark's reclassify, GeoTrellis' BreakMap with
// a ClassBoundaryType), band by band, in the layer's own cell type.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "core/simd.hpp"
#include "job/op.hpp"
#include "job/types/value_map.hpp"
#include "mpi/skeletons.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

enum class Boundary { LessThanOrEqualTo, LessThan, GreaterThanOrEqualTo, GreaterThan, Exact };
constexpr EnumName<Boundary> kBoundaries[] = {{Boundary::LessThanOrEqualTo, "less_than_or_equal_to"},
                                              {Boundary::LessThan, "less_than"},
                                              {Boundary::GreaterThanOrEqualTo, "greater_than_or_equal_to"},
                                              {Boundary::GreaterThan, "greater_than"},
                                              {Boundary::Exact, "exact"}};
std::span<const EnumName<Boundary>> enum_names(Boundary) {
  return kBoundaries;
}

enum class DataType { Int, Float };
constexpr EnumName<DataType> kDataTypes[] = {{DataType::Int, "int"}, {DataType::Float, "float"}};
std::span<const EnumName<DataType>> enum_names(DataType) {
  return kDataTypes;
}

struct ReclassifyArgs {
  job::ValueMap value_map;
  std::optional<DataType> data_type;
  Boundary boundary_strategy = Boundary::LessThanOrEqualTo;
  std::optional<double> replace_nodata_with;
  std::optional<double> fallback;
  bool strict = false;
};

void declare(job::Schema<ReclassifyArgs>& s) {
  using A = ReclassifyArgs;
  s.add("value_map", &A::value_map,
        "breaks to new values ({3: 10, 4: 20}; a key may list breaks: \"1, 2\": 5)")
      .required();
  s.add("data_type", &A::data_type,
        "int: cells read as integers (truncated) and mapped as GeoTrellis' Tile.map; float: as doubles "
        "(mapDouble). Default: the layer's kind");
  s.add("boundary_strategy", &A::boundary_strategy,
        "which break a value between breaks takes: the smallest break >= it (less_than_or_equal_to), > it "
        "(less_than), the largest <= it (greater_than_or_equal_to), < it (greater_than), or an equal one "
        "(exact)");
  s.add("replace_nodata_with", &A::replace_nodata_with,
        "the value NoData cells get (default: they stay NoData)");
  s.add("fallback", &A::fallback, "the value of cells no break matches (default: NoData)");
  s.add("strict", &A::strict, "a cell no break matches is an error (GeoTrellis' strict map strategy)");
  s.check([](const A& a, const job::Checker<A>& c) {
    if (a.strict && a.fallback) c.fail(&A::fallback, "a fallback and strict: true exclude each other");
  });
}

// The break a value takes, or null. `keys` are sorted and unique.
const job::ValueMap::Entry* find(const std::vector<job::ValueMap::Entry>& e, double v, Boundary b) {
  auto key_less = [](const job::ValueMap::Entry& x, double y) { return x.key < y; };
  auto less_key = [](double y, const job::ValueMap::Entry& x) { return y < x.key; };
  switch (b) {
    case Boundary::LessThanOrEqualTo: {  // smallest key >= v
      auto it = std::lower_bound(e.begin(), e.end(), v, key_less);
      return it == e.end() ? nullptr : &*it;
    }
    case Boundary::LessThan: {  // smallest key > v
      auto it = std::upper_bound(e.begin(), e.end(), v, less_key);
      return it == e.end() ? nullptr : &*it;
    }
    case Boundary::GreaterThanOrEqualTo: {  // largest key <= v
      auto it = std::upper_bound(e.begin(), e.end(), v, less_key);
      return it == e.begin() ? nullptr : &*std::prev(it);
    }
    case Boundary::GreaterThan: {  // largest key < v
      auto it = std::lower_bound(e.begin(), e.end(), v, key_less);
      return it == e.begin() ? nullptr : &*std::prev(it);
    }
    case Boundary::Exact: {
      auto it = std::lower_bound(e.begin(), e.end(), v, key_less);
      return it != e.end() && it->key == v ? &*it : nullptr;
    }
  }
  return nullptr;
}

// One cell's new value (NaN: NoData), or nullopt when no break matches and `strict` is set.
std::optional<double> reclassified(double v, const ReclassifyArgs& a, bool as_int) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (std::isnan(v)) return a.replace_nodata_with.value_or(nan);
  if (as_int) v = std::trunc(v);  // Tile.map(Int => Int) reads cells as Int
  const job::ValueMap::Entry* e = find(a.value_map.entries, v, a.boundary_strategy);
  if (!e && a.strict) return std::nullopt;
  const double to = e ? e->value.value_or(nan) : a.fallback.value_or(nan);
  return as_int && !std::isnan(to) ? std::trunc(to) : to;
}

[[noreturn]] void unmatched(double v) {
  throw IoError("reclassify: the value " + job::ParamValue{v, {}}.to_string() +
                " matches no break of value_map, and strict is set");
}

// f(std::integral_constant<int, k>{}) for 1 <= k <= 8 (the usual classification): the count of breaks
// as a constant, so that the fused loops keep the breaks in registers.
template <class F>
void with_break_count(std::size_t k, F&& f) {
  switch (k) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 5:
      return f(std::integral_constant<int, 5>{});
    case 6:
      return f(std::integral_constant<int, 6>{});
    case 7:
      return f(std::integral_constant<int, 7>{});
    default:
      return f(std::integral_constant<int, 8>{});
  }
}

// Cell types of at most 16 bits map through a table of every stored value, made once per step; wider
// ones search the breaks cell by cell. Either way a tile is one typed loop per band.
template <class T>
struct Reclassifier {
  static constexpr bool kTable = std::is_integral_v<T> && sizeof(T) <= 2;
  std::vector<T> table;
  std::vector<std::uint8_t> bad;  // strict: the stored values no break matches

  Reclassifier(const CellType& ct, const ReclassifyArgs& a, bool as_int) {
    if constexpr (kTable) {
      constexpr std::size_t n = std::size_t{1} << (8 * sizeof(T));
      table.resize(n);
      bad.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const T x = static_cast<T>(static_cast<std::make_unsigned_t<T>>(i));
        const auto to = reclassified(read_cell<T>(x, ct), a, as_int);
        bad[i] = !to;
        table[i] = to ? narrow_from_double<T>(*to, ct) : T{};
      }
    }
  }

  void run(const T* in, T* out, std::size_t n, const CellType& ct, const ReclassifyArgs& a,
           bool as_int) const {
    if constexpr (kTable) {
      for (std::size_t i = 0; i < n; ++i) {
        const auto u = static_cast<std::make_unsigned_t<T>>(in[i]);
        if (bad[u]) unmatched(read_cell<T>(in[i], ct));
        out[i] = table[u];
      }
    } else {
      run_blocks(in, out, n, ct, a, as_int);
    }
  }

 private:
  // Blocks of cells: for each break, every cell of the block counts whether it lies above (a loop the
  // compiler vectorizes); the count is the index of the cell's break.
  void run_blocks(const T* in, T* out, std::size_t n, const CellType& ct, const ReclassifyArgs& a,
                  bool as_int) const {
    const auto& e = a.value_map.entries;
    const std::size_t k = e.size();
    std::vector<double> keys(k), vals(k);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::size_t j = 0; j < k; ++j) keys[j] = e[j].key, vals[j] = e[j].value.value_or(nan);
    const Boundary b = a.boundary_strategy;
    // Less-than-or-equal and greater-than count the keys below v; the two others the keys at or below.
    const bool strictly_below =
        b == Boundary::LessThanOrEqualTo || b == Boundary::GreaterThan || b == Boundary::Exact;
    const double nodata_to = a.replace_nodata_with.value_or(nan), fallback = a.fallback.value_or(nan);
    const bool greater = b == Boundary::GreaterThanOrEqualTo || b == Boundary::GreaterThan;
    std::vector<double> to;  // by count of keys below: k + 1 entries
    if (greater) to.push_back(fallback);
    for (double x : vals) to.push_back(as_int && !std::isnan(x) ? std::trunc(x) : x);
    if (!greater) to.push_back(fallback);
    if (!a.strict && b != Boundary::Exact && k >= 1 && k <= 8) {
      if constexpr (std::is_same_v<T, float>) {
        if (!as_int && std::all_of(keys.begin(), keys.end(), [](double x) { return std::isfinite(x); })) {
          // float32 cells: the same comparisons in float lanes (twice as many), against each key's
          // float threshold, and each class value stored as the output stores it.
          float th[8], tf[9];
          for (std::size_t j = 0; j < k; ++j) th[j] = float_threshold(keys[j], strictly_below);
          for (std::size_t j = 0; j <= k; ++j) tf[j] = narrow_from_double<float>(to[j], ct);
          fused_small_float(in, out, n, NoDataTest<float>(ct), th, k, tf,
                            narrow_from_double<float>(nodata_to, ct));
          return;
        }
      }
      fused_small(in, out, n, ct, keys.data(), k, strictly_below, to.data(), nodata_to, as_int);
      return;
    }
    constexpr std::size_t kBlock = 1024;
    double v[kBlock];
    std::uint32_t below[kBlock];
    for (std::size_t start = 0; start < n; start += kBlock) {
      const std::size_t m = std::min(kBlock, n - start);
      read_cells(in + start, m, ct, v);
      if (as_int)
        for (std::size_t i = 0; i < m; ++i) v[i] = std::trunc(v[i]);  // Tile.map(Int => Int) reads Ints
      std::fill(below, below + m, 0u);
      for (std::size_t j = 0; j < k; ++j) {
        const double key = keys[j];
        if (strictly_below)
          for (std::size_t i = 0; i < m; ++i) below[i] += key < v[i];
        else
          for (std::size_t i = 0; i < m; ++i) below[i] += key <= v[i];
      }
      if (a.strict || b == Boundary::Exact) {
        resolve_checked(v, below, m, keys, vals, out + start, ct, a, as_int);
        continue;
      }
      // The value by count: less-than strategies take the break at the count (k: none), greater-than
      // ones the break before it (0: none); `to` lists the values in that order with the fallback.
      for (std::size_t i = 0; i < m; ++i)
        out[start + i] = narrow_from_double<T>(std::isnan(v[i]) ? nodata_to : to[below[i]], ct);
    }
  }

  // Up to 8 breaks (the usual classification): one pass, the breaks compared in registers.
  template <int K, bool Strictly>
  static void fused(const T* in, T* out, std::size_t n, const CellType& ct, const double* keys,
                    const double* to, double nodata_to, bool as_int) {
    double kk[K], tt[K + 1];
    for (int j = 0; j < K; ++j) kk[j] = keys[j];
    for (int j = 0; j <= K; ++j) tt[j] = to[j];
    constexpr std::size_t kBlock = 1024;
    double v[kBlock], r[kBlock];
    for (std::size_t start = 0; start < n; start += kBlock) {
      const std::size_t m = std::min(kBlock, n - start);
      read_cells(in + start, m, ct, v);  // NoData: NaN
      if (as_int)
        for (std::size_t i = 0; i < m; ++i) v[i] = std::trunc(v[i]);  // Tile.map(Int => Int) reads Ints
      for (std::size_t i = 0; i < m; ++i) {
        const double x = v[i];
        // The keys are sorted: the cell's value is that after the last key below it (selects, no lookup).
        double y = tt[0];
        for (int j = 0; j < K; ++j) y = (Strictly ? kk[j] < x : kk[j] <= x) ? tt[j + 1] : y;
        r[i] = x != x ? nodata_to : y;
      }
      write_cells(r, m, ct, out + start);
    }
  }

  template <int K>
  static void fused_k(const T* in, T* out, std::size_t n, const CellType& ct, const double* keys,
                      bool strictly, const double* to, double nodata_to, bool as_int) {
    if (strictly)
      fused<K, true>(in, out, n, ct, keys, to, nodata_to, as_int);
    else
      fused<K, false>(in, out, n, ct, keys, to, nodata_to, as_int);
  }

  // The hot loop of a usual classification, compiled for each instruction set (core/simd.hpp; nothing
  // in it throws).
  TRELLIS_SIMD_CLONES
  static void fused_small(const T* in, T* out, std::size_t n, const CellType& ct, const double* keys,
                          std::size_t k, bool strictly, const double* to, double nodata_to, bool as_int) {
    with_break_count(k, [&](auto kk) {
      fused_k<decltype(kk)::value>(in, out, n, ct, keys, strictly, to, nodata_to, as_int);
    });
  }

  // The least float f such that, for every float x, (key < x) == (x >= f) when `strictly`, else
  // (key <= x) == (x >= f). float(key) is the float nearest the key, so no float lies strictly between
  // the two: f is float(key) when it passes the comparison itself, else the next float up. For a finite
  // key (past float's range, float(key) is an infinity, and the rule still holds).
  static float float_threshold(double key, bool strictly) {
    const float f = static_cast<float>(key);
    const bool f_counts = strictly ? static_cast<double>(f) > key : static_cast<double>(f) >= key;
    return f_counts ? f : std::nextafter(f, std::numeric_limits<float>::infinity());
  }

  // fused<K> for float32 cells (not read as Int): the value after the last threshold at or below the
  // cell, NoData to `nodata_to`, straight into the output.
  template <int K>
  static void fused_float(const float* in, float* out, std::size_t n, const NoDataTest<float>& nd,
                          const float* th, const float* to, float nodata_to) {
    float tk[K], tt[K + 1];
    for (int j = 0; j < K; ++j) tk[j] = th[j];
    for (int j = 0; j <= K; ++j) tt[j] = to[j];
    const float udv = nd.has_value ? nd.value : std::numeric_limits<float>::quiet_NaN();
    for (std::size_t i = 0; i < n; ++i) {
      const float x = in[i];
      float y = tt[0];
      for (int j = 0; j < K; ++j) y = x >= tk[j] ? tt[j + 1] : y;
      out[i] = x != x || x == udv ? nodata_to : y;
    }
  }

  // The hot loop for float32 cells, compiled for each instruction set as fused_small is.
  TRELLIS_SIMD_CLONES
  static void fused_small_float(const float* in, float* out, std::size_t n, const NoDataTest<float>& nd,
                                const float* th, std::size_t k, const float* to, float nodata_to) {
    with_break_count(k,
                     [&](auto kk) { fused_float<decltype(kk)::value>(in, out, n, nd, th, to, nodata_to); });
  }

  // Exact matches and strict maps: cell by cell, with the checks.
  static void resolve_checked(const double* v, const std::uint32_t* below, std::size_t m,
                              const std::vector<double>& keys, const std::vector<double>& vals, T* out,
                              const CellType& ct, const ReclassifyArgs& a, bool as_int) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::size_t k = keys.size();
    const Boundary b = a.boundary_strategy;
    for (std::size_t i = 0; i < m; ++i) {
      double to;
      if (std::isnan(v[i])) {
        to = a.replace_nodata_with.value_or(nan);
      } else {
        // The break's index, or k when none matches.
        std::size_t at = below[i];
        if (b == Boundary::GreaterThanOrEqualTo || b == Boundary::GreaterThan) at = at == 0 ? k : at - 1;
        if (b == Boundary::Exact && at < k && keys[at] != v[i]) at = k;
        if (at == k) {
          if (a.strict) unmatched(v[i]);
          to = a.fallback.value_or(nan);
        } else {
          to = vals[at];
        }
        if (as_int && !std::isnan(to)) to = std::trunc(to);
      }
      out[i] = narrow_from_double<T>(to, ct);
    }
  }
};

job::StepValue run(job::StepContext& ctx, const ReclassifyArgs& a) {
  const auto& in = ctx.input_as<TiledLayer>();
  const bool as_int = a.data_type ? *a.data_type == DataType::Int : !in.md.cell_type.is_float();
  const CellType& ct = in.md.cell_type;
  ctx.progress.begin(in.tiles.size(), "tiles");
  return dispatch_kind(ct.kind, [&](auto zero) {
    using T = decltype(zero);
    const Reclassifier<T> rc(ct, a, as_int);
    return mpi::map_tiles(in, in.md, [&](const SpaceTimeKey&, const Tile& t) {
      Tile out = Tile::uninitialized(t.cell_type(), t.cols(), t.rows(), t.bands());  // run writes each cell
      for (int b = 0; b < t.bands(); ++b)
        rc.run(t.band_as<T>(b), out.band_as<T>(b), t.cells(), ct, a, as_int);
      ctx.progress.advance();
      return std::optional<Tile>(std::move(out));
    });
  });
}

// The input's layout, tiles and cell type: the input stays held beside it.
job::Shape plan(job::PlanContext& ctx, const ReclassifyArgs&) {
  return job::cellwise(ctx.input());
}

const OpRegistration kReclassify{job::make_op<ReclassifyArgs>(
    {.name = "reclassify",
     .group = "local",
     .help = "map each cell through breaks to new values (GeoPySpark's reclassify)",
     .doc = R"md(## Semantics

GeoPySpark's `reclassify(value_map, data_type, boundary_strategy, replace_nodata_with)`, GeoTrellis'
`BreakMap` with a `ClassBoundaryType` (../shared/conformance/semantics.md, "Reclassify"):

- `less_than_or_equal_to` (default): a value takes the value of the smallest break >= it; `less_than`:
  the smallest break > it; `greater_than_or_equal_to`: the largest break <= it; `greater_than`: the
  largest break < it; `exact`: an equal break only. `{1: 10, 3: 17}` maps 1 to 10, 2 and 3 to 17, and
  4 to NoData.
- A value no break matches becomes NoData, or `fallback`; with `strict: true` it is an error (exit 3).
- NoData cells become `replace_nodata_with` when given (0 included, unlike GeoPySpark's `if not
  replace_nodata_with`), else stay NoData. Layers are sparse: a tile with no data cell is never made,
  so its cells stay NoData.
- `data_type: int` reads cells as integers (truncated toward zero) and truncates the new values, as
  `Tile.map(Int => Int)`; `float` maps doubles (`mapDouble`). The default follows the layer's cell type.
- The cell type stays the layer's: NoData is written as the layer's own NoData (-500 in an `int32ud-500`
  layer). Every band is mapped with the same breaks.
- A key may list several breaks with one value (`"1, 2, 3": 10`); a value of `nodata` (or NaN) maps
  those breaks to NoData.

## Example

```yaml
- op: reclassify
  input: ndvi
  value_map: {0.2: 1, 0.5: 2, 1.0: 3}
  data_type: float
```
)md",
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
