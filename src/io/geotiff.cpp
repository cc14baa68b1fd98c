#include "io/geotiff.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gdal_utils.h>
#include <glob.h>
#include <ogr_spatialref.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>

#include "core/error.hpp"

namespace trellis::io {

namespace fs = std::filesystem;

void gdal_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    // GDAL's own messages would break trellis' one-line errors: errors are taken from
    // CPLGetLastErrorMsg() and reported by trellis.
    CPLSetErrorHandler(CPLQuietErrorHandler);
  });
}

namespace {

std::string gdal_message(const std::string& fallback) {
  const char* m = CPLGetLastErrorMsg();
  return (m && *m) ? std::string(m) : fallback;
}

bool is_vsi_or_url(const std::string& p) {
  return p.rfind("/vsi", 0) == 0 || p.find("://") != std::string::npos;
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

}  // namespace

std::vector<std::string> expand_inputs(const std::vector<std::string>& uris) {
  std::vector<std::string> out;
  for (const auto& u : uris) {
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
    case GDT_Byte: ct.kind = signed_byte ? CellKind::Int8 : CellKind::UInt8; break;
    case GDT_UInt16: ct.kind = CellKind::UInt16; break;
    case GDT_Int16: ct.kind = CellKind::Int16; break;
    case GDT_Int32: ct.kind = CellKind::Int32; break;
    case GDT_Float32: ct.kind = CellKind::Float32; break;
    case GDT_UInt32:  // no unsigned 32-bit cell type in GeoTrellis: widen losslessly
    case GDT_Float64: ct.kind = CellKind::Float64; break;
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
    case CellKind::UInt8: return GDT_Byte;
    case CellKind::Int16: return GDT_Int16;
    case CellKind::UInt16: return GDT_UInt16;
    case CellKind::Int32: return GDT_Int32;
    case CellKind::Float32: return GDT_Float32;
    case CellKind::Float64: return GDT_Float64;
  }
  return GDT_Unknown;
}

RasterInfo read_info(const std::string& path, const std::string& time_tag) {
  gdal_init();
  CPLErrorReset();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds) throw IoError("cannot open raster '" + path + "': " + gdal_message("not a raster GDAL can read"));
  RasterInfo info;
  info.path = path;
  info.bands = ds->GetRasterCount();
  if (info.bands < 1) throw IoError("raster '" + path + "' has no bands");
  double gt[6];
  if (ds->GetGeoTransform(gt) != CE_None)
    throw IoError("raster '" + path + "' has no geotransform (not georeferenced)");
  if (gt[2] != 0.0 || gt[4] != 0.0) throw IoError("raster '" + path + "' is rotated; only north-up rasters are read");
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
  info.cell_type = cell_type_for_gdal(band->GetRasterDataType(), has_nd ? std::optional<double>(nd) : std::nullopt,
                                      signed_byte);
  band->GetBlockSize(&info.block_cols, &info.block_rows);
  if (!time_tag.empty()) {
    const char* v = ds->GetMetadataItem(time_tag.c_str());
    if (v) info.datetime = v;
  }
  return info;
}

Tile read_window(const std::string& path, const CellType& ct, int bands, long col0, long row0, int cols, int rows) {
  gdal_init();
  GDALDataset* ds = t_cache.get(path);
  Tile t(ct, cols, rows, bands);
  if (cols == 0 || rows == 0) return t;
  auto type = static_cast<GDALDataType>(gdal_type_for(ct));
  int bytes = ct.bytes();
  std::vector<int> band_list(bands);
  for (int b = 0; b < bands; ++b) band_list[b] = b + 1;
  CPLErrorReset();
  CPLErr err = ds->RasterIO(GF_Read, static_cast<int>(col0), static_cast<int>(row0), cols, rows, t.raw().data(), cols,
                            rows, type, bands, band_list.data(), bytes, static_cast<GSpacing>(cols) * bytes,
                            static_cast<GSpacing>(cols) * rows * bytes, nullptr);
  if (err != CE_None) throw IoError("cannot read raster '" + path + "': " + gdal_message("read failed"));
  return t;
}

void remove_quietly(const std::string& path) {
  VSIStatBufL st;
  if (VSIStatL(path.c_str(), &st) == 0) VSIUnlink(path.c_str());
}

struct GeoTiffWriter::Impl {
  std::string final_path, tmp_path;
  GDALDatasetUniquePtr ds;
  GridExtent grid;
  CellType ct;
  int bands = 1;
  GeoTiffOptions opts;
  bool committed = false;
};

namespace {
std::string compression_name(const std::string& c) {
  std::string u = c;
  std::transform(u.begin(), u.end(), u.begin(), ::toupper);
  return u == "NONE" ? "NONE" : u;
}

std::string temp_path_for(const std::string& path, const std::string& tag) {
  if (is_vsi_or_url(path)) return path;  // cannot rename on object stores: written in place
  fs::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".trellis-" + tag + "-" + std::to_string(getpid())))
      .string();
}
}  // namespace

