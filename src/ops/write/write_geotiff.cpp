// write_geotiff: a tiled layer (or every level of a pyramid) stitched into one GeoTIFF per level.
// The file covers the layer's extent snapped outward to its cell grid; missing tiles read as NoData.
// Every rank compresses the file's blocks it holds (its tiles, or, when tiles and blocks do not
// coincide, blocks assembled from pieces exchanged with the other ranks) with all its threads; the
// encoded blocks reach the writing rank (rank 0) in row-major order in bounded rounds, and it appends
// them to the file; ranks whose blocks take longer share them with the others (mpi/work_share.hpp). The
// file appears under its name only when complete.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "core/parallel.hpp"
#include "io/geotiff.hpp"
#include "job/op.hpp"
#include "job/types/bands.hpp"
#include "mpi/exchange.hpp"
#include "mpi/gather.hpp"
#include "mpi/partition.hpp"
#include "mpi/runtime.hpp"
#include "mpi/work_share.hpp"
#include "ops/common/levels.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

struct WriteGeoTiffArgs {
  job::OutputPath uri;
  io::Compression compression = io::Compression::Deflate;
  bool cog = false;
  std::optional<job::BandList> bands;
  std::int64_t round_mb = 64;
  std::int64_t share_ms = 250;
};

void declare(job::Schema<WriteGeoTiffArgs>& s) {
  using A = WriteGeoTiffArgs;
  s.add("uri", &A::uri, "output file; {zoom} is replaced by the layer's zoom").required();
  s.add("compression", &A::compression, "GeoTIFF compression").site_default(&job::SiteDefaults::compression);
  s.add("cog", &A::cog, "write a Cloud Optimized GeoTIFF (with overviews)");
  s.add("bands", &A::bands, "band numbers to write, from 0 (default: all)");
  s.add("round_mb", &A::round_mb, "MiB of blocks exchanged, and gathered to the writing rank, per round")
      .range(1, 1 << 20)
      .site_default(&job::SiteDefaults::round_mb);
  s.add("share_ms", &A::share_ms,
        "milliseconds between the ranks' check-ins to share the compression (0: each rank compresses its "
        "own blocks alone)")
      .range(0, 3600000);
}

// The georeferenced grid of a window of the layout's cells (the file's grid).
GridExtent window_grid(const LayoutDefinition& L, const CellWindow& w) {
  const GridExtent g = L.grid();
  const double cw = g.cell_width(), ch = g.cell_height();
  return GridExtent{{L.extent.xmin + w.c0 * cw, L.extent.ymax - w.r1 * ch, L.extent.xmin + w.c1 * cw,
                     L.extent.ymax - w.r0 * ch},
                    w.cols(),
                    w.rows()};
}

// The file's blocks: block_size x block_size cells from the window's north-west corner.
struct BlockGrid {
  CellWindow w;  // the layer's data window: the file covers it
  int size;
  long across, down;
  // The block key (bx, by) of a window cell.
  SpaceTimeKey block_of(long wc, long wr) const {
    return {static_cast<std::int32_t>(wc / size), static_cast<std::int32_t>(wr / size), 0};
  }
};

// A block this rank will encode: the layer's own tile when tiles are the file's blocks, else one
// assembled here.
struct LocalBlock {
  SpaceTimeKey key;
  const Tile* tile;
};

