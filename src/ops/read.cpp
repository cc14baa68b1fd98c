// read_geotiff: an untiled raster layer from GeoTIFF files (any GDAL raster). Headers are read in
// parallel (each rank a share of the files) and shared; each rank then owns a contiguous share of the
// windows (at most max_tile_size on a side) and reads them only when a later step streams them.
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "io/geotiff.hpp"
#include "job/context.hpp"
#include "mpi/reduce.hpp"
#include "mpi/runtime.hpp"
#include "ops/families.hpp"
#include "ops/param_helpers.hpp"

namespace trellis::ops {

using job::ParamType;
using nlohmann::json;

namespace {

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

job::StepValue run_read_geotiff(job::StepContext& ctx) {
  const auto& p = ctx.params;
  std::vector<std::string> files = io::expand_inputs(p.get_strings("uri"));
  bool temporal = p.get_string("rdd_type") == "spacetime";
  std::string time_tag = temporal ? p.get_string("time_tag") : "";
  const int rank = mpi::Runtime::rank(), size = mpi::Runtime::size();

  // Headers: rank r reads files r, r+size, ...; everyone gets all of them.
  std::string mine;
  {
    json arr = json::array();
    for (std::size_t i = rank; i < files.size(); i += size)
      arr.push_back(info_to_json(io::read_info(files[i], time_tag)));
    mine = arr.dump();
  }
  std::vector<std::string> all = mpi::allgather_strings(mine);
  std::vector<json> infos(files.size());
  for (int r = 0; r < size; ++r) {
    json arr = json::parse(all[r]);
    for (std::size_t k = 0; k < arr.size(); ++k) infos[r + k * size] = arr[k];
  }

  RasterLayer layer;
  layer.temporal = temporal;
  std::optional<Crs> crs_override;
  if (p.has("crs")) crs_override = Crs::from_user(p.get_string("crs"));
  std::map<std::string, Crs> crs_cache;
  for (const json& j : infos) {
    RasterSource s;
    s.path = j["path"];
    auto e = j["extent"];
    s.grid = GridExtent{{e[0], e[1], e[2], e[3]}, j["cols"].get<long>(), j["rows"].get<long>()};
    s.cell_type = CellType::parse(j["cell_type"].get<std::string>());
    s.block_cols = j["block"][0];
    s.block_rows = j["block"][1];
    s.bands = j["bands"];
    std::string crs = j["crs"];
    if (crs_override) {
      s.crs = *crs_override;
    } else if (crs.empty()) {
      throw p.error("uri", "'" + s.path + "' has no CRS; give one with the `crs` parameter");
    } else {
      auto it = crs_cache.find(crs);
      if (it == crs_cache.end()) it = crs_cache.emplace(crs, Crs::from_user(crs)).first;
      s.crs = it->second;
    }
    if (temporal) {
      std::string dt = j["datetime"];
      if (dt.empty()) throw p.error("time_tag", "'" + s.path + "' has no metadata item '" + time_tag + "'");
      s.instant = parse_instant(dt, p.get_string("time_format"), s.path);
    }
    layer.sources.push_back(std::move(s));
  }

  // Windows, in global order: source, then row-major; this rank takes a contiguous share.
  long max_size = p.get_int("max_tile_size");
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
  std::size_t n = windows.size();
  std::size_t begin = n * rank / size, end = n * (rank + 1) / size;
  layer.windows.assign(windows.begin() + begin, windows.begin() + end);
  ctx.log.info("read_geotiff: " + std::to_string(files.size()) + " file(s), " + std::to_string(n) +
               " window(s)");
  return layer;
}

}  // namespace

void register_read_ops(job::Registry& reg) {
  job::OpSpec op;
  op.name = "read_geotiff";
  op.group = "io";
  op.help = "read GeoTIFFs (file, folder, glob or list; any GDAL path) as an untiled raster layer";
  op.inputs = job::Inputs::None;
  op.produces = job::ValueKind::RasterLayer;
  op.doc = R"md(## Semantics

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
)md";
  op.params = {
      required(param("uri", ParamType::InputPath,
                     "file, folder, glob or list of them; GDAL /vsi paths pass through")),
      with_default(with_choices(param("rdd_type", ParamType::String, "layer type"), {"spatial", "spacetime"}),
                   pv_string("spatial")),
      param("crs", ParamType::Crs, "CRS to use instead of the files' own (EPSG code, PROJ string or WKT)"),
      with_default(with_range(param("max_tile_size", ParamType::Int,
                                    "largest window read at once (cells per side); large files are split"),
                              1, 65536),
                   pv_int(256)),
      with_default(param("time_tag", ParamType::String, "metadata item holding the time (spacetime layers)"),
                   pv_string("TIFFTAG_DATETIME")),
      with_default(param("time_format", ParamType::String, "strptime format of the time tag (UTC)"),
                   pv_string("%Y:%m:%d %H:%M:%S")),
      param("num_partitions", ParamType::Int,
            "accepted for GeoPySpark compatibility and ignored: the layer is split across the MPI ranks"),
  };
  op.run = run_read_geotiff;
  reg.add(std::move(op));
}

}  // namespace trellis::ops
