#include "io/geotiff.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <glob.h>
#include <ogr_spatialref.h>
#include <sys/statvfs.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>

#include "core/error.hpp"
#include "core/text.hpp"
#include "core/zlib.hpp"
#include "io/object_store.hpp"

namespace trellis::io {

namespace fs = std::filesystem;

void gdal_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    // GDAL's own messages would break trellis' one-line errors: errors are taken from
    // CPLGetLastErrorMsg() and reported by trellis.
    CPLSetErrorHandler(CPLQuietErrorHandler);
    // GDAL's default (5 % of the machine per process) keeps every block a rank has read: the decoded
    // strips of a large striped input fill it as fast as the tiles themselves. Reading streams
    // windows, so a modest cache suffices; tiling raises it to its working set (ensure_gdal_cache).
    if (!CPLGetConfigOption("GDAL_CACHEMAX", nullptr))
      GDALSetCacheMax64(static_cast<GIntBig>(kDefaultGdalCache));
  });
}

std::uint64_t ensure_gdal_cache(std::uint64_t bytes) {
  gdal_init();
  static std::mutex m;
  std::lock_guard<std::mutex> lock(m);
  const auto now = static_cast<std::uint64_t>(GDALGetCacheMax64());
  if (now >= bytes) return now;
  GDALSetCacheMax64(static_cast<GIntBig>(bytes));
  return bytes;
}

std::string gdal_message(const std::string& fallback) {
  const char* m = CPLGetLastErrorMsg();
  return (m && *m) ? one_line(m) : fallback;
}

namespace {

bool is_vsi_or_url(const std::string& p) {
  return p.rfind("/vsi", 0) == 0 || p.find("://") != std::string::npos;
}

// " (no space left on device)" when the file system of `path` is full, for messages about a failed
// write (libtiff says "Write error at scanline 4294967295", GDAL what it was doing).
std::string disk_full_note(const std::string& path) {
  if (is_vsi_or_url(path)) return {};
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return {};
  return fs.f_bavail == 0 ? " (no space left on device: " + dir.string() + " is full)" : std::string();
}

bool has_raster_extension(const fs::path& p) {
  auto e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), ::tolower);
  return e == ".tif" || e == ".tiff";
}

// A few open datasets per thread: GDAL dataset handles must not be shared between threads.
struct DatasetCache {
  std::list<std::pair<std::string, GDALDatasetUniquePtr>> entries;
  GDALDataset* get(const std::string& path) {
    for (auto it = entries.begin(); it != entries.end(); ++it)
      if (it->first == path) {
        entries.splice(entries.begin(), entries, it);
        return entries.front().second.get();
      }
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
    if (!ds) throw IoError("cannot open raster '" + path + "': " + gdal_message("unknown error"));
    entries.emplace_front(path, std::move(ds));
    if (entries.size() > 8) entries.pop_back();
    return entries.front().second.get();
  }
};

thread_local DatasetCache t_cache;

// Reads a window that is exactly one whole block of a GeoTIFF, in the file's own data type and with one
// block per band (one band, or INTERLEAVE=BAND), by GDALRasterBand::ReadBlock: GDAL decodes each band's
// block straight into the tile. RasterIO would decode it into GDAL's block cache and copy it out: when
// windows follow the blocks (read_geotiff's default) each block is read once, so the cache only cost a
// copy and up to its size (kDefaultGdalCache per rank) of freshly touched memory. Returns false, having
// read nothing, for any other window or file.
bool read_whole_block(const std::string& path, GDALDataset& ds, Tile& t, GDALDataType type, long col0,
                      long row0, int cols, int rows) {
  if (!ds.GetDriver() || !EQUAL(ds.GetDriver()->GetDescription(), "GTiff")) return false;
  const int bands = ds.GetRasterCount();
  if (bands != t.bands()) return false;
  if (bands > 1) {
    const char* il = ds.GetMetadataItem("INTERLEAVE", "IMAGE_STRUCTURE");
    if (!il || !EQUAL(il, "BAND")) return false;
  }
  for (int b = 1; b <= bands; ++b) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    int bw = 0, bh = 0;
    band->GetBlockSize(&bw, &bh);
    if (band->GetRasterDataType() != type || bw != cols || bh != rows || col0 % bw != 0 || row0 % bh != 0 ||
        col0 + cols > band->GetXSize() || row0 + rows > band->GetYSize())
      return false;
  }
  for (int b = 0; b < bands; ++b)
    if (ds.GetRasterBand(b + 1)->ReadBlock(static_cast<int>(col0 / cols), static_cast<int>(row0 / rows),
                                           t.band_data(b)) != CE_None)
      throw IoError("cannot read raster '" + path + "': " + gdal_message("read failed"));
  return true;
}

}  // namespace

