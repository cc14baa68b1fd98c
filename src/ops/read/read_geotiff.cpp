// read_geotiff: an untiled raster layer from GeoTIFF files (any GDAL raster). Headers are read in
// parallel (each rank a share of the files) and shared; each rank then owns a contiguous share of the
// windows (at most max_tile_size on a side) and reads them only when a later step streams them.
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "io/geotiff.hpp"
#include "job/op.hpp"
#include "mpi/runtime.hpp"
#include "mpi/work.hpp"
#include "ops/registry.hpp"

namespace trellis::ops {

namespace {

using nlohmann::json;

enum class LayerType { Spatial, Spacetime };
constexpr EnumName<LayerType> kLayerTypes[] = {{LayerType::Spatial, "spatial"},
                                               {LayerType::Spacetime, "spacetime"}};
std::span<const EnumName<LayerType>> enum_names(LayerType) {
  return kLayerTypes;
}

struct ReadGeoTiffArgs {
  job::InputPaths uri;
  LayerType rdd_type = LayerType::Spatial;
  std::optional<Crs> crs;
  int max_tile_size = 256;
  std::string time_tag = "TIFFTAG_DATETIME";
  std::string time_format = "%Y:%m:%d %H:%M:%S";
  std::optional<std::int64_t> num_partitions;  // GeoPySpark's; the ranks are the partitions
};

void declare(job::Schema<ReadGeoTiffArgs>& s) {
  using A = ReadGeoTiffArgs;
  s.add("uri", &A::uri, "file, folder, glob or list of them; GDAL /vsi paths pass through").required();
  s.add("rdd_type", &A::rdd_type, "layer type");
  s.add("crs", &A::crs, "CRS to use instead of the files' own (EPSG code, PROJ string or WKT)");
  s.add("max_tile_size", &A::max_tile_size,
        "largest window read at once (cells per side); large files are split")
      .range(1, 65536);
  s.add("time_tag", &A::time_tag, "metadata item holding the time (spacetime layers)");
  s.add("time_format", &A::time_format, "strptime format of the time tag (UTC)");
  s.add("num_partitions", &A::num_partitions,
        "accepted for GeoPySpark compatibility and ignored: the layer is split across the MPI ranks");
}

json info_to_json(const io::RasterInfo& i) {
  json j{{"path", i.path},
         {"extent", {i.grid.extent.xmin, i.grid.extent.ymin, i.grid.extent.xmax, i.grid.extent.ymax}},
         {"cols", i.grid.cols},
         {"rows", i.grid.rows},
         {"cell_type", i.cell_type.name()},
         {"block", {i.block_cols, i.block_rows}},
         {"bands", i.bands},
         {"crs", i.crs.valid() ? i.crs.definition() : ""},
         {"datetime", i.datetime}};
  if (i.data_cells) {
    j["data_cells"] = json::array();
    for (const auto& b : *i.data_cells)
      j["data_cells"].push_back({b.col_min, b.row_min, b.col_max, b.row_max});
  }
  return j;
}

std::int64_t parse_instant(const std::string& text, const std::string& format, const std::string& path) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), format.c_str(), &tm);
  if (!end)
    throw JobError("cannot parse the time '" + text + "' of '" + path + "' with time_format '" + format +
                   "'");
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// The files' headers: each file read by one rank, shared with every rank. Collective. A file that
// cannot be opened or placed (no geotransform, rotated, south-up, an unsupported cell type or CRS), and
// a file without the CRS or time the arguments need, is a JobError at `uri` (or `time_tag`).
RasterLayer read_headers(const job::ArgsAccess& ctx, const ReadGeoTiffArgs& a) {
  const std::vector<std::string> files = io::expand_inputs(a.uri.paths);
  const bool temporal = a.rdd_type == LayerType::Spacetime;
  const std::string time_tag = temporal ? a.time_tag : "";
  const long unit = a.max_tile_size;
  const std::vector<std::string> headers = mpi::allgather_indexed(files.size(), [&](std::size_t i) {
    try {
      // Where a file of several windows holds data (a sparse VRT costs what its data costs).
      return info_to_json(io::read_info(files[i], time_tag, unit)).dump();
    } catch (const Error& e) {
      throw ctx.param_error(&ReadGeoTiffArgs::uri, e.what());
    }
  });

  RasterLayer layer;
  layer.temporal = temporal;
  std::map<std::string, Crs> crs_cache;
  for (const std::string& h : headers) {
    const json j = json::parse(h);
    RasterSource s;
    s.path = j["path"];
    auto e = j["extent"];
    s.grid = GridExtent{{e[0], e[1], e[2], e[3]}, j["cols"].get<long>(), j["rows"].get<long>()};
    s.cell_type = CellType::parse(j["cell_type"].get<std::string>());
    s.block_cols = j["block"][0];
    s.block_rows = j["block"][1];
    s.bands = j["bands"];
    if (j.contains("data_cells")) {
      s.data_cells.emplace();
      for (const auto& b : j["data_cells"]) s.data_cells->push_back({b[0], b[1], b[2], b[3]});
    }
    std::string crs = j["crs"];
    if (a.crs) {
      s.crs = *a.crs;
    } else if (crs.empty()) {
      throw ctx.param_error(&ReadGeoTiffArgs::uri,
                            "'" + s.path + "' has no CRS; give one with the `crs` parameter");
    } else {
      auto it = crs_cache.find(crs);
      if (it == crs_cache.end()) it = crs_cache.emplace(crs, Crs::from_user(crs)).first;
      s.crs = it->second;
    }
    if (temporal) {
      std::string dt = j["datetime"];
      if (dt.empty())
        throw ctx.param_error(&ReadGeoTiffArgs::time_tag,
                              "'" + s.path + "' has no metadata item '" + time_tag + "'");
      s.instant = parse_instant(dt, a.time_format, s.path);
    }
    layer.sources.push_back(std::move(s));
  }
  return layer;
}

