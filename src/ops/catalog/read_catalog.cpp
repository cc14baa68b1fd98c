// read_catalog (query): a layer of a GeoTrellis file or S3 catalog (or of trellis' HDF5 store), whole or the
// tiles an extent or geometries meet. Every rank works out the same candidate keys from the metadata and
// the query, splits them along the layer's own key index (Partitioner), and reads its share
// (LayerReader): only the tiles of the query are read, and no rank reads for another.
#include <filesystem>
#include <set>

#include "core/parallel.hpp"
#include "io/catalog/catalog.hpp"
#include "io/geos.hpp"
#include "job/op.hpp"
#include "job/types/geometry.hpp"
#include "job/types/layout.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"
#include "ops/catalog/layer_reader.hpp"
#include "ops/common/features.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

namespace cat = io::catalog;

struct ReadCatalogArgs {
  job::CatalogInput uri;
  std::string layer_name;
  std::int64_t layer_zoom = 0;
  std::optional<Extent> extent;
  std::optional<job::GeometrySources> intersects;
  std::optional<Crs> query_crs;
};

void declare(job::Schema<ReadCatalogArgs>& s) {
  using A = ReadCatalogArgs;
  s.add("uri", &A::uri,
        "the catalog: file:///path or a path (a folder), s3://bucket/prefix, or hdf5:///path/file.h5")
      .required();
  s.add("layer_name", &A::layer_name, "the layer's name in the catalog").required().alias("name");
  s.add("layer_zoom", &A::layer_zoom, "the zoom to read (0 for floating layouts)").range(0, 64).alias("zoom");
  s.add("extent", &A::extent, "read only the tiles meeting [xmin, ymin, xmax, ymax] (in query_crs)");
  s.add("intersects", &A::intersects,
        "read only the tiles meeting these geometries: WKT, GeoJSON, an OGR source {uri, layer, where}, or a "
        "list");
  s.add("query_crs", &A::query_crs,
        "CRS of `extent` and of geometries that name none (default: the layer's)");
}

cat::LayerId id_of(const ReadCatalogArgs& a) {
  return {a.layer_name, static_cast<int>(a.layer_zoom)};
}

// The layer; JobError at layer_name when the catalog does not have it (naming the layers it has).
catalog::LayerReader open_layer(const ReadCatalogArgs& a, const job::ArgsAccess& ctx) {
  auto r = catalog::LayerReader::open(a.uri.uri, id_of(a));
  if (!r)
    throw ctx.param_error(&ReadCatalogArgs::layer_name, catalog::LayerReader::missing(a.uri.uri, id_of(a)));
  if (r->attributes().md.temporal)
    throw JobError("read_catalog reads spatial layers; this layer is spacetime (not supported yet)");
  return std::move(*r);
}

// The key grid the query asks for, inside the layer's bounds.
GridBounds query_bounds(const LayerMetadata& md, const ReadCatalogArgs& a) {
  GridBounds b = md.bounds.grid();
  if (a.extent) {
    const Crs from = a.query_crs.value_or(md.crs);
    const Extent e = from == md.crs ? *a.extent : Transform(from, md.crs).apply(*a.extent);
    b = b.intersection(md.layout.extent_to_bounds(e));
  }
  return b;
}

// The candidate keys of the query, sorted: every key of the bounds, or those meeting a geometry.
std::vector<SpaceTimeKey> candidate_keys(const LayerMetadata& md, const ReadCatalogArgs& a) {
  const GridBounds b = query_bounds(md, a);
  std::vector<SpaceTimeKey> keys;
  if (b.empty()) return keys;
  if (!a.intersects) {
    keys.reserve(static_cast<std::size_t>(b.size()));
    for (long r = b.row_min; r <= b.row_max; ++r)
      for (long c = b.col_min; c <= b.col_max; ++c)
        keys.push_back({static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), 0});
    return keys;
  }
  const auto features = read_geometry(*a.intersects, a.query_crs.value_or(md.crs), md.crs);
  std::set<SpaceTimeKey> meet;
  io::PolygonClipper clipper;
  for (std::size_t f = 0; f < features.size(); ++f) {
    if (features[f].wkb.empty()) continue;
    const GridBounds fb = b.intersection(md.layout.extent_to_bounds(features[f].envelope));
    if (fb.empty()) continue;
    clipper.load(f, features[f].wkb);
    for (long r = fb.row_min; r <= fb.row_max; ++r)
      for (long c = fb.col_min; c <= fb.col_max; ++c)
        if (!features[f].polygonal ||
            clipper.relate(md.layout.key_extent(c, r)) != io::PolygonClipper::Relation::Disjoint)
          meet.insert({static_cast<std::int32_t>(c), static_cast<std::int32_t>(r), 0});
  }
  return {meet.begin(), meet.end()};
}

// The result's metadata: the layer's, with the query's key bounds and the extent they cover.
LayerMetadata result_metadata(LayerMetadata md, const std::vector<SpaceTimeKey>& keys) {
  if (keys.empty()) return md;
  GridBounds g{keys.front().col, keys.front().row, keys.front().col, keys.front().row};
  for (const auto& k : keys) g = g.combine({k.col, k.row, k.col, k.row});
  md.bounds = {{static_cast<std::int32_t>(g.col_min), static_cast<std::int32_t>(g.row_min), 0},
               {static_cast<std::int32_t>(g.col_max), static_cast<std::int32_t>(g.row_max), 0}};
  md.extent = md.extent.intersection(md.layout.bounds_extent(g));
  return md;
}