std::vector<std::string> expand_inputs(const std::vector<std::string>& uris) {
  std::vector<std::string> out;
  for (const auto& uri : uris) {
    if (is_object_store_path(uri)) {  // s3://, /vsis3/...: a raster, or a "folder" prefix ending in '/'
      const std::string p = gdal_path(uri);
      if (!p.ends_with("/")) {  // (its existence was checked with the job's paths)
        out.push_back(p);
        continue;
      }
      std::vector<std::string> files;
      for (const std::string& name : vsi_list(p.substr(0, p.size() - 1)))
        if (has_raster_extension(name)) files.push_back(p + name);
      if (files.empty()) throw JobError("'" + uri + "' holds no .tif/.tiff files");
      out.insert(out.end(), files.begin(), files.end());
      continue;
    }
    const std::string& u = uri;
    if (is_vsi_or_url(u)) {
      out.push_back(u);
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(u, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(u))
        if (e.is_regular_file() && has_raster_extension(e.path())) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) throw JobError("folder '" + u + "' holds no .tif/.tiff files");
      out.insert(out.end(), files.begin(), files.end());
    } else if (u.find_first_of("*?[") != std::string::npos) {
      glob_t g{};
      int rc = glob(u.c_str(), 0, nullptr, &g);
      std::vector<std::string> files;
      if (rc == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
      globfree(&g);
      if (files.empty()) throw JobError("no file matches '" + u + "'");
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else {
      if (!fs::exists(u, ec)) throw JobError("input file '" + u + "' does not exist");
      out.push_back(u);
    }
  }
  return out;
}

CellType cell_type_for_gdal(int gdal_type, std::optional<double> nodata, bool signed_byte) {
  CellType ct;
  switch (static_cast<GDALDataType>(gdal_type)) {
    case GDT_Byte:
      ct.kind = signed_byte ? CellKind::Int8 : CellKind::UInt8;
      break;
    case GDT_UInt16:
      ct.kind = CellKind::UInt16;
      break;
    case GDT_Int16:
      ct.kind = CellKind::Int16;
      break;
    case GDT_Int32:
      ct.kind = CellKind::Int32;
      break;
    case GDT_Float32:
      ct.kind = CellKind::Float32;
      break;
    case GDT_UInt32:  // no unsigned 32-bit cell type in GeoTrellis: widen losslessly
    case GDT_Float64:
      ct.kind = CellKind::Float64;
      break;
    default:
      throw JobError(std::string("unsupported raster data type ") +
                     GDALGetDataTypeName(static_cast<GDALDataType>(gdal_type)));
  }
  if (!nodata) {
    ct.mode = NoDataMode::Raw;
    return ct;
  }
  double nd = *nodata;
  if (ct.is_float() && std::isnan(nd)) {
    ct.mode = NoDataMode::Constant;
    return ct;
  }
  CellType constant{ct.kind, NoDataMode::Constant, 0};
  if (!ct.is_float() && constant.nodata() == nd) {
    ct.mode = NoDataMode::Constant;
    return ct;
  }
  if (ct.kind == CellKind::Float32) nd = static_cast<float>(nd);
  ct.mode = NoDataMode::UserDefined;
  ct.user_nodata = nd;
  return ct;
}

int gdal_type_for(const CellType& ct) {
  switch (ct.kind) {
    case CellKind::Bool:
    case CellKind::Int8:
    case CellKind::UInt8:
      return GDT_Byte;
    case CellKind::Int16:
      return GDT_Int16;
    case CellKind::UInt16:
      return GDT_UInt16;
    case CellKind::Int32:
      return GDT_Int32;
    case CellKind::Float32:
      return GDT_Float32;
    case CellKind::Float64:
      return GDT_Float64;
  }
  return GDT_Unknown;
}

namespace {

// Collects the cells of `r` (in units of `unit` cells) that may hold data: a part every band calls
// empty is skipped, a part no band calls partly empty is taken whole, and the rest is split in four.
void cover(GDALDataset& ds, const GridBounds& r, long unit, std::vector<GridBounds>& out) {
  const long cols = ds.GetRasterXSize(), rows = ds.GetRasterYSize();
  const GridBounds cells{r.col_min * unit, r.row_min * unit, std::min((r.col_max + 1) * unit, cols) - 1,
                         std::min((r.row_max + 1) * unit, rows) - 1};
  bool any_data = false, any_empty = false;
  for (int b = 1; b <= ds.GetRasterCount(); ++b) {
    const int st = GDALGetDataCoverageStatus(ds.GetRasterBand(b), static_cast<int>(cells.col_min),
                                             static_cast<int>(cells.row_min), static_cast<int>(cells.width()),
                                             static_cast<int>(cells.height()), 0, nullptr);
    any_data |= st != GDAL_DATA_COVERAGE_STATUS_EMPTY;
    any_empty |= (st & GDAL_DATA_COVERAGE_STATUS_EMPTY) != 0;
  }
  if (!any_data) return;
  if (!any_empty || r.size() == 1) {
    out.push_back(cells);
    return;
  }
  const long cm = r.col_min + (r.width() - 1) / 2, rm = r.row_min + (r.height() - 1) / 2;
  for (const GridBounds& q :
       {GridBounds{r.col_min, r.row_min, cm, rm}, GridBounds{cm + 1, r.row_min, r.col_max, rm},
        GridBounds{r.col_min, rm + 1, cm, r.row_max}, GridBounds{cm + 1, rm + 1, r.col_max, r.row_max}})
    if (!q.empty()) cover(ds, q, unit, out);
}

// The cells of a raster that may hold data, by GDAL's data coverage (GDALGetDataCoverageStatus: a
// VRT's sources, a sparse GeoTIFF's written blocks): disjoint rectangles of cells aligned to multiples
// of `unit` (clipped to the raster), in a deterministic order, found by halving the raster where it
// is partly empty. Empty when the raster holds no data; the whole raster when the driver cannot tell.
std::vector<GridBounds> data_coverage(GDALDataset& ds, long unit) {
  const long cols = ds.GetRasterXSize(), rows = ds.GetRasterYSize();
  std::vector<GridBounds> out;
  if (cols < 1 || rows < 1 || unit < 1) return out;
  cover(ds, {0, 0, (cols - 1) / unit, (rows - 1) / unit}, unit, out);
  return out;
}

}  // namespace

RasterInfo read_info(const std::string& path, const std::string& time_tag, long coverage_unit) {
  gdal_init();
  CPLErrorReset();
  // A local file the process cannot read: say so (GDAL would say "not a raster it can read").
  if (!is_vsi_or_url(path) && ::access(path.c_str(), R_OK) != 0)
    throw IoError("cannot open raster '" + path + "': " + std::strerror(errno));
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw IoError("cannot open raster '" + path + "': " + gdal_message("not a raster GDAL can read"));
  RasterInfo info;
  info.path = path;
  info.bands = ds->GetRasterCount();
  if (info.bands < 1) throw IoError("raster '" + path + "' has no bands");
  double gt[6];
  if (ds->GetGeoTransform(gt) != CE_None)
    throw IoError("raster '" + path + "' has no geotransform (not georeferenced)");
  if (gt[2] != 0.0 || gt[4] != 0.0)
    throw IoError("raster '" + path + "' is rotated; only north-up rasters are read");
  if (gt[5] >= 0) throw IoError("raster '" + path + "' is not north-up (positive pixel height)");
  long cols = ds->GetRasterXSize(), rows = ds->GetRasterYSize();
  info.grid = GridExtent{{gt[0], gt[3] + rows * gt[5], gt[0] + cols * gt[1], gt[3]}, cols, rows};
  if (const OGRSpatialReference* srs = ds->GetSpatialRef()) {
    OGRSpatialReference s(*srs);
    const char* auth = s.GetAuthorityName(nullptr);
    const char* code = s.GetAuthorityCode(nullptr);
    if (!(auth && code)) {
      s.AutoIdentifyEPSG();
      auth = s.GetAuthorityName(nullptr);
      code = s.GetAuthorityCode(nullptr);
    }
    if (auth && code && EQUAL(auth, "EPSG")) {
      info.crs = Crs::from_epsg(std::atoi(code));
    } else {
      char* wkt = nullptr;
      const char* opts[] = {"FORMAT=WKT2_2019", nullptr};
      s.exportToWkt(&wkt, opts);
      std::string w = wkt ? wkt : "";
      CPLFree(wkt);
      if (!w.empty()) info.crs = Crs::from_wkt(w);
    }
  }
  auto* band = ds->GetRasterBand(1);
  int has_nd = 0;
  double nd = band->GetNoDataValue(&has_nd);
  const char* pixeltype = band->GetMetadataItem("PIXELTYPE", "IMAGE_STRUCTURE");
  bool signed_byte = pixeltype && EQUAL(pixeltype, "SIGNEDBYTE");
  try {
    info.cell_type = cell_type_for_gdal(band->GetRasterDataType(),
                                        has_nd ? std::optional<double>(nd) : std::nullopt, signed_byte);
  } catch (const JobError& e) {
    throw JobError("raster '" + path + "': " + e.what());
  }
  band->GetBlockSize(&info.block_cols, &info.block_rows);
  if (!time_tag.empty()) {
    const char* v = ds->GetMetadataItem(time_tag.c_str());
    if (v) info.datetime = v;
  }
  if (coverage_unit > 0 && (cols > coverage_unit || rows > coverage_unit)) {
    auto cover = data_coverage(*ds, coverage_unit);
    if (!(cover.size() == 1 && cover.front() == GridBounds{0, 0, cols - 1, rows - 1}))
      info.data_cells = std::move(cover);
  }
  return info;
}

Tile read_window(const std::string& path, const CellType& ct, int bands, long col0, long row0, int cols,
                 int rows) {
  gdal_init();
  GDALDataset* ds = t_cache.get(path);
  Tile t = Tile::uninitialized(ct, cols, rows, bands);  // the read fills every cell, or throws
  if (cols == 0 || rows == 0) return t;
  auto type = static_cast<GDALDataType>(gdal_type_for(ct));
  CPLErrorReset();
  if (read_whole_block(path, *ds, t, type, col0, row0, cols, rows)) return t;
  int bytes = ct.bytes();
  std::vector<int> band_list(bands);
  for (int b = 0; b < bands; ++b) band_list[b] = b + 1;
  CPLErr err =
      ds->RasterIO(GF_Read, static_cast<int>(col0), static_cast<int>(row0), cols, rows, t.raw().data(), cols,
                   rows, type, bands, band_list.data(), bytes, static_cast<GSpacing>(cols) * bytes,
                   static_cast<GSpacing>(cols) * rows * bytes, nullptr);
  if (err != CE_None) throw IoError("cannot read raster '" + path + "': " + gdal_message("read failed"));
  return t;
}

Tile read_window(const RasterLayer& layer, const RasterWindow& w) {
  const RasterSource& s = layer.sources.at(w.source);
  return read_window(s.path, s.cell_type, s.bands, w.col0, w.row0, w.cols, w.rows);
}

namespace {

// The stored bytes of the blocks of `ds` under cells [c0, c1) x [r0, r1), each block weighted by the share
// of its cells inside; nullopt when the driver does not tell (not a GeoTIFF).
std::optional<double> stored_bytes(GDALDataset& ds, long c0, long r0, long c1, long r1) {
  if (!ds.GetDriver() || !EQUAL(ds.GetDriver()->GetDescription(), "GTiff")) return std::nullopt;
  // Pixel-interleaved bands share each block; band-interleaved ones have a block each.
  const char* il = ds.GetMetadataItem("INTERLEAVE", "IMAGE_STRUCTURE");
  const int planes = ds.GetRasterCount() > 1 && il && EQUAL(il, "BAND") ? ds.GetRasterCount() : 1;
  double bytes = 0;
  for (int b = 1; b <= planes; ++b) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    int bw = 0, bh = 0;
    band->GetBlockSize(&bw, &bh);
    if (bw < 1 || bh < 1) return std::nullopt;
    for (long by = r0 / bh; by * bh < r1; ++by)
      for (long bx = c0 / bw; bx * bw < c1; ++bx) {
        // The block's cells inside the raster (edge blocks are stored whole), and those in the window.
        const long x0 = bx * bw, x1 = std::min<long>((bx + 1) * bw, band->GetXSize());
        const long y0 = by * bh, y1 = std::min<long>((by + 1) * bh, band->GetYSize());
        const long ix = std::min(c1, x1) - std::max(c0, x0), iy = std::min(r1, y1) - std::max(r0, y0);
        const std::string item = "BLOCK_SIZE_" + std::to_string(bx) + "_" + std::to_string(by);
        // nullptr: a block a sparse file never wrote, which reads as NoData without any I/O.
        const char* size = band->GetMetadataItem(item.c_str(), "TIFF");
        if (size)
          bytes += std::strtod(size, nullptr) * static_cast<double>(ix * iy) /
                   static_cast<double>((x1 - x0) * (y1 - y0));
      }
  }
  return bytes;
}

}  // namespace