// The parts of a source its windows cover: where it may hold data (aligned to the windows), or all of
// it.
std::vector<GridBounds> covered_cells(const RasterSource& s) {
  if (s.data_cells) return *s.data_cells;
  return {GridBounds{0, 0, s.grid.cols - 1, s.grid.rows - 1}};
}

// The windows of cells `b`: at most max_size cells on a side, across x down.
std::pair<std::size_t, std::size_t> windows_in(const GridBounds& b, long max_size) {
  return {static_cast<std::size_t>((b.width() + max_size - 1) / max_size),
          static_cast<std::size_t>((b.height() + max_size - 1) / max_size)};
}

// The windows of a source.
std::size_t windows_of(const RasterSource& s, long max_size) {
  std::size_t n = 0;
  for (const auto& b : covered_cells(s)) {
    const auto [across, down] = windows_in(b, max_size);
    n += across * down;
  }
  return n;
}

job::Shape plan(job::PlanContext& ctx, const ReadGeoTiffArgs& a) {
  job::Shape s;
  s.kind = job::ValueKind::RasterLayer;
  s.raster = read_headers(ctx, a);
  for (const auto& src : s.raster.sources) s.raster.total_windows += windows_of(src, a.max_tile_size);
  return s;
}

job::StepValue run(job::StepContext& ctx, const ReadGeoTiffArgs& a) {
  // The headers the plan read (every rank planned the same), else read now.
  RasterLayer layer = ctx.planned ? ctx.planned->raster : read_headers(ctx, a);
  layer.windows.clear();

  // Windows, in global order: source, part holding data, then row-major; this rank makes only its
  // contiguous share.
  const long max_size = a.max_tile_size;
  std::size_t n = 0;
  for (const auto& src : layer.sources) n += windows_of(src, max_size);
  layer.total_windows = n;
  const std::size_t rank = static_cast<std::size_t>(mpi::Runtime::rank()),
                    size = static_cast<std::size_t>(mpi::Runtime::size());
  const std::size_t lo = n * rank / size, hi = n * (rank + 1) / size;
  std::size_t first = 0;  // the global index of the part's first window
  for (std::size_t si = 0; si < layer.sources.size() && first < hi; ++si) {
    for (const GridBounds& b : covered_cells(layer.sources[si])) {
      const auto [across, down] = windows_in(b, max_size);
      const std::size_t count = across * down;
      for (std::size_t i = std::max(lo, first) - first; first + i < hi && i < count; ++i) {
        RasterWindow w;
        w.source = static_cast<int>(si);
        w.col0 = b.col_min + static_cast<long>(i % across) * max_size;
        w.row0 = b.row_min + static_cast<long>(i / across) * max_size;
        w.cols = static_cast<int>(std::min(max_size, b.col_max + 1 - w.col0));
        w.rows = static_cast<int>(std::min(max_size, b.row_max + 1 - w.row0));
        w.ordinal = static_cast<std::uint32_t>(first + i + 1);  // 0 is reserved for "never written"
        layer.windows.push_back(w);
      }
      first += count;
    }
  }
  ctx.log.info("read_geotiff: " + std::to_string(layer.sources.size()) + " file(s), " + std::to_string(n) +
               " window(s)");
  return layer;
}

