// write_catalog: a tiled layer (or every level of a pyramid) as a GeoTrellis file-catalog layer. Every
// rank encodes and writes the tile files of the tiles it owns, with all its threads (and shares them with
// ranks about to idle: mpi::share_work); once every rank has written its files, rank 0 writes the
// layer's metadata attribute, atomically: until then the layer does not exist for any reader, so a job
// cut short never leaves a layer that looks complete.
#include <atomic>
#include <filesystem>

#include "core/parallel.hpp"
#include "io/catalog/catalog.hpp"
#include "io/catalog/tile_codec.hpp"
#include "job/op.hpp"
#include "mpi/failure.hpp"
#include "mpi/hdf5_store.hpp"
#include "mpi/runtime.hpp"
#include "mpi/work_share.hpp"
#include "ops/common/levels.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

namespace cat = io::catalog;

// At most this many bytes of tiles in a shipment of the shared writing (file and S3 catalogs).
constexpr std::uint64_t kShipBytes = std::uint64_t{64} << 20;

struct WriteCatalogArgs {
  job::CatalogOutput uri;
  std::string layer_name;
  IndexKind index_strategy = IndexKind::ZOrder;
  bool overwrite = false;
  std::int64_t deflate_level = 6;
  std::int64_t share_ms = 250;
};

void declare(job::Schema<WriteCatalogArgs>& s) {
  using A = WriteCatalogArgs;
  s.add("uri", &A::uri,
        "the catalog: file:///path or a path (a folder, created when missing), s3://bucket/prefix, or "
        "hdf5:///path/file.h5")
      .required();
  s.add("layer_name", &A::layer_name, "the layer's name in the catalog (letters, digits, '-', '_', '.')")
      .required()
      .alias("name");
  s.add("index_strategy", &A::index_strategy,
        "the key index naming the tile files: zorder, hilbert or rowmajor");
  s.add("overwrite", &A::overwrite, "replace a layer of the same name and zoom (default: refuse it)");
  s.add("deflate_level", &A::deflate_level, "hdf5:// only: deflate level of the tile chunks, 0 (none) to 9")
      .range(0, 9);
  s.add("share_ms", &A::share_ms,
        "file and S3 catalogs: milliseconds between the ranks' check-ins to share the encoding and "
        "writing of tile files (0: each rank writes its own tiles alone)")
      .range(0, 3600000);
  s.check([](const A& a, const job::Checker<A>& c) {
    if (a.deflate_level != 6 && a.uri.uri.rfind("hdf5://", 0) != 0)
      c.fail(&A::deflate_level,
             "deflate_level sets the HDF5 store's compression; file catalogs are zlib level 6, "
             "as GeoTrellis writes them");
    if (a.share_ms != 250 && a.uri.uri.rfind("hdf5://", 0) == 0)
      c.fail(&A::share_ms,
             "share_ms shares the writing of tile files between ranks; an HDF5 store's chunks are written "
             "by all ranks together");
    const bool s3 = a.uri.uri.rfind("s3://", 0) == 0;
    if (!cat::valid_layer_name(a.layer_name,
                               s3 ? cat::CatalogUri::Scheme::S3 : cat::CatalogUri::Scheme::File))
      c.fail(&A::layer_name,
             "'" + a.layer_name +
                 "' is not a layer name GeoTrellis can list: use letters, digits, '-', '_' and "
                 "'.', without '" +
                 (s3 ? "__' (S3 catalogs split attribute names on it)" : "__.__'"));
  });
}

bool is_hdf5(const WriteCatalogArgs& a) {
  return cat::parse_catalog_uri(a.uri.uri).scheme == cat::CatalogUri::Scheme::Hdf5;
}

cat::Catalog catalog_of(const WriteCatalogArgs& a) {
  return cat::Catalog(cat::parse_catalog_uri(a.uri.uri));
}

// What the layer's metadata must allow, and the layer (an HDF5 store: its file) not existing unless
// `overwrite`. Not collective.
void check_level(const LayerMetadata& md, const WriteCatalogArgs& a, const job::ArgsAccess& ctx) {
  if (md.temporal)
    throw JobError("write_catalog writes spatial layers; this layer is spacetime (not supported yet)");
  const cat::LayerId id{a.layer_name, md.zoom.value_or(0)};
  if (is_hdf5(a)) {
    const std::string path = cat::parse_catalog_uri(a.uri.uri).path;
    std::error_code ec;
    if (!a.overwrite && std::filesystem::exists(path, ec))
      throw ctx.param_error(&WriteCatalogArgs::uri, "'" + path +
                                                        "' exists: an HDF5 catalog is written whole (set "
                                                        "overwrite: true to replace it)");
    return;
  }
  // (An S3 catalog's bucket was checked with the job's paths: environment_checks.cpp.)
  const cat::Catalog catalog = catalog_of(a);
  if (!a.overwrite && catalog.layer_exists(id))
    throw ctx.param_error(&WriteCatalogArgs::layer_name,
                          "catalog '" + catalog.root() + "' already has layer '" + id.name + "' at zoom " +
                              std::to_string(id.zoom) + " (set overwrite: true to replace it)");
}