std::vector<std::uint64_t> read_costs(const RasterLayer& layer, std::span<const RasterWindow> windows) {
  gdal_init();
  std::vector<std::uint64_t> out;
  out.reserve(windows.size());
  for (const RasterWindow& w : windows) {
    const RasterSource& s = layer.sources.at(w.source);
    const std::optional<double> stored =
        stored_bytes(*t_cache.get(s.path), w.col0, w.row0, w.col0 + w.cols, w.row0 + w.rows);
    out.push_back(stored ? static_cast<std::uint64_t>(std::llround(*stored))
                         : static_cast<std::uint64_t>(w.cols) * static_cast<std::uint64_t>(w.rows) *
                               static_cast<std::uint64_t>(s.bands * s.cell_type.bytes()));
  }
  return out;
}

void remove_quietly(const std::string& path) {
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) == 0) VSIUnlink(path.c_str());
}

namespace {

std::string compression_name(const std::string& c) {
  std::string u = c;
  std::transform(u.begin(), u.end(), u.begin(), ::toupper);
  return u;
}

// A hidden temporary beside the target; for a GDAL virtual path (/vsis3/..., /vsimem/...), a local file
// in GDAL's temporary folder (CPL_TMPDIR: the site's scratch), copied to the target when complete.
std::string temp_path_for(const std::string& path, const std::string& tag) {
  fs::path p(path);
  const std::string name = "." + p.filename().string() + ".trellis-" + tag + "-" + std::to_string(getpid());
  if (!is_vsi_or_url(path)) return (p.parent_path() / name).string();
  const char* dir = CPLGetConfigOption("CPL_TMPDIR", nullptr);
  return (fs::path(dir && *dir ? dir : fs::temp_directory_path().string()) / name).string();
}

// Streams a local file to a GDAL path (object stores take sequential writes).
void copy_to_vsi(const std::string& from, const std::string& to) {
  VSILFILE* in = VSIFOpenL(from.c_str(), "rb");
  CPLErrorReset();
  VSILFILE* out = in ? VSIFOpenL(to.c_str(), "wb") : nullptr;
  bool ok = in && out;
  std::vector<char> buf(std::size_t{8} << 20);
  while (ok) {
    const std::size_t n = VSIFReadL(buf.data(), 1, buf.size(), in);
    if (n == 0) break;
    ok = VSIFWriteL(buf.data(), 1, n, out) == n;
  }
  if (out && VSIFCloseL(out) != 0) ok = false;
  if (in) VSIFCloseL(in);
  if (!ok) {
    remove_quietly(to);
    throw IoError("cannot write '" + to + "': " + gdal_message("copy failed") + disk_full_note(to));
  }
}

// The GTiff creation options that decide how blocks are encoded: the same for the encoder's in-memory
// files and the written file, so encoded blocks can move from one to the other. A COG is written as
// an uncompressed tiled GeoTIFF first, then translated (and compressed) by GDAL's COG driver.
CPLStringList block_options(const CellType& ct, const GeoTiffOptions& opts) {
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", std::to_string(opts.block_size).c_str());
  co.SetNameValue("BLOCKYSIZE", std::to_string(opts.block_size).c_str());
  co.SetNameValue("INTERLEAVE", "PIXEL");
  co.SetNameValue("COMPRESS", opts.cog ? "NONE" : compression_name(opts.compression).c_str());
  if (ct.kind == CellKind::Int8) co.SetNameValue("PIXELTYPE", "SIGNEDBYTE");
  if (ct.kind == CellKind::Bool) co.SetNameValue("NBITS", "1");
  return co;
}

std::atomic<std::uint64_t> g_encoder_files{0};

// Calls libtiff with a per-file error handler that keeps the first message.
struct TiffErrors {
  std::string first;
  static int on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
    auto* self = static_cast<TiffErrors*>(user);
    if (self->first.empty()) {
      char buf[512];
      std::vsnprintf(buf, sizeof buf, fmt, ap);
      self->first = (module && *module ? std::string(module) + ": " : std::string()) + buf;
    }
    return 1;  // handled: libtiff's global handler (GDAL's) is not called
  }
};

}  // namespace