// Collective: when layer tiles are not the file's blocks (the window does not start on a tile corner,
// or the tile size is not the block size), every rank cuts its tiles into pieces of blocks and sends them
// to the blocks' owners (contiguous Z-order ranges of the blocks, balanced), which assemble them.
std::map<SpaceTimeKey, Tile> assemble_blocks(const TiledLayer& layer, const BlockGrid& g,
                                             std::size_t round_bytes) {
  const LayoutDefinition& L = layer.md.layout;
  const int tc = L.tile_layout.tile_cols, tr = L.tile_layout.tile_rows;
  struct Part {
    const std::pair<const SpaceTimeKey, Tile>* src;
    SpaceTimeKey block;
  };
  // Every (tile, block) overlap of this rank's tiles, inside the window.
  std::vector<Part> parts;
  std::vector<SpaceTimeKey> block_keys;
  for (const auto& kv : layer.tiles) {
    const long wc0 = static_cast<long>(kv.first.col) * tc - g.w.c0,
               wr0 = static_cast<long>(kv.first.row) * tr - g.w.r0;
    const long c0 = std::max(0L, wc0), r0 = std::max(0L, wr0);
    const long c1 = std::min(g.w.cols(), wc0 + tc), r1 = std::min(g.w.rows(), wr0 + tr);
    if (c1 <= c0 || r1 <= r0) continue;
    const SpaceTimeKey b0 = g.block_of(c0, r0), b1 = g.block_of(c1 - 1, r1 - 1);
    for (std::int32_t by = b0.row; by <= b1.row; ++by)
      for (std::int32_t bx = b0.col; bx <= b1.col; ++bx) {
        parts.push_back({&kv, {bx, by, 0}});
        block_keys.push_back({bx, by, 0});
      }
  }
  const KeyBounds bounds{{0, 0, 0},
                         {static_cast<std::int32_t>(g.across - 1), static_cast<std::int32_t>(g.down - 1), 0}};
  const Partitioner owners = mpi::balance(block_keys, IndexKind::ZOrder, bounds);
  block_keys = {};

  std::map<SpaceTimeKey, Tile> blocks;
  std::size_t next = 0;
  auto produce = [&](std::vector<mpi::Outgoing>& out) -> bool {
    for (std::size_t bytes = 0; next < parts.size() && (bytes == 0 || bytes < round_bytes); ++next) {
      const auto& [k, t] = *parts[next].src;
      const SpaceTimeKey& b = parts[next].block;
      // The overlap in window cells, then in tile and block cells.
      const long wc0 = static_cast<long>(k.col) * tc - g.w.c0, wr0 = static_cast<long>(k.row) * tr - g.w.r0;
      const long bc0 = static_cast<long>(b.col) * g.size, br0 = static_cast<long>(b.row) * g.size;
      const long c0 = std::max({0L, wc0, bc0}), r0 = std::max({0L, wr0, br0});
      const long c1 = std::min({g.w.cols(), wc0 + tc, bc0 + g.size}),
                 r1 = std::min({g.w.rows(), wr0 + tr, br0 + g.size});
      mpi::Piece pc;
      pc.key = b;
      pc.col_off = static_cast<std::int32_t>(c0 - bc0);
      pc.row_off = static_cast<std::int32_t>(r0 - br0);
      pc.tile = t.crop(static_cast<int>(c0 - wc0), static_cast<int>(r0 - wr0), static_cast<int>(c1 - c0),
                       static_cast<int>(r1 - r0));
      bytes += pc.tile.byte_size();
      out.push_back({owners.owner(b), std::move(pc)});
    }
    return next < parts.size();
  };
  mpi::exchange(produce, [&](mpi::Piece&& pc) {
    mpi::check_piece(pc, pc.tile.cell_type(), layer.md.bands, g.size, g.size);
    auto it = blocks.find(pc.key);
    if (it == blocks.end())
      it = blocks.emplace(pc.key, Tile(pc.tile.cell_type(), g.size, g.size, pc.tile.bands())).first;
    it->second.paste(pc.tile, pc.col_off, pc.row_off);
  });
  return blocks;
}

