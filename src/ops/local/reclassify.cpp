// reclassify: each cell mapped through a break map (GeoPySpark's reclassify, GeoTrellis' BreakMap with
// a ClassBoundaryType), band by band, in the layer's own cell type.
#include <algorithm>
#include <cmath>

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

job::StepValue run(job::StepContext& ctx, const ReclassifyArgs& a) {
  const auto& in = ctx.input_as<TiledLayer>();
  const bool as_int = a.data_type ? *a.data_type == DataType::Int : !in.md.cell_type.is_float();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ctx.progress.begin(in.tiles.size(), "tiles");
  return mpi::map_tiles(in, in.md, [&](const SpaceTimeKey&, const Tile& t) {
    Tile out(t.cell_type(), t.cols(), t.rows(), t.bands());
    for (int b = 0; b < t.bands(); ++b)
      for (int r = 0; r < t.rows(); ++r)
        for (int c = 0; c < t.cols(); ++c) {
          double v = t.get(b, c, r);
          if (std::isnan(v)) {
            out.set(b, c, r, a.replace_nodata_with.value_or(nan));
            continue;
          }
          if (as_int) v = std::trunc(v);  // Tile.map(Int => Int) reads cells as Int
          const job::ValueMap::Entry* e = find(a.value_map.entries, v, a.boundary_strategy);
          if (!e && a.strict)
            throw IoError("reclassify: the value " + job::ParamValue{v, {}}.to_string() +
                          " matches no break of value_map, and strict is set");
          const double to = e ? e->value.value_or(nan) : a.fallback.value_or(nan);
          out.set(b, c, r, as_int && !std::isnan(to) ? std::trunc(to) : to);
        }
    ctx.progress.advance();
    return std::optional<Tile>(std::move(out));
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