BlockEncoder::BlockEncoder(const CellType& ct, int bands, const GeoTiffOptions& opts)
    : ct_(ct), bands_(bands), opts_(opts) {
  gdal_init();
}

namespace {

// libtiff, which GDAL writes GeoTIFF with, compresses a DEFLATE block with libdeflate at this level for
// GDAL's default ZLEVEL (6): the level whose streams are GDAL's byte for byte, for every cell type
// (BlockEncoder.BlocksAreWhatGdalWrites).
constexpr int kGdalDeflateLevel = 7;

// A tile's cells as a pixel-interleaved block (INTERLEAVE=PIXEL), in the machine's byte order (GDAL
// writes little-endian TIFF files on x86-64 and ARM64 alike: native).
std::span<const std::byte> pixel_interleaved(const Tile& t, std::vector<std::byte>& scratch) {
  const std::size_t bytes = static_cast<std::size_t>(t.cell_type().bytes()),
                    bands = static_cast<std::size_t>(t.bands());
  const std::size_t cells = static_cast<std::size_t>(t.cols()) * static_cast<std::size_t>(t.rows());
  if (bands == 1) return {t.band_data(0), cells * bytes};
  scratch.resize(cells * bands * bytes);
  for (std::size_t band = 0; band < bands; ++band) {
    const std::byte* src = t.band_data(static_cast<int>(band));
    for (std::size_t k = 0; k < cells; ++k)
      std::memcpy(scratch.data() + (k * bands + band) * bytes, src + k * bytes, bytes);
  }
  return scratch;
}

}  // namespace