// Collective. This rank's blocks of the file, encoded (compressed) with all its threads, sharing the
// work with the other ranks every `share_seconds` (0: never; mpi::share_work): the result holds the
// blocks this rank encoded, its own or other ranks', and `counts` how many of each.
std::vector<mpi::KeyedBytes> encode_blocks(const TiledLayer& layer, const BlockGrid& g,
                                           const std::vector<int>& bands, const io::GeoTiffOptions& opts,
                                           std::size_t round_bytes, double share_seconds,
                                           job::Progress& progress, mpi::ShareCounts& counts) {
  const LayerMetadata& md = layer.md;
  const int tc = md.layout.tile_layout.tile_cols, tr = md.layout.tile_layout.tile_rows;
  const bool tiles_are_blocks = tc == g.size && tr == g.size && g.w.c0 % tc == 0 && g.w.r0 % tr == 0;
  std::map<SpaceTimeKey, Tile> assembled;
  std::vector<LocalBlock> local;
  if (tiles_are_blocks) {
    for (const auto& [k, t] : layer.tiles) {
      const long bx = k.col - g.w.c0 / tc, by = k.row - g.w.r0 / tr;
      if (bx >= 0 && by >= 0 && bx < g.across && by < g.down)
        local.push_back({{static_cast<std::int32_t>(bx), static_cast<std::int32_t>(by), 0}, &t});
    }
  } else {
    assembled = assemble_blocks(layer, g, round_bytes);
    for (const auto& [k, t] : assembled) local.push_back({k, &t});
  }

  const int nbands = bands.empty() ? md.bands : static_cast<int>(bands.size());
  const io::BlockEncoder encoder(md.cell_type, nbands, opts);
  // The block as the file stores it: the selected bands, the file's cell type, NoData beyond the
  // window's east and south edges.
  auto prepare = [&](const LocalBlock& b) -> Tile {
    const Tile& t = *b.tile;
    Tile out;
    if (!bands.empty()) {
      out = Tile(t.cell_type(), t.cols(), t.rows(), nbands);
      const std::size_t n = t.cells() * static_cast<std::size_t>(t.cell_type().bytes());
      for (int i = 0; i < nbands; ++i) std::memcpy(out.band_data(i), t.band_data(bands[i]), n);
    }
    if (!(t.cell_type() == md.cell_type)) out = (out.empty_shape() ? t : out).convert(md.cell_type);
    const long valid_cols = g.w.cols() - static_cast<long>(b.key.col) * g.size;
    const long valid_rows = g.w.rows() - static_cast<long>(b.key.row) * g.size;
    if (valid_cols < g.size || valid_rows < g.size) {
      if (out.empty_shape()) out = t;
      out.blank_outside(0, 0, static_cast<int>(std::min<long>(valid_cols, g.size)),
                        static_cast<int>(std::min<long>(valid_rows, g.size)));
    }
    return out;
  };
  // Blocks per task: 8 per in-memory GeoTIFF for GDAL's codecs; one for libdeflate, which gains nothing
  // from batches, so that the work shared comes in chunks of a block per thread (a rank that reaches a
  // check-in first waits for the others to finish their chunk).
  const std::size_t batch = encoder.compresses_with_libdeflate() ? 1 : 8;
  std::vector<mpi::KeyedBytes> encoded;
  encoded.reserve(local.size());
  // Encodes blocks[0, n) with all threads, appended to `encoded`; `shipped`: another rank prepared them.
  auto encode = [&](const LocalBlock* blocks, std::size_t n, bool shipped) {
    const std::size_t base = encoded.size();
    encoded.resize(base + n);
    parallel_for((n + batch - 1) / batch, [&](std::size_t bi) {
      // A stop request skips the rest: the collective that follows is where every rank stops.
      if (progress.stop_requested()) return;
      const std::size_t i0 = bi * batch, i1 = std::min(n, i0 + batch);
      std::vector<Tile> prepared(i1 - i0);
      std::vector<const Tile*> tiles(i1 - i0);
      for (std::size_t i = i0; i < i1; ++i) {
        if (!shipped) prepared[i - i0] = prepare(blocks[i]);
        tiles[i - i0] = prepared[i - i0].empty_shape() ? blocks[i].tile : &prepared[i - i0];
      }
      auto bytes = encoder.encode(tiles);
      for (std::size_t i = i0; i < i1; ++i) encoded[base + i] = {blocks[i].key, std::move(bytes[i - i0])};
      if (!shipped) progress.advance(i1 - i0);
    });
  };
  progress.begin(local.size(), "blocks");
  // Shared: how long a block takes depends on its cells (a block of noise compresses several times
  // slower than a smooth one), so ranks holding as many blocks can need very different times. A rank
  // about to run out of blocks gets prepared blocks from the end of a slower rank's list, and sends what
  // it encodes to the writing rank itself (gather_ordered_bytes takes any rank's blocks). The bytes do
  // not depend on who encodes.
  const std::size_t block_bytes = static_cast<std::size_t>(g.size) * static_cast<std::size_t>(g.size) *
                                  static_cast<std::size_t>(nbands) *
                                  static_cast<std::size_t>(md.cell_type.bytes());
  counts = mpi::share_work(
      local.size(), share_seconds,
      static_cast<std::int64_t>(std::max<std::size_t>(1, round_bytes / block_bytes)),
      batch * static_cast<std::size_t>(std::max(1, omp_get_max_threads())),
      {.own = [&](std::size_t first, std::size_t n) { encode(local.data() + first, n, false); },
       .ship =
           [&](std::size_t i) {
             Tile t = prepare(local[i]);
             mpi::Piece pc;
             pc.key = local[i].key;
             pc.tile = t.empty_shape() ? *local[i].tile : std::move(t);
             progress.advance(1);
             return pc;
           },
       .foreign =
           [&](std::span<mpi::Piece> items) {
             std::vector<LocalBlock> blocks;
             for (auto& p : items) blocks.push_back({p.key, &p.tile});
             encode(blocks.data(), blocks.size(), true);
           },
       .stop = [&] { return progress.stop_requested(); }});
  return encoded;
}