GeoTiffWriter::GeoTiffWriter(const std::string& path, const GridExtent& grid, const Crs& crs, const CellType& ct,
                             int bands, const GeoTiffOptions& opts)
    : impl_(std::make_unique<Impl>()), path_(path) {
  gdal_init();
  impl_->final_path = path;
  impl_->grid = grid;
  impl_->ct = ct;
  impl_->bands = bands;
  impl_->opts = opts;
  fs::path parent = fs::path(path).parent_path();
  if (!is_vsi_or_url(path) && !parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw IoError("cannot create folder '" + parent.string() + "': " + ec.message());
  }
  impl_->tmp_path = temp_path_for(path, "tmp");
  auto* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", std::to_string(opts.block_size).c_str());
  co.SetNameValue("BLOCKYSIZE", std::to_string(opts.block_size).c_str());
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  if (!opts.cog) {
    co.SetNameValue("COMPRESS", compression_name(opts.compression).c_str());
    if (opts.threads > 1) co.SetNameValue("NUM_THREADS", std::to_string(opts.threads).c_str());
  }
  if (ct.kind == CellKind::Int8) co.SetNameValue("PIXELTYPE", "SIGNEDBYTE");
  if (ct.kind == CellKind::Bool) co.SetNameValue("NBITS", "1");
  CPLErrorReset();
  impl_->ds.reset(drv->Create(impl_->tmp_path.c_str(), static_cast<int>(grid.cols), static_cast<int>(grid.rows), bands,
                              static_cast<GDALDataType>(gdal_type_for(ct)), co.List()));
  if (!impl_->ds) throw IoError("cannot create '" + path + "': " + gdal_message("GeoTIFF creation failed"));
  double gt[6] = {grid.extent.xmin, grid.cell_width(), 0, grid.extent.ymax, 0, -grid.cell_height()};
  impl_->ds->SetGeoTransform(gt);
  if (crs.valid()) {
    OGRSpatialReference srs;
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    if (srs.SetFromUserInput(crs.wkt().c_str()) == OGRERR_NONE) impl_->ds->SetSpatialRef(&srs);
  }
  if (ct.has_nodata())
    for (int b = 1; b <= bands; ++b) impl_->ds->GetRasterBand(b)->SetNoDataValue(ct.nodata());
  // Blocks never written (missing tiles of a sparse layer) are written at close filled with the
  // NoData value (GTiff SPARSE_OK=FALSE, the default), so they read as NoData.
}

GeoTiffWriter::~GeoTiffWriter() {
  if (impl_ && !impl_->committed) {
    impl_->ds.reset();
    remove_quietly(impl_->tmp_path);
  }
}

void GeoTiffWriter::write(const Tile& tile, long col0, long row0, const std::vector<int>& bands) {
  const GridExtent& g = impl_->grid;
  long c0 = std::max(0L, col0), r0 = std::max(0L, row0);
  long c1 = std::min(g.cols, col0 + tile.cols()), r1 = std::min(g.rows, row0 + tile.rows());
  if (c1 <= c0 || r1 <= r0) return;
  Tile src = tile.cell_type() == impl_->ct ? Tile() : tile.convert(impl_->ct);
  const Tile& t = tile.cell_type() == impl_->ct ? tile : src;
  auto type = static_cast<GDALDataType>(gdal_type_for(impl_->ct));
  int bytes = impl_->ct.bytes();
  for (int ob = 0; ob < impl_->bands; ++ob) {
    int sb = bands.empty() ? ob : bands[ob];
    const std::byte* base = t.band_data(sb) + ((r0 - row0) * t.cols() + (c0 - col0)) * bytes;
    CPLErrorReset();
    CPLErr err = impl_->ds->GetRasterBand(ob + 1)->RasterIO(
        GF_Write, static_cast<int>(c0), static_cast<int>(r0), static_cast<int>(c1 - c0), static_cast<int>(r1 - r0),
        const_cast<std::byte*>(base), static_cast<int>(c1 - c0), static_cast<int>(r1 - r0), type, bytes,
        static_cast<GSpacing>(t.cols()) * bytes, nullptr);
    if (err != CE_None) throw IoError("cannot write '" + impl_->final_path + "': " + gdal_message("write failed"));
  }
}

void GeoTiffWriter::commit() {
  // GDAL 3.6 has no GDALDataset::Close(): flush, close, and look at the last error.
  CPLErrorReset();
  impl_->ds->FlushCache(true);
  impl_->ds.reset();
  if (CPLGetLastErrorType() >= CE_Failure)
    throw IoError("cannot write '" + impl_->final_path + "': " + gdal_message("close failed"));
  std::string written = impl_->tmp_path;
  if (impl_->opts.cog) {
    std::string cog_tmp = temp_path_for(impl_->final_path, "cog");
    if (cog_tmp == impl_->tmp_path) cog_tmp = impl_->final_path + ".cog";
    CPLStringList args;
    args.AddString("-of");
    args.AddString("COG");
    args.AddString("-co");
    args.AddString(("COMPRESS=" + compression_name(impl_->opts.compression)).c_str());
    args.AddString("-co");
    args.AddString(("BLOCKSIZE=" + std::to_string(impl_->opts.block_size)).c_str());
    args.AddString("-co");
    args.AddString(("NUM_THREADS=" + std::to_string(std::max(1, impl_->opts.threads))).c_str());
    args.AddString("-co");
    args.AddString("BIGTIFF=IF_SAFER");
    GDALTranslateOptions* o = GDALTranslateOptionsNew(args.List(), nullptr);
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
      throw IoError("cannot write COG '" + impl_->final_path + "': " + gdal_message("translation failed"));
    }
    written = cog_tmp;
  }
  if (written != impl_->final_path) {
    std::error_code ec;
    fs::rename(written, impl_->final_path, ec);
    if (ec) {
      remove_quietly(written);
      throw IoError("cannot move the output into place at '" + impl_->final_path + "': " + ec.message());
    }
  }
  impl_->committed = true;
}

}  // namespace trellis::io