std::vector<std::vector<std::byte>> BlockEncoder::encode(const std::vector<const Tile*>& tiles) const {
  std::vector<std::vector<std::byte>> out;
  if (tiles.empty()) return out;
  const int b = opts_.block_size;
  const int n = static_cast<int>(tiles.size());
  for (const Tile* t : tiles)
    if (t->cols() != b || t->rows() != b || t->bands() != bands_ || !(t->cell_type() == ct_))
      throw std::invalid_argument("BlockEncoder: a tile is not a block of the encoder's shape and cell type");
  // DEFLATE, the default, straight to libdeflate as libtiff would call it: the same bytes, without
  // GDAL's in-memory file and block cache in between (a quarter of the encoding time).
  if (compresses_with_libdeflate()) {
    std::vector<std::byte> scratch, stream;
    out.reserve(tiles.size());
    for (const Tile* t : tiles) {
      const std::size_t len = zlib_compress_into(pixel_interleaved(*t, scratch), kGdalDeflateLevel, stream);
      out.emplace_back(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(len));
    }
    return out;
  }
  const std::string path = "/vsimem/trellis-blocks-" + std::to_string(getpid()) + "-" +
                           std::to_string(g_encoder_files.fetch_add(1)) + ".tif";
  auto* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const auto type = static_cast<GDALDataType>(gdal_type_for(ct_));
  const int bytes = ct_.bytes();
  struct Unlink {
    const std::string& p;
    ~Unlink() { VSIUnlink(p.c_str()); }
  } unlink{path};
  // A column of n blocks: block i holds tile i.
  CPLErrorReset();
  GDALDatasetUniquePtr ds(
      drv->Create(path.c_str(), b, b * n, bands_, type, block_options(ct_, opts_).List()));
  if (!ds)
    throw IoError("cannot encode GeoTIFF blocks: " + gdal_message("in-memory GeoTIFF creation failed"));
  for (int i = 0; i < n; ++i) {
    const Tile& t = *tiles[i];
    if (ds->RasterIO(GF_Write, 0, i * b, b, b, const_cast<std::byte*>(t.band_data(0)), b, b, type, bands_,
                     nullptr, bytes, static_cast<GSpacing>(b) * bytes, static_cast<GSpacing>(b) * b * bytes,
                     nullptr) != CE_None)
      throw IoError("cannot encode GeoTIFF blocks: " + gdal_message("write failed"));
  }
  // Flushed, the blocks are in the in-memory file and GDAL knows where (no need to close and reopen).
  ds->FlushCache(false);
  vsi_l_offset len = 0;
  const GByte* mem = VSIGetMemFileBuffer(path.c_str(), &len, FALSE);
  if (!mem) throw IoError("cannot encode GeoTIFF blocks: " + gdal_message("in-memory GeoTIFF unreadable"));
  GDALRasterBand* band = ds->GetRasterBand(1);
  out.reserve(n);
  for (int i = 0; i < n; ++i) {
    const std::string id = "_0_" + std::to_string(i);
    const char* off = band->GetMetadataItem(("BLOCK_OFFSET" + id).c_str(), "TIFF");
    const char* size = band->GetMetadataItem(("BLOCK_SIZE" + id).c_str(), "TIFF");
    const std::uint64_t o = off ? std::strtoull(off, nullptr, 10) : 0,
                        s = size ? std::strtoull(size, nullptr, 10) : 0;
    // Uncompressed, GDAL leaves an all-zero block unwritten until the file is closed: its bytes are zeros.
    if (o == 0 && s == 0 && (opts_.cog || opts_.compression == "none")) {
      const std::size_t cells = static_cast<std::size_t>(b) * b * bands_;
      out.emplace_back(ct_.kind == CellKind::Bool ? cells / 8 : cells * bytes, std::byte{0});
      continue;
    }
    if (o == 0 || s == 0 || o + s > len)
      throw IoError("cannot encode GeoTIFF blocks: GDAL did not store block " + id);
    const auto* p = reinterpret_cast<const std::byte*>(mem + o);
    out.emplace_back(p, p + s);
  }
  return out;
}

