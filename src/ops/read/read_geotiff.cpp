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
  return json{{"path", i.path},
              {"extent", {i.grid.extent.xmin, i.grid.extent.ymin, i.grid.extent.xmax, i.grid.extent.ymax}},
              {"cols", i.grid.cols},
              {"rows", i.grid.rows},
              {"cell_type", i.cell_type.name()},
              {"block", {i.block_cols, i.block_rows}},
              {"bands", i.bands},
              {"crs", i.crs.valid() ? i.crs.definition() : ""},
              {"datetime", i.datetime}};
}

std::int64_t parse_instant(const std::string& text, const std::string& format, const std::string& path) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), format.c_str(), &tm);
  if (!end)
    throw JobError("cannot parse the time '" + text + "' of '" + path + "' with time_format '" + format +
                   "'");
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

job::StepValue run(job::StepContext& ctx, const ReadGeoTiffArgs& a) {
  const std::vector<std::string> files = io::expand_inputs(a.uri.paths);
  const bool temporal = a.rdd_type == LayerType::Spacetime;
  const std::string time_tag = temporal ? a.time_tag : "";

  // Headers: each file read by one rank, shared with every rank.
  const std::vector<std::string> headers = mpi::allgather_indexed(
      files.size(), [&](std::size_t i) { return info_to_json(io::read_info(files[i], time_tag)).dump(); });

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

  // Windows, in global order: source, then row-major; this rank takes a contiguous share.
  const long max_size = a.max_tile_size;
  std::vector<RasterWindow> windows;
  for (std::size_t si = 0; si < layer.sources.size(); ++si) {
    const auto& g = layer.sources[si].grid;
    for (long r0 = 0; r0 < g.rows; r0 += max_size)
      for (long c0 = 0; c0 < g.cols; c0 += max_size) {
        RasterWindow w;
        w.source = static_cast<int>(si);
        w.col0 = c0;
        w.row0 = r0;
        w.cols = static_cast<int>(std::min(max_size, g.cols - c0));
        w.rows = static_cast<int>(std::min(max_size, g.rows - r0));
        w.ordinal = static_cast<std::uint32_t>(windows.size() + 1);  // 0 is reserved for "never written"
        windows.push_back(w);
      }
  }
  layer.total_windows = windows.size();
  const std::size_t n = windows.size();
  const std::size_t rank = static_cast<std::size_t>(mpi::Runtime::rank()),
                    size = static_cast<std::size_t>(mpi::Runtime::size());
  layer.windows.assign(windows.begin() + static_cast<std::ptrdiff_t>(n * rank / size),
                       windows.begin() + static_cast<std::ptrdiff_t>(n * (rank + 1) / size));
  ctx.log.info("read_geotiff: " + std::to_string(files.size()) + " file(s), " + std::to_string(n) +
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
  GDAL paths (`/vsis3/...`, `/vsicurl/...`, `/vsizip/...`) pass through unchecked.
- Headers are read in parallel (rank r reads files r, r+N, ...) and shared with every rank; windows are
  numbered in (file, row, column) order and each rank takes a contiguous share of them.
- The cell type follows GeoTrellis' GeoTIFF reader: the band type, and the NoData value as constant
  (`int16`, `float32`, ...) or user-defined (`int16ud-9999`, `float32ud-3.4028234663852886E38`); a file
  without NoData gives a raw type (`uint8raw`). UInt32 files are read as `float64`.
- `crs` overrides the files' CRS (and is required for files without one).
- `rdd_type: spacetime` reads each file's instant from the metadata item `time_tag`, parsed with
  `time_format` (strptime syntax, UTC).
- Rotated or south-up rasters are rejected; a file that cannot be opened fails the job with status 3.

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
    declare, run)};

}  // namespace

}  // namespace trellis::ops
