// convert_data_type: every cell converted to another cell type (GeoPySpark's convert_data_type,
// GeoTrellis' Tile.convert; the arithmetic is core/tile.hpp's Tile::convert).
#include <cmath>

#include "job/op.hpp"
#include "mpi/skeletons.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

struct ConvertArgs {
  CellType new_type;
  std::optional<double> no_data_value;
};

void declare(job::Schema<ConvertArgs>& s) {
  using A = ConvertArgs;
  s.add("new_type", &A::new_type, "the cell type (GeoTrellis names: int16, uint8raw, float32ud-9999.0, ...)")
      .required();
  s.add("no_data_value", &A::no_data_value,
        "a user-defined NoData value for new_type (GeoPySpark's no_data_value)");
  s.check([](const A& a, const job::Checker<A>& c) {
    if (!a.no_data_value) return;
    if (a.new_type.kind == CellKind::Bool) c.fail(&A::no_data_value, "bool cells have no NoData value");
    const CellType t = a.new_type.with_nodata(*a.no_data_value);
    // The value must survive the type (int8ud1000 would become int8ud-24: real -24 cells would be NoData).
    if (!a.new_type.is_float() && (t.user_nodata != *a.no_data_value || std::isnan(*a.no_data_value)))
      c.fail(&A::no_data_value, "the NoData value " + job::ParamValue{*a.no_data_value, {}}.to_string() +
                                    " does not fit " + a.new_type.without_nodata().name());
  });
}

CellType target(const ConvertArgs& a) {
  return a.no_data_value ? a.new_type.with_nodata(*a.no_data_value) : a.new_type;
}

job::StepValue run(job::StepContext& ctx, const ConvertArgs& a) {
  const auto& in = ctx.input_as<TiledLayer>();
  LayerMetadata md = in.md;
  md.cell_type = target(a);
  ctx.progress.begin(in.tiles.size(), "tiles");
  return mpi::map_tiles(in, md, [&](const SpaceTimeKey&, const Tile& t) {
    Tile out = t.convert(md.cell_type);
    ctx.progress.advance();
    return std::optional<Tile>(std::move(out));
  });
}

// The input's layout and tiles in the new cell type: the input stays held beside it.
job::Shape plan(job::PlanContext& ctx, const ConvertArgs& a) {
  return job::cellwise(ctx.input(), target(a));
}

const OpRegistration kConvert{
    job::make_op<ConvertArgs>({.name = "convert_data_type",
                               .group = "local",
                               .help = "convert every cell to another cell type (GeoTrellis' convert)",
                               .doc = R"md(## Semantics

GeoPySpark's `convert_data_type(new_type, no_data_value=None)`, GeoTrellis' `Tile.convert`
(../shared/conformance/semantics.md, "convert_data_type"):

- NoData becomes the new type's NoData (0 for `raw` types, which have none); a data value equal to the
  new type's NoData becomes NoData (0 for `uint8`/`uint16`, whose constant NoData is 0; the value of a
  `ud` type).
- Floats truncate toward zero into integer types; values wrap as the JVM narrows them (-1 becomes 255 in
  `uint8raw`).
- `new_type` takes every GeoTrellis cell type name, `ud` NoData included (`int16ud-9999`); a `ud` value
  the type cannot hold is refused (`int8ud1000`). `no_data_value` gives the NoData of `new_type` the
  GeoPySpark way (`new_type: float32, no_data_value: -10` is `float32ud-10.0`).

## Example

```yaml
- op: convert_data_type
  input: ndvi
  new_type: int16
  no_data_value: -9999
```
)md",
                               .accepts = {job::ValueKind::TiledLayer},
                               .produces = job::ValueKind::TiledLayer},
                              declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