struct GeoTiffWriter::Impl {
  std::string final_path, tmp_path;
  TIFF* tif = nullptr;
  TiffErrors errors;
  GridExtent grid;
  CellType ct;
  int bands = 1;
  GeoTiffOptions opts;
  long across = 0, down = 0;
  std::vector<bool> written;
  bool committed = false;

  void close_tiff() {
    if (tif) TIFFClose(tif);
    tif = nullptr;
  }
  IoError failure(const std::string& what) const {
    return IoError("cannot write '" + final_path + "': " + (errors.first.empty() ? what : errors.first) +
                   disk_full_note(final_path));
  }
};

GeoTiffWriter::GeoTiffWriter(const std::string& path, const GridExtent& grid, const Crs& crs,
                             const CellType& ct, int bands, const GeoTiffOptions& opts)
    : impl_(std::make_unique<Impl>()), path_(path) {
  gdal_init();
  Impl& m = *impl_;
  m.final_path = gdal_path(path);
  m.grid = grid;
  m.ct = ct;
  m.bands = bands;
  m.opts = opts;
  m.across = (grid.cols + opts.block_size - 1) / opts.block_size;
  m.down = (grid.rows + opts.block_size - 1) / opts.block_size;
  m.written.assign(static_cast<std::size_t>(m.across * m.down), false);
  fs::path parent = fs::path(path).parent_path();
  if (!is_vsi_or_url(path) && !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw IoError("cannot create folder '" + parent.string() + "': " + ec.message());
  }
  m.tmp_path = temp_path_for(path, "tmp");
  // GDAL writes the header (georeferencing, NoData, layout) and no block (SPARSE_OK); libtiff then
  // appends the encoded blocks.
  {
    auto* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
    CPLStringList co = block_options(ct, opts);
    co.SetNameValue("SPARSE_OK", "TRUE");
    co.SetNameValue("BIGTIFF", "IF_SAFER");
    CPLErrorReset();
    GDALDatasetUniquePtr ds(drv->Create(m.tmp_path.c_str(), static_cast<int>(grid.cols),
                                        static_cast<int>(grid.rows), bands,
                                        static_cast<GDALDataType>(gdal_type_for(ct)), co.List()));
    if (!ds) throw IoError("cannot create '" + path + "': " + gdal_message("GeoTIFF creation failed"));
    double gt[6] = {grid.extent.xmin, grid.cell_width(), 0, grid.extent.ymax, 0, -grid.cell_height()};
    ds->SetGeoTransform(gt);
    if (crs.valid()) {
      OGRSpatialReference srs;
      srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
      if (srs.SetFromUserInput(crs.wkt().c_str()) == OGRERR_NONE) ds->SetSpatialRef(&srs);
    }
    if (ct.has_nodata())
      for (int b = 1; b <= bands; ++b) ds->GetRasterBand(b)->SetNoDataValue(ct.nodata());
    ds->FlushCache(true);
    ds.reset();
    if (CPLGetLastErrorType() >= CE_Failure) {
      remove_quietly(m.tmp_path);
      throw IoError("cannot create '" + path + "': " + gdal_message("GeoTIFF creation failed"));
    }
  }
  TIFFOpenOptions* oo = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(oo, &TiffErrors::on_error, &m.errors);
  m.tif = TIFFOpenExt(m.tmp_path.c_str(), "r+", oo);
  TIFFOpenOptionsFree(oo);
  if (!m.tif) {
    remove_quietly(m.tmp_path);
    throw m.failure("cannot reopen the new GeoTIFF");
  }
}

