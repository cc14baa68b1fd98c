// write_geotiff: a tiled layer (or every level of a pyramid) stitched into one GeoTIFF per level.
// The file covers the layer's extent snapped outward to its cell grid; missing tiles read as NoData.
// Tiles reach the writing rank (rank 0) in row-major order in bounded rounds; GDAL compresses with
// all of rank 0's threads. The file appears under its name only when complete.
#include <omp.h>

#include <cmath>

#include "dist/gather.hpp"
#include "dist/runtime.hpp"
#include "io/geotiff.hpp"
#include "job/context.hpp"
#include "ops/families.hpp"
#include "ops/param_helpers.hpp"

namespace trellis::ops {

using job::ParamType;

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

// The cell window of the layout grid that covers the layer's extent.
struct OutputWindow {
  long col0, row0, cols, rows;
  GridExtent grid;
};

OutputWindow output_window(const LayerMetadata& md) {
  const LayoutDefinition& L = md.layout;
  GridExtent g = L.grid();
  double cw = g.cell_width(), ch = g.cell_height();
  Extent e = md.extent.intersection(L.extent);
  long c0 = floor_with_tolerance((e.xmin - L.extent.xmin) / cw);
  long r0 = floor_with_tolerance((L.extent.ymax - e.ymax) / ch);
  long c1 = -floor_with_tolerance(-(e.xmax - L.extent.xmin) / cw);  // ceil with the same tolerance
  long r1 = -floor_with_tolerance(-(L.extent.ymax - e.ymin) / ch);
  c0 = std::clamp(c0, 0L, g.cols);
  r0 = std::clamp(r0, 0L, g.rows);
  c1 = std::clamp(c1, c0, g.cols);
  r1 = std::clamp(r1, r0, g.rows);
  OutputWindow w{c0, r0, c1 - c0, r1 - r0, {}};
  w.grid = GridExtent{{L.extent.xmin + c0 * cw, L.extent.ymax - r1 * ch, L.extent.xmin + c1 * cw, L.extent.ymax - r0 * ch},
                      w.cols, w.rows};
  return w;
}

void write_layer(const dist::TiledLayer& layer, const std::string& path, const job::Params& p, job::Logger& log) {
  const LayerMetadata& md = layer.md;
  if (md.temporal) throw p.step_error("write_geotiff writes spatial layers; this layer is spacetime");
  std::vector<int> bands;
  if (p.has("bands")) {
    for (const auto& v : p.raw("bands").as_list()) {
      if (!v.is_int() || v.as_int() < 0 || v.as_int() >= md.bands)
        throw p.error("bands", "band " + v.to_string() + " does not exist (the layer has " + std::to_string(md.bands) +
                                   " band(s), numbered from 0)");
      bands.push_back(static_cast<int>(v.as_int()));
    }
  }
  int nbands = bands.empty() ? md.bands : static_cast<int>(bands.size());
  OutputWindow w = output_window(md);
  if (w.cols == 0 || w.rows == 0) throw p.step_error("the layer is empty: nothing to write");
  int tc = md.layout.tile_layout.tile_cols, tr = md.layout.tile_layout.tile_rows;
  io::GeoTiffOptions opts;
  opts.compression = p.get_string("compression");
  opts.cog = p.get_bool("cog");
  opts.block_size = (tc == tr && tc % 16 == 0 && tc <= 4096) ? tc : 256;
  opts.threads = omp_get_max_threads();
  std::unique_ptr<io::GeoTiffWriter> writer;
  if (dist::Runtime::rank() == 0) writer = std::make_unique<io::GeoTiffWriter>(path, w.grid, md.crs, md.cell_type, nbands, opts);
  std::size_t round = static_cast<std::size_t>(p.get_int("round_mb")) << 20;
  dist::gather_ordered(layer, 0, round, [&](const SpaceTimeKey& k, const Tile& t) {
    writer->write(t, static_cast<long>(k.col) * tc - w.col0, static_cast<long>(k.row) * tr - w.row0, bands);
  });
  if (writer) {
    writer->commit();
    log.info("wrote " + path + " (" + std::to_string(w.cols) + "x" + std::to_string(w.rows) + ", " +
             std::to_string(nbands) + " band(s), " + md.cell_type.name() + ")");
  }
}

job::StepValue run_write_geotiff(job::StepContext& ctx) {
  const auto& p = ctx.params;
  const std::string uri = p.get_string("uri");
  const job::StepValue& in = ctx.input();
  if (const auto* tl = std::get_if<dist::TiledLayer>(&in)) {
    write_layer(*tl, replace_all(uri, "{zoom}", std::to_string(tl->md.zoom.value_or(0))), p, ctx.log);
  } else {
    const auto& pyr = std::get<dist::Pyramid>(in);
    if (pyr.levels.size() > 1 && uri.find("{zoom}") == std::string::npos)
      throw p.error("uri", "a pyramid has several levels: put {zoom} in the uri");
    for (const auto& [z, layer] : pyr.levels) write_layer(layer, replace_all(uri, "{zoom}", std::to_string(z)), p, ctx.log);
  }
  return job::Nothing{};
}

}  // namespace

void register_write_ops(job::Registry& reg) {
  job::OpSpec op;
  op.name = "write_geotiff";
  op.group = "io";
  op.help = "stitch a tiled layer (or each pyramid level) into one tiled, compressed GeoTIFF or COG";
  op.accepts = {job::ValueKind::TiledLayer, job::ValueKind::Pyramid};
  op.produces = job::ValueKind::None;
  op.doc = R"md(## Semantics

GeoPySpark's `save_stitched` / GeoTrellis' `stitch`: the tiles are placed at (col x tile_cols,
row x tile_rows) of the layout grid, and the file covers the layer's data extent snapped outward to
that grid. Tiles that do not exist (a sparse layer) read as NoData. The file's NoData value, data type
and CRS are the layer's.

- The file is tiled (blocks of the layer's tile size when it is a multiple of 16, else 256) and
  compressed with `compression`; `cog: true` writes a Cloud Optimized GeoTIFF with overviews.
- Tiles reach rank 0 in row-major order in rounds of about `round_mb` MiB; GDAL compresses with all of
  rank 0's threads.
- The file is written under a hidden temporary name beside the target and renamed when complete; a
  failure (or a stop) removes it, so no partial file ever looks complete.
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
)md";
  op.params = {
      required(param("uri", ParamType::OutputPath, "output file; {zoom} is replaced by the layer's zoom")),
      with_default(with_choices(param("compression", ParamType::String, "GeoTIFF compression"),
                                {"deflate", "lzw", "zstd", "lzma", "packbits", "none"}),
                   pv_string("deflate")),
      with_default(param("cog", ParamType::Bool, "write a Cloud Optimized GeoTIFF (with overviews)"), pv_bool(false)),
      param("bands", ParamType::Any, "band numbers to write, from 0 (default: all)"),
      with_default(with_range(param("round_mb", ParamType::Int, "MiB of tiles gathered to the writing rank per round"),
                              1, 1 << 20),
                   pv_int(64)),
  };
  op.validate = [](const job::Params& p) {
    if (p.has("bands")) {
      const auto& v = p.raw("bands");
      if (!v.is_list() || v.as_list().empty()) throw p.error("bands", "bands must be a non-empty list of band numbers");
      for (const auto& b : v.as_list())
        if (!b.is_int() || b.as_int() < 0) throw p.error("bands", "band numbers are integers from 0");
    }
  };
  op.run = run_write_geotiff;
  reg.add(std::move(op));
}

}  // namespace trellis::ops