const OpRegistration kReadGeoTiff{job::make_op<ReadGeoTiffArgs>(
    {.name = "read_geotiff",
     .group = "io",
     .help = "read GeoTIFFs (file, folder, glob or list; any GDAL path) as an untiled raster layer",
     .doc = R"md(## Semantics

GeoPySpark's `geotiff.get(layer_type, uri, ...)`. The result is an *untiled* raster layer: a list of
source rasters and, on each rank, the windows (at most `max_tile_size` cells on a side) that rank will
read. Nothing is read until a later step streams the windows, so no rank ever holds a whole large file.

- `uri` may be a file, a folder (its `.tif`/`.tiff` files), a glob (`scenes/*.tif`) or a list of them;
  the files are sorted, and that order is the merge order of overlapping rasters in `tile_to_layout`.
  On S3, `s3://bucket/key.tif` (or GDAL's `/vsis3/bucket/key.tif`) is a file, and a prefix ending in
  `/` (`s3://bucket/scenes/`) stands for its `.tif`/`.tiff` objects; their existence is checked when
  the job is validated (docs/s3.md). Other GDAL paths (`/vsicurl/...`, `/vsizip/...`) pass through
  unchecked.
- Headers are read in parallel (rank r reads files r, r+N, ...) and shared with every rank; windows are
  numbered in (file, row, column) order and each rank takes a contiguous share of them.
- The cell type follows GeoTrellis' GeoTIFF reader: the band type, and the NoData value as constant
  (`int16`, `float32`, ...) or user-defined (`int16ud-9999`, `float32ud-3.4028234663852886E38`); a file
  without NoData gives a raw type (`uint8raw`). UInt32 files are read as `float64`.
- `crs` overrides the files' CRS (and is required for files without one).
- `rdd_type: spacetime` reads each file's instant from the metadata item `time_tag`, parsed with
  `time_format` (strptime syntax, UTC).
- The headers are read when the job is planned, before any step runs (`trellis validate` reads them
  too): a file that cannot be opened, has no geotransform, is rotated or south-up, has an unsupported
  cell type (complex, 64-bit integers) or a CRS that is not horizontal (vertical, geocentric) is refused
  with status 2 at `uri`. A file that fails while its cells are read fails the job with status 3.

## Example

```yaml
- id: scenes
  op: read_geotiff
  uri: ${DATA}/scenes/*.tif
  max_tile_size: 512
```
)md",
     .inputs = job::Inputs::None,
     .produces = job::ValueKind::RasterLayer},
    declare, run, plan)};

}  // namespace

}  // namespace trellis::ops