// The bands written (empty: all), after what the layer's metadata must allow: a spatial layer with data
// and the bands asked for. Not collective.
std::vector<int> checked_bands(const LayerMetadata& md, const WriteGeoTiffArgs& a,
                               const job::ArgsAccess& ctx) {
  if (md.temporal) throw JobError("write_geotiff writes spatial layers; this layer is spacetime");
  std::vector<int> bands;
  if (a.bands) {
    for (int b : a.bands->bands) {
      if (b >= md.bands)
        throw ctx.param_error(&WriteGeoTiffArgs::bands,
                              "band " + std::to_string(b) + " does not exist (the layer has " +
                                  std::to_string(md.bands) + " band(s), numbered from 0)");
      bands.push_back(b);
    }
  }
  if (data_window(md).empty()) throw JobError("the layer is empty: nothing to write");
  return bands;
}

// A pyramid's levels need a file each.
void check_levels(std::size_t levels, const WriteGeoTiffArgs& a, const job::ArgsAccess& ctx) {
  if (levels > 1 && a.uri.path.find("{zoom}") == std::string::npos)
    throw ctx.param_error(&WriteGeoTiffArgs::uri, "a pyramid has several levels: put {zoom} in the uri");
}

void write_layer(const TiledLayer& layer, const std::string& path, const WriteGeoTiffArgs& a,
                 const job::StepContext& ctx) {
  const LayerMetadata& md = layer.md;
  const std::vector<int> bands = checked_bands(md, a, ctx);
  const int nbands = bands.empty() ? md.bands : static_cast<int>(bands.size());
  const CellWindow w = data_window(md);
  const int tc = md.layout.tile_layout.tile_cols, tr = md.layout.tile_layout.tile_rows;
  io::GeoTiffOptions opts;
  opts.compression = enum_name(a.compression);
  opts.cog = a.cog;
  opts.block_size = (tc == tr && tc % 16 == 0 && tc <= 4096) ? tc : 256;
  opts.threads = omp_get_max_threads();
  const BlockGrid g{w, opts.block_size, (w.cols() + opts.block_size - 1) / opts.block_size,
                    (w.rows() + opts.block_size - 1) / opts.block_size};
  // Rank 0 creates the file first: a path that cannot be written fails before any work.
  std::unique_ptr<io::GeoTiffWriter> writer;
  if (mpi::Runtime::rank() == 0)
    writer = std::make_unique<io::GeoTiffWriter>(path, window_grid(md.layout, w), md.crs, md.cell_type,
                                                 nbands, opts);
  const std::size_t round = static_cast<std::size_t>(a.round_mb) << 20;
  const double t0 = mpi::Runtime::wtime();
  mpi::ShareCounts es;
  const std::vector<mpi::KeyedBytes> encoded =
      encode_blocks(layer, g, bands, opts, round, static_cast<double>(a.share_ms) / 1000.0, ctx.progress, es);
  const double t1 = mpi::Runtime::wtime();
  if (mpi::Runtime::size() > 1) {
    char line[200];
    std::snprintf(line, sizeof line,
                  "write_geotiff: encoded %zu own and %zu other block(s) in %.2f s; shipped %zu to other "
                  "ranks; %d check-in(s)",
                  es.own, es.foreign, t1 - t0, es.shipped, es.checkins);
    ctx.log.debug_all(line);
  }
  mpi::gather_ordered_bytes(encoded, 0, round, [&](const SpaceTimeKey& k, std::span<const std::byte> bytes) {
    writer->write_block(k.col, k.row, bytes);
  });
  const double t2 = mpi::Runtime::wtime();
  if (writer) {
    writer->commit();
    char times[160];
    std::snprintf(times, sizeof times,
                  "%s: rank 0 encoded %zu block(s) in %.2f s, gathered and wrote in %.2f s, "
                  "closed in %.2f s",
                  path.c_str(), encoded.size(), t1 - t0, t2 - t1, mpi::Runtime::wtime() - t2);
    ctx.log.debug(times);
    ctx.log.info("wrote " + path + " (" + std::to_string(w.cols()) + "x" + std::to_string(w.rows()) + ", " +
                 std::to_string(nbands) + " band(s), " + md.cell_type.name() + ")");
  }
}