GeoTiffWriter::~GeoTiffWriter() {
  if (impl_ && !impl_->committed) {
    impl_->close_tiff();
    remove_quietly(impl_->tmp_path);
  }
}

long GeoTiffWriter::blocks_across() const {
  return impl_->across;
}
long GeoTiffWriter::blocks_down() const {
  return impl_->down;
}

void GeoTiffWriter::write_block(long bx, long by, std::span<const std::byte> encoded) {
  Impl& m = *impl_;
  if (bx < 0 || by < 0 || bx >= m.across || by >= m.down)
    throw std::out_of_range("GeoTiffWriter: block (" + std::to_string(bx) + ", " + std::to_string(by) +
                            ") is outside the file");
  const auto index = static_cast<std::size_t>(by * m.across + bx);
  if (TIFFWriteRawTile(m.tif, static_cast<std::uint32_t>(index), const_cast<std::byte*>(encoded.data()),
                       static_cast<tmsize_t>(encoded.size())) < 0)
    throw m.failure("block write failed");
  m.written[index] = true;
}

void GeoTiffWriter::commit() {
  Impl& m = *impl_;
  if (std::find(m.written.begin(), m.written.end(), false) != m.written.end()) {
    Tile empty(m.ct, m.opts.block_size, m.opts.block_size, m.bands);
    const auto fill = BlockEncoder(m.ct, m.bands, m.opts).encode({&empty}).front();
    for (long by = 0; by < m.down; ++by)
      for (long bx = 0; bx < m.across; ++bx)
        if (!m.written[static_cast<std::size_t>(by * m.across + bx)]) write_block(bx, by, fill);
  }
  const bool flushed = TIFFFlush(m.tif) == 1;
  m.close_tiff();
  if (!flushed || !m.errors.first.empty()) throw m.failure("close failed");
  std::string written = m.tmp_path;
  if (m.opts.cog) {
    std::string cog_tmp = temp_path_for(m.final_path, "cog");
    CPLStringList args;
    for (const std::string& a : {std::string("-of"), std::string("COG"), std::string("-co"),
                                 "COMPRESS=" + compression_name(m.opts.compression), std::string("-co"),
                                 "BLOCKSIZE=" + std::to_string(m.opts.block_size), std::string("-co"),
                                 "NUM_THREADS=" + std::to_string(std::max(1, m.opts.threads)),
                                 std::string("-co"), std::string("BIGTIFF=IF_SAFER")})
      args.AddString(a.c_str());
    GDALTranslateOptions* o = GDALTranslateOptionsNew(args.List(), nullptr);
    CPLErrorReset();
    GDALDatasetH src = GDALOpen(written.c_str(), GA_ReadOnly);
    int usage_error = 0;
    GDALDatasetH out = src ? GDALTranslate(cog_tmp.c_str(), src, o, &usage_error) : nullptr;
    GDALTranslateOptionsFree(o);
    bool ok = out != nullptr;
    if (out) {
      CPLErrorReset();
      GDALClose(out);
      ok = CPLGetLastErrorType() < CE_Failure;
    }
    if (src) GDALClose(src);
    remove_quietly(written);
    if (!ok) {
      remove_quietly(cog_tmp);
      throw IoError("cannot write COG '" + m.final_path + "': " + gdal_message("translation failed") +
                    disk_full_note(m.final_path));
    }
    written = cog_tmp;
  }
  if (is_vsi_or_url(m.final_path)) {
    copy_to_vsi(written, m.final_path);
    remove_quietly(written);
    m.committed = true;
    return;
  }
  std::error_code ec;
  fs::rename(written, m.final_path, ec);
  if (ec) {
    remove_quietly(written);
    throw IoError("cannot move the output into place at '" + m.final_path + "': " + ec.message());
  }
  m.committed = true;
}

}  // namespace trellis::io
