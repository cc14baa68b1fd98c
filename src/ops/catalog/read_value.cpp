// read_value: one tile of a catalog layer (file or S3 catalog, or HDF5 store), by key (GeoPySpark's
// catalog.read_value), as a layer of that one tile; `output` writes its cells as JSON too. The rank that owns
// the key reads it.
#include "io/catalog/catalog.hpp"
#include "job/op.hpp"
#include "mpi/failure.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"
#include "ops/catalog/layer_reader.hpp"
#include "ops/catalog/tile_json.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

namespace cat = io::catalog;

struct ReadValueArgs {
  job::CatalogInput uri;
  std::string layer_name;
  std::int64_t layer_zoom = 0;
  std::int64_t col = 0, row = 0;
  std::optional<job::OutputPath> output;
};

void declare(job::Schema<ReadValueArgs>& s) {
  using A = ReadValueArgs;
  s.add("uri", &A::uri,
        "the catalog: file:///path or a path (a folder), s3://bucket/prefix, or hdf5:///path/file.h5")
      .required();
  s.add("layer_name", &A::layer_name, "the layer's name in the catalog").required().alias("name");
  s.add("layer_zoom", &A::layer_zoom, "the zoom (0 for floating layouts)").range(0, 64).alias("zoom");
  s.add("col", &A::col, "the tile's column").required().range(0, 2147483647);
  s.add("row", &A::row, "the tile's row").required().range(0, 2147483647);
  s.add("output", &A::output, "JSON file the tile's cells are written to (optional)");
}

// The layer, checked: it exists, is spatial, and holds the key in its bounds. Not collective.
catalog::LayerReader open_layer(const ReadValueArgs& a, const job::ArgsAccess& ctx) {
  const cat::LayerId id{a.layer_name, static_cast<int>(a.layer_zoom)};
  auto r = catalog::LayerReader::open(a.uri.uri, id);
  if (!r) throw ctx.param_error(&ReadValueArgs::layer_name, catalog::LayerReader::missing(a.uri.uri, id));
  const LayerMetadata& md = r->attributes().md;
  if (md.temporal)
    throw JobError("read_value reads spatial layers; this layer is spacetime (not supported yet)");
  if (!md.bounds.grid().contains(a.col, a.row))
    throw ctx.param_error(&ReadValueArgs::col, "key (" + std::to_string(a.col) + ", " +
                                                   std::to_string(a.row) +
                                                   ") is outside the layer's key bounds");
  return std::move(*r);
}

job::Shape plan(job::PlanContext& ctx, const ReadValueArgs& a) {
  const cat::LayerAttributes at = open_layer(a, ctx).attributes();
  job::Shape s;
  s.kind = job::ValueKind::TiledLayer;
  LayerMetadata md = at.md;
  const SpaceTimeKey k{static_cast<std::int32_t>(a.col), static_cast<std::int32_t>(a.row), 0};
  md.bounds = {k, k};
  s.levels.push_back({md, 1});
  return s;
}

job::StepValue run(job::StepContext& ctx, const ReadValueArgs& a) {
  const catalog::LayerReader reader = open_layer(a, ctx);
  const cat::LayerAttributes& at = reader.attributes();
  const SpaceTimeKey key{static_cast<std::int32_t>(a.col), static_cast<std::int32_t>(a.row), 0};
  TiledLayer layer;
  layer.md = at.md;
  layer.md.bounds = {key, key};
  layer.md.extent = at.md.extent.intersection(at.md.layout.key_extent(key.col, key.row));
  layer.partitioner = Partitioner(at.key_index.kind, layer.md.bounds, mpi::Runtime::size());
  layer.partitioner.split({layer.partitioner.position(key)});
  if (layer.partitioner.owner(key) == mpi::Runtime::rank()) {
    std::size_t stored = 0;
    ctx.progress.begin(1, "tiles");
    auto tiles = reader.read({key}, ctx.progress, stored);
    if (tiles[0]) layer.tiles.emplace(key, std::move(*tiles[0]));
    if (layer.tiles.empty())
      ctx.log.warn("read_value: layer '" + a.layer_name + "' has no tile at (" + std::to_string(a.col) +
                   ", " + std::to_string(a.row) + ")");
    if (a.output) {
      const nlohmann::json j = layer.tiles.empty() ? nlohmann::json(nullptr)
                                                   : catalog::tile_json(key, layer.tiles.begin()->second);
      cat::write_file_atomic(a.output->path, j.dump() + "\n");
    }
  }
  return layer;
}

const OpRegistration kReadValue{job::make_op<ReadValueArgs>(
    {.name = "read_value",
     .group = "io",
     .help = "read one tile of a catalog layer by its key (a layer of that tile; its cells as JSON)",
     .doc = R"md(## Semantics

GeoPySpark's `catalog.read_value(uri, layer_name, layer_zoom, col, row)`: the tile at key (`col`, `row`)
of a layer of a file or S3 catalog (trellis- or GeoTrellis-written), read from the one file its key
index names, or of trellis' HDF5 store (its one chunk). The value is a layer holding that one tile (the layer's layout, CRS and cell type; its key
bounds are the key), so `write_geotiff` after it writes the tile as a GeoTIFF. With `output`, the
tile is also written as JSON: `{"col", "row", "cell_type", "cols", "rows", "bands"}`, `bands` being
`[band][row][col]` values with NoData as `null`; a key with no tile (a sparse layer) writes `null`
and logs a warning (GeoPySpark returns `None`).

A key outside the layer's key bounds, or a missing layer, is refused when the job is validated.

For many queries, `trellis serve CATALOG` answers the same JSON at
`/values/{layer_name}/{layer_zoom}/{col}/{row}.json` from a running process, without a process start
per query ([docs/serve.md](../serve.md)).

## Example

```yaml
- op: read_value
  uri: out/catalog
  layer_name: ndvi
  layer_zoom: 4
  col: 4
  row: 5
  output: out/tile-4-5.json
- op: write_geotiff
  uri: out/tile-4-5.tif
```
)md",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