// The layer's attributes; its header places the tiles in the catalog at `uri`'s backend (an HDF5 store
// sets its own).
cat::LayerAttributes attributes_of(const LayerMetadata& md, const WriteCatalogArgs& a, int zoom) {
  cat::LayerAttributes at;
  at.md = md;
  at.header.key_class = "geotrellis.spark.SpatialKey";
  at.header.value_class = md.bands > 1 ? "geotrellis.raster.MultibandTile" : "geotrellis.raster.Tile";
  if (!is_hdf5(a)) catalog_of(a).place_layer(at.header, {a.layer_name, zoom});
  at.key_index = cat::KeyIndex::for_spatial(a.index_strategy, md.bounds);
  at.schema = nlohmann::ordered_json::parse(cat::tile_schema_text(false, md.bands > 1));
  return at;
}

// Collective: every level into one new HDF5 file, written under a temporary name beside the target and
// renamed by rank 0 once every rank has closed it.
void write_hdf5(const std::vector<const TiledLayer*>& levels, const WriteCatalogArgs& a,
                const job::StepContext& ctx) {
  namespace fs = std::filesystem;
  const fs::path path(cat::parse_catalog_uri(a.uri.uri).path);
  const std::string tmp = (path.parent_path() / ("." + path.filename().string() + ".tmp")).string();
  for (const TiledLayer* l : levels) check_level(l->md, a, ctx);
  if (mpi::Runtime::rank() == 0) {
    std::error_code ec;
    if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);
  }
  mpi::hdf5::Writer w(tmp);
  for (const TiledLayer* l : levels) {
    const LayerMetadata& md = l->md;
    const int zoom = md.zoom.value_or(0);
    cat::LayerAttributes at = attributes_of(md, a, zoom);
    at.header.format = "hdf5";
    at.header.path = "/" + a.layer_name + "/" + std::to_string(zoom);
    // The dataset covers the layer's key bounds (parallel HDF5 allocates every chunk of it).
    const KeyBounds& b = md.bounds;
    mpi::hdf5::LayerSpec spec{a.layer_name,
                              zoom,
                              md.cell_type,
                              md.bands,
                              b.max.col - b.min.col + 1L,
                              b.max.row - b.min.row + 1L,
                              b.min.col,
                              b.min.row,
                              md.layout.tile_layout.tile_cols,
                              md.layout.tile_layout.tile_rows,
                              cat::metadata_attribute_text(a.layer_name, zoom, at),
                              static_cast<int>(a.deflate_level)};
    bool converted = false;
    for (const auto& [k, t] : l->tiles) converted = converted || !(t.cell_type() == md.cell_type);
    if (!converted) {
      w.write_layer(spec, l->tiles);
    } else {
      std::map<SpaceTimeKey, Tile> same;
      for (const auto& [k, t] : l->tiles)
        same.emplace(k, t.cell_type() == md.cell_type ? t : t.convert(md.cell_type));
      w.write_layer(spec, same);
    }
  }
  w.close();
  mpi::check_in();
  if (mpi::Runtime::rank() == 0) {
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw IoError("cannot rename '" + tmp + "' to '" + path.string() + "': " + ec.message());
    ctx.log.info("wrote layer '" + a.layer_name + "' (" + std::to_string(levels.size()) + " zoom(s)) to " +
                 path.string());
  }
}