job::Shape plan(job::PlanContext& ctx, const ReadCatalogArgs& a) {
  const cat::LayerAttributes at = open_layer(a, ctx).attributes();
  job::Shape s;
  s.kind = job::ValueKind::TiledLayer;
  const GridBounds b = query_bounds(at.md, a);
  if (b.empty()) {
    const std::string why = "the query meets none of the layer's tiles";
    if (a.extent) throw ctx.param_error(&ReadCatalogArgs::extent, why);
    throw ctx.param_error(&ReadCatalogArgs::layer_name, why);
  }
  s.levels.push_back({at.md, static_cast<std::uint64_t>(b.size())});
  s.working_bytes_per_rank =
      job::sat_mul(4 * s.levels[0].tile_bytes() + 4096, static_cast<std::uint64_t>(max_threads()));
  return s;
}

job::StepValue run(job::StepContext& ctx, const ReadCatalogArgs& a) {
  const catalog::LayerReader reader = open_layer(a, ctx);
  const cat::LayerAttributes& at = reader.attributes();
  const std::vector<SpaceTimeKey> keys = candidate_keys(at.md, a);

  TiledLayer layer;
  layer.md = result_metadata(at.md, keys);
  // The ranks split the candidates along the layer's own index: contiguous runs of its files.
  layer.partitioner = Partitioner(at.key_index.kind, at.md.bounds, mpi::Runtime::size());
  std::vector<CurvePos> positions;
  for (const auto& k : keys) positions.push_back(layer.partitioner.position(k));
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  layer.partitioner.split(positions);

  std::vector<SpaceTimeKey> mine;
  for (const auto& k : keys)
    if (layer.partitioner.owner(k) == mpi::Runtime::rank()) mine.push_back(k);
  ctx.progress.begin(mine.size(), "tiles");
  std::size_t stored = 0;
  std::vector<std::optional<Tile>> tiles = reader.read(mine, ctx.progress, stored);
  for (std::size_t i = 0; i < mine.size(); ++i)
    if (tiles[i]) layer.tiles.emplace(mine[i], std::move(*tiles[i]));
  const std::int64_t total_stored = mpi::allreduce_sum(static_cast<std::int64_t>(stored));
  const std::int64_t total_tiles = mpi::allreduce_sum(static_cast<std::int64_t>(layer.tiles.size()));
  ctx.log.info("read_catalog: layer '" + a.layer_name + "' zoom " + std::to_string(a.layer_zoom) + ": " +
               std::to_string(keys.size()) + " candidate key(s), " + std::to_string(total_stored) + " " +
               reader.stored_what() + ", " + std::to_string(total_tiles) + " tile(s)");
  return layer;
}

const OpRegistration kReadCatalog{job::make_op<ReadCatalogArgs>(
    {.name = "read_catalog",
     .group = "io",
     .help = "read a layer (or the part a query meets) from a GeoTrellis file or S3 catalog or an HDF5 store",
     .doc = R"md(## Semantics

GeoPySpark's `catalog.query(uri, layer_name, layer_zoom, query_geom, query_proj)` on a file catalog
or an S3 catalog (`s3://bucket/prefix`, GeoTrellis' S3 layout; docs/s3.md) (`query` is the same op). It reads catalogs that trellis wrote and catalogs GeoTrellis or GeoPySpark
wrote (Avro layers of GeoTrellis 1.1-3.x, any key index, single-band or multiband; tiles in any tile
record GeoTrellis writes, constant and padded tiles included), and layers of trellis' HDF5 store
(`hdf5:///path/file.h5`, see `write_catalog`), whose `keys` dataset says which tiles exist.

- Without a query, the whole layer. With `extent` (reprojected from `query_crs` to the layer's CRS),
  the tiles whose keys GeoTrellis' `extentToBounds` gives for it. With `intersects`, the tiles a
  geometry meets (polygons: tiles whose rectangle is not disjoint from them; lines and points: the
  tiles under their envelope).
- The result keeps the layer's layout, CRS and cell type; its key bounds are those of the query, its
  extent the layer's extent inside them. Keys with no file (a sparse layer) have no tile.
- Every rank works out the same candidate keys, splits them along the layer's own key index, and reads
  and decodes its share with all its threads. Only the files of the candidates are opened; the log
  says how many.
- The layer is looked for when the job is validated: a missing layer is refused with status 2 at
  `layer_name`, naming the layers the catalog has. A layer written by an earlier step of the job is
  read back after it.

Spacetime layers are not read yet.

## Example

```yaml
- op: read_catalog
  uri: out/catalog
  layer_name: nlcd
  layer_zoom: 6
  intersects: {uri: states.gpkg, where: "name = 'Pennsylvania'"}
```
)md",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

const OpRegistration kQuery{job::make_op<ReadCatalogArgs>(
    {.name = "query",
     .group = "io",
     .help = "read_catalog under GeoPySpark's name: a layer, or the part a query meets, from a catalog",
     .doc = "## Semantics\n\nThe same op as `read_catalog` (see its page), under the name GeoPySpark gives "
            "it.\n",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::TiledLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
