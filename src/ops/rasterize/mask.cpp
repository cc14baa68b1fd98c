// mask: the cells of a tiled layer outside geometries set to NoData (GeoTrellis' layer.mask,
// GeoPySpark's mask), with the burning rules of burn.hpp.
#include <cstring>

#include "job/op.hpp"
#include "mpi/rebalance.hpp"
#include "mpi/skeletons.hpp"
#include "ops/common/features.hpp"
#include "ops/rasterize/burn.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

struct MaskArgs {
  job::GeometrySources geometry;
  std::optional<Crs> geometry_crs;
  bool filter_empty_tiles = true;
  SampleType sample_type = SampleType::PixelIsPoint;
  bool include_partial = true;
};

void declare(job::Schema<MaskArgs>& s) {
  using A = MaskArgs;
  s.add("geometry", &A::geometry,
        "WKT, GeoJSON (a map with `type`, or text starting with '{'), an OGR source {uri, layer, where}, or "
        "a list of these: the cells they cover keep their values")
      .required();
  s.add("geometry_crs", &A::geometry_crs,
        "CRS of geometries whose source names none (WKT, inline GeoJSON); default: the layer's");
  s.add("filter_empty_tiles", &A::filter_empty_tiles,
        "drop the tiles no geometry meets (GeoTrellis' default); false keeps them, all NoData");
  s.add("sample_type", &A::sample_type,
        "pixel_is_point: cells whose centre is covered; pixel_is_area: cells meeting a polygon");
  s.add("include_partial", &A::include_partial,
        "pixel_is_area: cells partly covered are kept (false: only cells entirely covered)");
}

job::StepValue run(job::StepContext& ctx, const MaskArgs& a) {
  const auto& in = ctx.input_as<TiledLayer>();
  if (in.md.temporal) throw JobError("mask needs a spatial layer; this one is spacetime");
  const std::vector<io::Feature> features =
      read_geometry(a.geometry, a.geometry_crs.value_or(in.md.crs), in.md.crs);
  std::vector<BurnShape> shapes;
  std::vector<std::size_t> order;
  for (const auto& f : features) {
    order.push_back(shapes.size());
    shapes.push_back({io::decompose(f.wkb), f.envelope});
  }
  std::vector<SpaceTimeKey> keys;
  for (const auto& [k, t] : in.tiles) keys.push_back(k);
  const std::vector<TileBurns> burns =
      burn_tiles(in.md.layout, {a.sample_type, a.include_partial, false}, shapes, order, keys, ctx.progress);
  std::map<SpaceTimeKey, const TileBurns*> by_key;
  for (const auto& b : burns) by_key.emplace(b.key, &b);

  TiledLayer masked =
      mpi::map_tiles(in, in.md, [&](const SpaceTimeKey& k, const Tile& t) -> std::optional<Tile> {
        const auto it = by_key.find(k);
        const bool meets = it != by_key.end() && it->second->meets();
        if (!meets && a.filter_empty_tiles) return std::nullopt;
        Tile out(t.cell_type(), t.cols(), t.rows(), t.bands());  // NoData everywhere
        if (!meets) return out;
        // The covered cells keep their values: runs copied byte for byte, band by band.
        const std::size_t bytes = static_cast<std::size_t>(t.cell_type().bytes());
        for (const auto& [shape, cells] : it->second->burns)
          cells.for_each_run(t.cols(), t.rows(), [&](long r, long c0, long c1) {
            const std::size_t at = (static_cast<std::size_t>(r) * static_cast<std::size_t>(t.cols()) +
                                    static_cast<std::size_t>(c0)) *
                                   bytes;
            for (int b = 0; b < t.bands(); ++b)
              std::memcpy(out.band_data(b) + at, t.band_data(b) + at,
                          static_cast<std::size_t>(c1 - c0) * bytes);
          });
        return out;
      });
  // Dropping the tiles no geometry meets can leave them all on a few ranks (a country cut out of a
  // continent): the steps that follow would wait for those.
  if (a.filter_empty_tiles) mpi::rebalance(masked);
  return masked;
}

// The input's layout, at most its tiles.
job::Shape plan(job::PlanContext& ctx, const MaskArgs&) {
  if (ctx.input().layer().md.temporal) throw JobError("mask needs a spatial layer; this one is spacetime");
  return job::cellwise(ctx.input());
}

const OpRegistration kMask{job::make_op<MaskArgs>(
    {.name = "mask",
     .group = "rasterize",
     .help = "set the cells outside geometries to NoData (GeoTrellis' and GeoPySpark's mask)",
     .doc = R"md(## Semantics

GeoTrellis' `layer.mask(geometries, Mask.Options)`, GeoPySpark's `mask(geometries)`:

- A cell keeps its value (every band) iff a geometry covers it, by the rules of `rasterize`: with the
  default `sample_type: pixel_is_point` its **centre** is inside a polygon (holes excluded), or a line or
  point burns it; `pixel_is_area` keeps cells meeting a polygon (`include_partial: true`) or entirely
  inside one (`false`). Every other cell becomes the layer's NoData (zero for raw cell types): a
  user-defined NoData such as `-1.1` is what appears.
- `filter_empty_tiles` (default true, as GeoTrellis): a tile that no geometry meets, or that a polygon
  only touches along an edge or at a corner, is dropped; with false it is kept, all NoData. When the
  dropping leaves a rank more than 2 % (plus one tile) above the mean, the tiles that remain are spread
  over the ranks again (as after tiling), so the steps that follow share the work.
- Geometries as in `rasterize` and `polygonal_summary` (WKT, GeoJSON, OGR sources, lists), reprojected to
  the layer's CRS; WKT and inline GeoJSON are in `geometry_crs`, by default the layer's.
- Each rank masks the tiles it owns; a feature's polygon is prepared once per thread and clipped to each
  tile its boundary crosses. The output is identical on any rank count. Spacetime layers are refused.

## Example

```yaml
- op: mask
  input: dem
  geometry: {uri: concelhos.gpkg, layer: concelhos, where: "name = 'Lagoa'"}
```
)md",
     .accepts = {job::ValueKind::TiledLayer},
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