// Collective.
void write_level(const TiledLayer& layer, const WriteCatalogArgs& a, const job::StepContext& ctx) {
  const LayerMetadata& md = layer.md;
  check_level(md, a, ctx);
  const int zoom = md.zoom.value_or(0);
  const cat::LayerId id{a.layer_name, zoom};
  const cat::Catalog catalog = catalog_of(a);
  const cat::LayerAttributes at = attributes_of(md, a, zoom);
  const bool multiband = md.bands > 1;
  const int width = at.key_index.file_name_width();

  // Rank 0 makes room: an old layer loses its metadata first (it stops existing), then its files.
  if (mpi::Runtime::rank() == 0) {
    if (catalog.layer_exists(id)) catalog.delete_layer(id);
    catalog.store().make_dirs(catalog.tile_dir(at.header));
  }
  mpi::check_in();

  std::vector<const std::pair<const SpaceTimeKey, Tile>*> tiles;
  for (const auto& kv : layer.tiles) tiles.push_back(&kv);
  ctx.progress.begin(tiles.size(), "tiles");
  std::atomic<std::uint64_t> total{0};
  auto write_file = [&](const SpaceTimeKey& key, const Tile& t) {
    const Tile converted = t.cell_type() == md.cell_type ? Tile() : t.convert(md.cell_type);
    const cat::KeyedTile pair{key, converted.empty_shape() ? &t : &converted};
    const auto file = cat::zlib_compress(cat::encode_pairs({&pair, 1}, false, multiband));
    catalog.store().write(catalog.tile_path(at.header, at.key_index.to_index(key), width), file);
    total += file.size();
  };
  // Shared between the ranks as write_geotiff shares its compression (mpi::share_work): a tile's file
  // does not depend on which rank writes it. The check-in below stops every rank on a stop request.
  const std::uint64_t tile_bytes = std::max<std::uint64_t>(1, job::PlannedLayer{md}.tile_bytes());
  const mpi::ShareCounts counts =
      mpi::share_work(tiles.size(), static_cast<double>(a.share_ms) / 1000.0,
                      static_cast<std::int64_t>(std::max<std::uint64_t>(1, kShipBytes / tile_bytes)),
                      static_cast<std::size_t>(max_threads()),  // a tile per thread between checks
                      {.own =
                           [&](std::size_t first, std::size_t n) {
                             parallel_for(n, [&](std::size_t i) {
                               if (ctx.progress.stop_requested()) return;
                               write_file(tiles[first + i]->first, tiles[first + i]->second);
                               ctx.progress.advance(1);
                             });
                           },
                       .ship =
                           [&](std::size_t i) {
                             mpi::Piece pc;
                             pc.key = tiles[i]->first;
                             pc.tile = tiles[i]->second;
                             ctx.progress.advance(1);
                             return pc;
                           },
                       .foreign =
                           [&](std::span<mpi::Piece> items) {
                             parallel_for(items.size(), [&](std::size_t i) {
                               if (!ctx.progress.stop_requested()) write_file(items[i].key, items[i].tile);
                             });
                           },
                       .stop = [&] { return ctx.progress.stop_requested(); }});
  // Every rank's files are written before the layer comes to exist.
  mpi::check_in();
  if (mpi::Runtime::rank() == 0) {
    catalog.write_attribute(id, "metadata", cat::metadata_attribute_text(id.name, zoom, at));
    ctx.log.info("wrote layer '" + id.name + "' zoom " + std::to_string(zoom) + " to catalog " +
                 catalog.root() + " (" + index_kind_name(a.index_strategy) + " index)");
  }
  ctx.log.debug_all("write_catalog: wrote " + std::to_string(counts.own) + " own and " +
                    std::to_string(counts.foreign) + " other tile file(s), " + std::to_string(total.load()) +
                    " bytes; shipped " + std::to_string(counts.shipped) + " to other ranks");
}

job::Shape plan(job::PlanContext& ctx, const WriteCatalogArgs& a) {
  for (const auto& l : ctx.input().levels) check_level(l.md, a, ctx);
  job::Shape s;
  // One tile per thread being encoded: its cells, the Avro datum and the compressed file.
  std::uint64_t tile = 0;
  for (const auto& l : ctx.input().levels) tile = std::max(tile, l.tile_bytes());
  s.working_bytes_per_rank = job::sat_mul(3 * tile + 4096, static_cast<std::uint64_t>(max_threads()));
  // The shared writing: a shipment sent and one received (and held while its files are written).
  if (!is_hdf5(a)) s.working_bytes_per_rank = job::sat_add(s.working_bytes_per_rank, 2 * kShipBytes);
  return s;
}

job::StepValue run(job::StepContext& ctx, const WriteCatalogArgs& a) {
  std::vector<const TiledLayer*> levels;
  for (const Level& l : levels_of(ctx.input())) levels.push_back(l.layer);
  if (is_hdf5(a)) {
    write_hdf5(levels, a, ctx);
  } else {
    for (const TiledLayer* l : levels) write_level(*l, a, ctx);
  }
  return job::Nothing{};
}