job::Shape plan(job::PlanContext& ctx, const WriteGeoTiffArgs& a) {
  const job::Shape& in = ctx.input();
  check_levels(in.levels.size(), a, ctx);
  for (const auto& l : in.levels) (void)checked_bands(l.md, a, ctx);
  job::Shape s;
  // Blocks encoded in a round and those gathered to the writing rank.
  s.working_bytes_per_rank = job::round_working_bytes(a.round_mb);
  return s;
}

job::StepValue run(job::StepContext& ctx, const WriteGeoTiffArgs& a) {
  const std::vector<Level> levels = levels_of(ctx.input());
  check_levels(levels.size(), a, ctx);
  for (const Level& l : levels) write_layer(*l.layer, zoom_path(a.uri.path, l.zoom), a, ctx);
  return job::Nothing{};
}

const OpRegistration kWriteGeoTiff{job::make_op<WriteGeoTiffArgs>(
    {.name = "write_geotiff",
     .group = "io",
     .help = "stitch a tiled layer (or each pyramid level) into one tiled, compressed GeoTIFF or COG",
     .doc = R"md(## Semantics

GeoPySpark's `save_stitched` / GeoTrellis' `stitch`: the tiles are placed at (col x tile_cols,
row x tile_rows) of the layout grid, and the file covers the layer's data extent snapped outward to
that grid. Tiles that do not exist (a sparse layer) read as NoData. The file's NoData value, data type
and CRS are the layer's.

- The file is tiled (blocks of the layer's tile size when it is a multiple of 16, else 256) and
  compressed with `compression`; `cog: true` writes a Cloud Optimized GeoTIFF with overviews.
- Every rank compresses the blocks it holds, with all its threads (DEFLATE with libdeflate at the
  level libtiff uses for GDAL's default, other codecs with GDAL's GTiff encoder: either way the blocks
  are byte for byte what GDAL would write); the compressed blocks reach rank 0 in row-major order in
  rounds of about `round_mb` MiB, and rank 0 appends them to the file. How long a block takes to
  compress depends on its cells (noise compresses several times slower than smooth terrain or sea), so
  ranks holding as many blocks can need very different times: every `share_ms` milliseconds the ranks
  check in with how many blocks they have left and how fast they go, and a rank about to run out gets
  blocks from the end of a slower rank's list, compresses them and sends them to rank 0 itself (as
  `reproject` shares its warping). The file's bytes do not depend on which rank compresses a block;
  `share_ms: 0` turns the sharing off. When the layer's tiles are not the file's
  blocks (the extent does not start on a tile corner, or the tiles are not square multiples of 16),
  the ranks first exchange the pieces of each block with the rank that assembles it. Blocks no tile
  covers are written as NoData. A COG is assembled uncompressed, then compressed and given overviews
  by GDAL's COG driver on rank 0.
- The file is written under a hidden temporary name beside the target and renamed when complete; a
  failure (or a stop) removes it, so no partial file ever looks complete.
- `uri` may be on S3 (`s3://bucket/key.tif` or `/vsis3/bucket/key.tif`; docs/s3.md): rank 0 assembles
  the file in its temporary folder (`CPL_TMPDIR`, else `TMPDIR`) and uploads it when complete; the
  object appears only when the upload is, and the bucket is checked when the job is validated.
- For a pyramid, every level is written; `{zoom}` in `uri` is replaced by the level's zoom (for a layer,
  by its zoom, 0 for floating layouts).
- `bands` selects bands (numbered from 0) in the given order.

## Example

```yaml
- op: write_geotiff
  input: tiled
  uri: out/ndvi.tif
  cog: true
```
)md",
     .accepts = {job::ValueKind::TiledLayer, job::ValueKind::Pyramid},
     .produces = job::ValueKind::None},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