const OpRegistration kWriteCatalog{job::make_op<WriteCatalogArgs>(
    {.name = "write_catalog",
     .group = "io",
     .help =
         "write a tiled layer (or each pyramid level) to a GeoTrellis file or S3 catalog or an HDF5 store",
     .doc = R"md(## Semantics

GeoPySpark's `catalog.write(uri, layer_name, layer, index_strategy)` to a file catalog. The layer is
written as GeoTrellis' file backend writes it (../shared/spec/geotrellis-file-catalog.md), so that
GeoTrellis 1.x-3.x and GeoPySpark read it, and `read_catalog` reads it back:

- `attributes/<layer_name>__.__<zoom>__.__metadata.json` holds the header, the layer metadata, the key
  index and the Avro schema (GeoTrellis 2.x's texts; `geotrellis.spark.SpatialKey`, proj4 CRS);
- one file per tile, `<layer_name>/<zoom>/<index>`, the key's index on the chosen curve (`zorder`,
  `hilbert` over the layer's key bounds, or `rowmajor`), zero-padded to the digits of the index of the
  bounds' maximum key; each file is a zlib stream (level 6, as GeoTrellis compresses; made with
  libdeflate, so its compressed bytes differ from Java's) of one Avro record, the record byte for byte
  what GeoTrellis writes for the same tile. Tiles with no data cell do not exist in the layer and get
  no file.
- A single-band layer is written as `Tile`, a multiband one as `MultibandTile`.
- For a pyramid, every level is a zoom of the same layer name; a layer without a zoom (a floating
  layout) is zoom 0.

Every rank writes the files of the tiles it owns, with all its threads, so nothing passes through one
rank. A tile takes longer to compress the more varied its cells, so ranks can need very different times
for as many tiles: every `share_ms` milliseconds the ranks check in, and a rank about to run out of
tiles gets some from the end of a slower rank's list and writes their files itself (as `reproject`
shares its warping; `share_ms: 0` turns it off; an HDF5 store, written by all ranks together, refuses
it). Only when every rank has written its files does rank 0 write the metadata attribute (to a
temporary name, then renamed): a job that fails or is killed before leaves no layer that a reader sees.
An existing layer of the same name and zoom is refused when the job is validated, unless
`overwrite: true`; then its metadata is removed first, then its files. Files are identical whatever
the number of ranks.

**S3** (`uri: s3://bucket/prefix`; docs/s3.md): the layer as GeoTrellis' S3 backend writes it, so
that GeoTrellis' `S3LayerReader` and GeoPySpark read it: the tiles are the same objects as the file
catalog's files, at `<prefix>/<layer_name>/<zoom>/<index>`, and the attributes are
`<prefix>/_attributes/<attribute>__<layer_name>__<zoom>.json`, whose header says `format: s3`,
`bucket` and `key` (`<prefix>/<layer_name>/<zoom>`). Every rank uploads the tiles it owns, with all its
threads (one PUT each, through GDAL's `/vsis3/`); the metadata attribute is uploaded last, so a layer
cut short is never seen. Layer names may not hold `__`, on which GeoTrellis splits these names. The
bucket, and an existing layer, are checked when the job is validated.

**HDF5** (`uri: hdf5:///path/layer.h5`, or `hdf5://` and a path relative to the job): the layer (every
zoom of a pyramid) becomes one HDF5 file, written by all ranks at once with parallel HDF5 (MPI-IO,
collective I/O, deflate at `deflate_level`, 6 by default). Each zoom is a group `/<layer_name>/<zoom>` holding a dataset
`tiles` of shape [rows, cols, bands, tile_rows, tile_cols] whose chunks are the tiles (`tiles[r, c]` is
key (`col0` + c, `row0` + r): the dataset covers the layer's key bounds), a dataset `keys` (the tiles
that exist), and as attributes the same GeoTrellis metadata JSON (`metadata`, header format `hdf5`),
the cell type, the sizes and the origin. h5py reads it (`f['ndvi/4']['tiles'][r, c]`), and
`read_catalog` reads it back. The file is written under a temporary name and renamed when complete;
an existing file is refused at validation unless `overwrite: true`. Parallel HDF5 1.10 allocates
every chunk at creation: a missing tile inside the key bounds costs a compressed chunk of NoData.

Spacetime layers are not written yet.

## Example

```yaml
- op: write_catalog
  input: pyramid
  uri: out/catalog
  layer_name: nlcd
  index_strategy: hilbert
```
)md",
     .accepts = {job::ValueKind::TiledLayer, job::ValueKind::Pyramid},
     .produces = job::ValueKind::None},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
