#include "io/warp.hpp"

#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <gdalwarper.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "core/error.hpp"
#include "io/geotiff.hpp"

namespace trellis::io {

namespace {

struct MethodInfo {
  ResampleMethod method;
  const char* name;       // canonical snake_case
  const char* gdal_name;  // gdalwarp -r
  GDALResampleAlg alg;
};

constexpr std::array<MethodInfo, 14> kMethods{{
    {ResampleMethod::NearestNeighbor, "nearest_neighbor", "near", GRA_NearestNeighbour},
    {ResampleMethod::Bilinear, "bilinear", "bilinear", GRA_Bilinear},
    {ResampleMethod::CubicConvolution, "cubic_convolution", "cubic", GRA_Cubic},
    {ResampleMethod::CubicSpline, "cubic_spline", "cubicspline", GRA_CubicSpline},
    {ResampleMethod::Lanczos, "lanczos", "lanczos", GRA_Lanczos},
    {ResampleMethod::Average, "average", "average", GRA_Average},
    {ResampleMethod::Mode, "mode", "mode", GRA_Mode},
    {ResampleMethod::Median, "median", "med", GRA_Med},
    {ResampleMethod::Max, "max", "max", GRA_Max},
    {ResampleMethod::Min, "min", "min", GRA_Min},
    {ResampleMethod::Q1, "q1", "q1", GRA_Q1},
    {ResampleMethod::Q3, "q3", "q3", GRA_Q3},
    {ResampleMethod::Sum, "sum", "sum", GRA_Sum},
    {ResampleMethod::Rms, "rms", "rms", GRA_RMS},
}};

const MethodInfo& info(ResampleMethod m) {
  for (const auto& i : kMethods)
    if (i.method == m) return i;
  throw std::logic_error("bad resample method");
}

GDALResampleAlg to_gdal(ResampleMethod m) {
  return info(m).alg;
}

void ensure_gdal_registered() {
  static std::once_flag once;
  std::call_once(once, [] { GDALAllRegister(); });
}

// Collects the GDAL errors raised on this thread while it lives (GDAL's handler stack is per thread).
class ErrorScope {
 public:
  ErrorScope() { CPLPushErrorHandlerEx(&ErrorScope::handler, this); }
  ~ErrorScope() { CPLPopErrorHandler(); }
  ErrorScope(const ErrorScope&) = delete;
  ErrorScope& operator=(const ErrorScope&) = delete;

  // The messages so far, "; "-separated.
  const std::string& messages() const { return messages_; }

  [[noreturn]] void fail(const std::string& what) const {
    std::string msg = "warp: " + what;
    if (!messages_.empty()) msg += ": " + messages_;
    throw IoError(msg);
  }

 private:
  static void CPL_STDCALL handler(CPLErr cls, CPLErrorNum, const char* text) {
    auto* self = static_cast<ErrorScope*>(CPLGetErrorHandlerUserData());
    if (self == nullptr || (cls != CE_Failure && cls != CE_Fatal)) return;  // warnings, debug: dropped
    if (!self->messages_.empty()) self->messages_ += "; ";
    self->messages_ += text ? text : "(no message)";
  }

  std::string messages_;
};

struct DatasetCloser {
  void operator()(void* h) const {
    if (h) GDALClose(static_cast<GDALDatasetH>(h));
  }
};
using DatasetPtr = std::unique_ptr<void, DatasetCloser>;

struct TransformerDestroyer {
  void operator()(void* t) const {
    if (t) GDALDestroyTransformer(t);
  }
};
using TransformerPtr = std::unique_ptr<void, TransformerDestroyer>;

struct WarpOptionsDestroyer {
  void operator()(GDALWarpOptions* o) const {
    if (o) GDALDestroyWarpOptions(o);
  }
};

// The GDAL type a kind is warped as: the file type (geotiff.hpp), except Int8, which goes through an
// Int16 copy (GDAL 3.6 has no Int8).
GDALDataType gdal_type(CellKind k) {
  if (k == CellKind::Int8) return GDT_Int16;
  return static_cast<GDALDataType>(gdal_type_for(CellType{k, NoDataMode::Raw, 0}));
}

// NoData given to GDAL for a source of this cell type (raw float: NaN, which Tile::get reads as NoData).
std::optional<double> source_nodata(const CellType& ct) {
  if (ct.has_nodata()) return ct.nodata();
  if (ct.is_float()) return std::numeric_limits<double>::quiet_NaN();
  return std::nullopt;
}

// True when some cell of the buffer (n values of `type`) is `nd` (for a NaN nd: is NaN).
bool holds(const std::byte* data, GDALDataType type, std::size_t n, double nd) {
  auto scan = [&](auto tag) {
    using T = decltype(tag);
    const T* p = reinterpret_cast<const T*>(data);
    if (std::isnan(nd)) {
      if constexpr (std::is_floating_point_v<T>)
        return std::any_of(p, p + n, [](T v) { return std::isnan(v); });
      return false;
    }
    return std::any_of(p, p + n, [nd](T v) { return static_cast<double>(v) == nd; });
  };
  switch (type) {
    case GDT_Byte:
      return scan(std::uint8_t{});
    case GDT_Int16:
      return scan(std::int16_t{});
    case GDT_UInt16:
      return scan(std::uint16_t{});
    case GDT_Int32:
      return scan(std::int32_t{});
    case GDT_Float32:
      return scan(float{});
    case GDT_Float64:
      return scan(double{});
    default:
      return true;  // unknown: keep the NoData
  }
}

// NoData given to GDAL for a destination of this cell type (none for raw types).
std::optional<double> dest_nodata(const CellType& ct) {
  if (ct.has_nodata()) return ct.nodata();
  return std::nullopt;
}

int checked_int(long v, const char* what) {
  if (v < 0 || v > INT_MAX) throw std::invalid_argument(std::string("warp: ") + what + " out of range");
  return static_cast<int>(v);
}

// A MEM dataset whose bands are the band-sequential buffer `data` (not copied, not owned).
DatasetPtr wrap_buffer(std::byte* data, GDALDataType type, int cols, int rows, int bands,
                       const GridExtent& grid, const ErrorScope& errors) {
  GDALDriverH drv = GDALGetDriverByName("MEM");
  if (drv == nullptr) errors.fail("GDAL's MEM driver is not available");
  DatasetPtr ds(GDALCreate(drv, "", cols, rows, 0, type, nullptr));
  if (!ds) errors.fail("cannot create a MEM dataset");
  const std::size_t band_bytes =
      static_cast<std::size_t>(cols) * static_cast<std::size_t>(rows) * GDALGetDataTypeSizeBytes(type);
  for (int b = 0; b < bands; ++b) {
    char opt[64];
    std::snprintf(opt, sizeof opt, "DATAPOINTER=%p", static_cast<void*>(data + b * band_bytes));
    const char* options[] = {opt, nullptr};
    if (GDALAddBand(ds.get(), type, const_cast<char**>(options)) != CE_None)
      errors.fail("cannot wrap a tile band in a MEM dataset");
  }
  double gt[6] = {grid.extent.xmin, grid.cell_width(), 0.0, grid.extent.ymax, 0.0, -grid.cell_height()};
  if (GDALSetGeoTransform(ds.get(), gt) != CE_None) errors.fail("cannot set a geotransform");
  return ds;
}

// Int8 tiles are warped as Int16.
std::vector<std::int16_t> widen_int8(const Tile& t) {
  const auto* p = reinterpret_cast<const std::int8_t*>(t.raw().data());
  return std::vector<std::int16_t>(p, p + t.cells() * static_cast<std::size_t>(t.bands()));
}

// Back from the Int16 work buffer to Int8, with GDAL's clamping and "avoid NoData" rule (what GDAL's
// kernel does when it writes an out-of-range value into a type with a NoData value).
void narrow_to_int8(const std::vector<std::int16_t>& work, Tile& dst) {
  auto* out = reinterpret_cast<std::int8_t*>(dst.raw().data());
  const std::optional<double> nd = dest_nodata(dst.cell_type());
  for (std::size_t i = 0; i < work.size(); ++i) {
    const std::int16_t v = work[i];
    if (v >= -128 && v <= 127) {
      out[i] = static_cast<std::int8_t>(v);
      continue;
    }
    int c = v < -128 ? -128 : 127;
    if (nd && static_cast<double>(c) == *nd) c = (c == 127) ? 126 : c + 1;
    out[i] = static_cast<std::int8_t>(c);
  }
}

// Float `ud` tiles: NaN cells read as NoData too, but GDAL takes one NoData value; a copy with NaN
// replaced by the user-defined value, made only when the tile has a NaN.
template <class T>
std::optional<std::vector<T>> ud_float_without_nan(const Tile& t) {
  const T* p = reinterpret_cast<const T*>(t.raw().data());
  const std::size_t n = t.cells() * static_cast<std::size_t>(t.bands());
  if (std::none_of(p, p + n, [](T v) { return std::isnan(v); })) return std::nullopt;
  std::vector<T> copy(p, p + n);
  const T nd = static_cast<T>(t.cell_type().user_nodata);
  for (auto& v : copy)
    if (std::isnan(v)) v = nd;
  return copy;
}

void check_shapes(const WarpSource& src, const Tile& dst, const GridExtent& dst_grid) {
  if (src.tile == nullptr) throw std::invalid_argument("warp: no source tile");
  const Tile& s = *src.tile;
  if (s.cols() != src.grid.cols || s.rows() != src.grid.rows)
    throw std::invalid_argument("warp: the source tile is " + std::to_string(s.cols()) + "x" +
                                std::to_string(s.rows()) + " but its grid is " +
                                std::to_string(src.grid.cols) + "x" + std::to_string(src.grid.rows));
  if (dst.cols() != dst_grid.cols || dst.rows() != dst_grid.rows)
    throw std::invalid_argument("warp: the destination tile is " + std::to_string(dst.cols()) + "x" +
                                std::to_string(dst.rows()) + " but its grid is " +
                                std::to_string(dst_grid.cols) + "x" + std::to_string(dst_grid.rows));
  if (&s == &dst) throw std::invalid_argument("warp: the destination tile is the source tile");
  if (s.bands() != dst.bands())
    throw std::invalid_argument("warp: the source has " + std::to_string(s.bands()) +
                                " bands, the destination " + std::to_string(dst.bands()));
}

// A GDAL transformer (GTI2 header, so that GDAL's checks see a foreign transformer) that places a
// warp's grids in the frames of a GridTransform: cell (x, y) of the destination grid is frame cell
// (x + dst_col, y + dst_row), and likewise for the source.
struct PlacedTransformer {
  GDALTransformerInfo info;
  void* base;
  double src_col, src_row, dst_col, dst_row;
};

int placed_transform(void* arg, int dst_to_src, int n, double* x, double* y, double* z, int* ok) {
  const auto* t = static_cast<const PlacedTransformer*>(arg);
  const double in_col = dst_to_src ? t->dst_col : t->src_col, in_row = dst_to_src ? t->dst_row : t->src_row;
  const double out_col = dst_to_src ? t->src_col : t->dst_col, out_row = dst_to_src ? t->src_row : t->dst_row;
  for (int i = 0; i < n; ++i) x[i] += in_col, y[i] += in_row;
  const int result = GDALGenImgProjTransform(t->base, dst_to_src, n, x, y, z, ok);
  for (int i = 0; i < n; ++i) x[i] -= out_col, y[i] -= out_row;
  return result;
}

void no_cleanup(void*) {}

}  // namespace

std::string gdal_srs(const Crs& crs) {
  if (auto code = crs.epsg()) return "EPSG:" + std::to_string(*code);
  return crs.wkt();
}

GridExtent suggested_warp_output(const GridExtent& src, const Crs& src_crs, const std::string& dst_srs) {
  ensure_gdal_registered();
  if (src.cols < 1 || src.rows < 1 || src.cols > INT_MAX || src.rows > INT_MAX)
    throw JobError("cannot compute the reprojected grid of a " + std::to_string(src.cols) + " x " +
                   std::to_string(src.rows) + " raster");
  ErrorScope errors;
  GDALDriverH drv = GDALGetDriverByName("MEM");
  if (!drv) throw JobError("GDAL's MEM driver is not available");
  GDALDatasetH ds =
      GDALCreate(drv, "", static_cast<int>(src.cols), static_cast<int>(src.rows), 0, GDT_Byte, nullptr);
  if (!ds) throw JobError("cannot create a MEM dataset: " + errors.messages());
  double gt[6] = {src.extent.xmin, src.cell_width(), 0.0, src.extent.ymax, 0.0, -src.cell_height()};
  GDALSetGeoTransform(ds, gt);
  CPLStringList opts;
  opts.SetNameValue("SRC_SRS", gdal_srs(src_crs).c_str());
  opts.SetNameValue("DST_SRS", dst_srs.c_str());
  void* tr = GDALCreateGenImgProjTransformer2(ds, nullptr, opts.List());
  if (!tr) {
    GDALClose(ds);
    throw JobError("cannot transform from " + src_crs.label() + " to " + dst_srs + ": " + errors.messages());
  }
  double ogt[6] = {0, 0, 0, 0, 0, 0};
  double ext[4] = {0, 0, 0, 0};
  int px = 0, ln = 0;
  CPLErr err = GDALSuggestedWarpOutput2(ds, GDALGenImgProjTransform, tr, ogt, &px, &ln, ext, 0);
  GDALDestroyGenImgProjTransformer(tr);
  GDALClose(ds);
  if (err != CE_None || px < 1 || ln < 1 || !(ogt[1] > 0) || !(ogt[5] < 0))
    throw JobError("GDAL cannot compute the reprojected grid (from " + src_crs.label() + " to " + dst_srs +
                   ")" + (errors.messages().empty() ? "" : ": " + errors.messages()));
  return GridExtent{{ogt[0], ogt[3] + ln * ogt[5], ogt[0] + px * ogt[1], ogt[3]}, px, ln};
}

GridTransform::GridTransform(const Crs& src_crs, const GridFrame& src, const Crs& dst_crs,
                             const GridFrame& dst)
    : src_crs_(src_crs), dst_crs_(dst_crs) {
  ensure_gdal_registered();
  ErrorScope errors;
  // GDAL takes the geotransforms (and the centres) from datasets: two MEM datasets without bands.
  auto frame_dataset = [&](const GridFrame& f) {
    GridExtent g{{f.xmin, f.ymax - static_cast<double>(f.rows) * f.cell_height,
                  f.xmin + static_cast<double>(f.cols) * f.cell_width, f.ymax},
                 f.cols,
                 f.rows};
    DatasetPtr ds = wrap_buffer(nullptr, GDT_Byte, checked_int(f.cols, "frame columns"),
                                checked_int(f.rows, "frame rows"), 0, g, errors);
    double gt[6] = {f.xmin, f.cell_width, 0.0, f.ymax, 0.0, -f.cell_height};
    if (GDALSetGeoTransform(ds.get(), gt) != CE_None) errors.fail("cannot set a geotransform");
    return ds;
  };
  DatasetPtr s = frame_dataset(src), d = frame_dataset(dst);
  CPLStringList options;
  options.SetNameValue("SRC_SRS", gdal_srs(src_crs).c_str());
  options.SetNameValue("DST_SRS", gdal_srs(dst_crs).c_str());
  transformer_ = GDALCreateGenImgProjTransformer2(s.get(), d.get(), options.List());
  if (!transformer_)
    errors.fail("cannot build the transformation from " + src_crs.label() + " to " + dst_crs.label());
}

GridTransform::~GridTransform() {
  if (transformer_) GDALDestroyGenImgProjTransformer(transformer_);
}

ResampleMethod parse_resample_method(const std::string& canonical) {
  for (const auto& i : kMethods)
    if (canonical == i.name) return i.method;
  std::string valid;
  for (const auto& i : kMethods) valid += (valid.empty() ? "" : ", ") + std::string(i.name);
  throw JobError("unknown resample method '" + canonical + "' (valid: " + valid + ")");
}

std::span<const EnumName<ResampleMethod>> enum_names(ResampleMethod) {
  static const std::vector<EnumName<ResampleMethod>> names = [] {
    std::vector<EnumName<ResampleMethod>> n;
    for (const auto& i : kMethods) n.push_back({i.method, i.name});
    return n;
  }();
  return names;
}

const std::vector<std::string>& resample_method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& i : kMethods) n.emplace_back(i.name);
    return n;
  }();
  return names;
}

const std::string& resample_method_name(ResampleMethod m) {
  const auto& names = resample_method_names();
  for (std::size_t i = 0; i < kMethods.size(); ++i)
    if (kMethods[i].method == m) return names[i];
  throw std::logic_error("bad resample method");
}

const char* gdal_resample_name(ResampleMethod m) {
  return info(m).gdal_name;
}

int to_gdal_resample_alg(ResampleMethod m) {
  return static_cast<int>(to_gdal(m));
}

namespace {

void warp_tile(const WarpSource& src, Tile& dst, const GridExtent& dst_grid, const Crs& dst_crs,
               ResampleMethod m, int threads, const FramePlacement* placement, bool dst_blank) {
  check_shapes(src, dst, dst_grid);
  const Tile& st = *src.tile;
  if (st.empty_shape() || dst.empty_shape() || st.bands() == 0) return;
  if (src.grid.extent.empty() || dst_grid.extent.empty())
    throw std::invalid_argument("warp: empty extent (" + src.grid.extent.to_string() + " -> " +
                                dst_grid.extent.to_string() + ")");
  if (src.crs.valid() != dst_crs.valid())
    throw std::invalid_argument("warp: one of the source and destination CRSs is missing");
  const bool reproject = src.crs.valid() && !src.crs.equivalent(dst_crs);
  // Same frame and disjoint extents: no destination cell centre falls on the source.
  if (!reproject && !src.grid.extent.intersects(dst_grid.extent)) return;

  const int src_cols = checked_int(src.grid.cols, "source columns");
  const int src_rows = checked_int(src.grid.rows, "source rows");
  const int dst_cols = checked_int(dst_grid.cols, "destination columns");
  const int dst_rows = checked_int(dst_grid.rows, "destination rows");
  const int bands = st.bands();
  const CellType& sct = st.cell_type();
  const CellType& dct = dst.cell_type();

  ensure_gdal_registered();
  ErrorScope errors;

  // Source buffer: the tile's own, except for Int8 (widened) and float ud tiles holding NaN.
  std::vector<std::int16_t> src_i16;
  std::optional<std::vector<float>> src_f32;
  std::optional<std::vector<double>> src_f64;
  std::byte* src_data = const_cast<std::byte*>(st.raw().data());  // GDAL only reads the source
  if (sct.kind == CellKind::Int8) {
    src_i16 = widen_int8(st);
    src_data = reinterpret_cast<std::byte*>(src_i16.data());
  } else if (sct.mode == NoDataMode::UserDefined && sct.kind == CellKind::Float32) {
    if ((src_f32 = ud_float_without_nan<float>(st))) src_data = reinterpret_cast<std::byte*>(src_f32->data());
  } else if (sct.mode == NoDataMode::UserDefined && sct.kind == CellKind::Float64) {
    if ((src_f64 = ud_float_without_nan<double>(st)))
      src_data = reinterpret_cast<std::byte*>(src_f64->data());
  }

  // Destination buffer: the tile's own (GDAL overlays onto it), or an Int16 copy for Int8.
  std::vector<std::int16_t> dst_i16;
  std::byte* dst_data = dst.raw().data();
  if (dct.kind == CellKind::Int8) {
    dst_i16 = widen_int8(dst);
    dst_data = reinterpret_cast<std::byte*>(dst_i16.data());
  }

  DatasetPtr src_ds = wrap_buffer(src_data, gdal_type(sct.kind), src_cols, src_rows, bands, src.grid, errors);
  DatasetPtr dst_ds = wrap_buffer(dst_data, gdal_type(dct.kind), dst_cols, dst_rows, bands, dst_grid, errors);

  // The transformer, as gdalwarp builds it: GenImgProj (+ approximation at 0.125 pixel); or the
  // placement's, reused (GDAL clones the transformer for its own threads, which ours cannot be).
  TransformerPtr approx;
  PlacedTransformer placed{};
  if (placement && placement->transform && reproject && threads <= 1) {
    if (!placement->transform->src_crs().equivalent(src.crs) ||
        !placement->transform->dst_crs().equivalent(dst_crs))
      throw std::invalid_argument("warp: the placement's transformation is between other CRSs");
    std::memcpy(placed.info.abySignature, GDAL_GTI2_SIGNATURE, sizeof placed.info.abySignature);
    placed.info.pszClassName = "TrellisPlacedTransformer";
    placed.info.pfnTransform = placed_transform;
    placed.info.pfnCleanup = no_cleanup;
    placed.base = placement->transform->gdal_transformer();
    placed.src_col = static_cast<double>(placement->src_col);
    placed.src_row = static_cast<double>(placement->src_row);
    placed.dst_col = static_cast<double>(placement->dst_col);
    placed.dst_row = static_cast<double>(placement->dst_row);
    approx.reset(GDALCreateApproxTransformer(placed_transform, &placed, 0.125));
  } else {
    CPLStringList to_options;
    if (reproject) {
      to_options.SetNameValue("SRC_SRS", gdal_srs(src.crs).c_str());
      to_options.SetNameValue("DST_SRS", gdal_srs(dst_crs).c_str());
    }
    TransformerPtr gen(GDALCreateGenImgProjTransformer2(src_ds.get(), dst_ds.get(), to_options.List()));
    if (!gen)
      errors.fail("cannot build the transformation from " + src.crs.label() + " to " + dst_crs.label());
    approx.reset(GDALCreateApproxTransformer(GDALGenImgProjTransform, gen.get(), 0.125));
    if (approx) {
      GDALApproxTransformerOwnsSubtransformer(approx.get(), TRUE);
      gen.release();  // now owned by `approx`
    }
  }
  if (!approx) errors.fail("cannot build the approximate transformer");

  std::unique_ptr<GDALWarpOptions, WarpOptionsDestroyer> wo(GDALCreateWarpOptions());
  wo->hSrcDS = src_ds.get();
  wo->hDstDS = dst_ds.get();
  wo->eResampleAlg = to_gdal(m);
  wo->nBandCount = bands;
  wo->panSrcBands = static_cast<int*>(CPLMalloc(sizeof(int) * bands));
  wo->panDstBands = static_cast<int*>(CPLMalloc(sizeof(int) * bands));
  for (int b = 0; b < bands; ++b) wo->panSrcBands[b] = wo->panDstBands[b] = b + 1;
  // A source without a NoData cell is warped without a validity mask: the same cells, and GDAL's
  // fast kernels (with a source NoData it takes its general, masked path for every cell).
  const auto src_nd = source_nodata(sct);
  if (src_nd && holds(src_data, gdal_type(sct.kind), st.cells() * static_cast<std::size_t>(bands), *src_nd)) {
    const auto nd = src_nd;
    wo->padfSrcNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double) * bands));
    for (int b = 0; b < bands; ++b) wo->padfSrcNoDataReal[b] = *nd;
    wo->papszWarpOptions = CSLSetNameValue(wo->papszWarpOptions, "UNIFIED_SRC_NODATA", "NO");
  }
  if (auto nd = dest_nodata(dct)) {
    wo->padfDstNoDataReal = static_cast<double*>(CPLMalloc(sizeof(double) * bands));
    for (int b = 0; b < bands; ++b) wo->padfDstNoDataReal[b] = *nd;
  }
  // No INIT_DEST: the existing destination cells are read and only covered cells are overwritten;
  // a blank destination is not read, GDAL initialises its buffer to the same NoData (or zero).
  if (dst_blank)
    wo->papszWarpOptions =
        CSLSetNameValue(wo->papszWarpOptions, "INIT_DEST", dest_nodata(dct) ? "NO_DATA" : "0");
  if (threads > 1)
    wo->papszWarpOptions =
        CSLSetNameValue(wo->papszWarpOptions, "NUM_THREADS", std::to_string(threads).c_str());
  wo->pfnTransformer = GDALApproxTransform;
  wo->pTransformerArg = approx.get();

  {
    GDALWarpOperation op;
    if (op.Initialize(wo.get()) != CE_None) errors.fail("cannot initialise the warp");
    if (op.ChunkAndWarpImage(0, 0, dst_cols, dst_rows) != CE_None) errors.fail("the warp failed");
  }
  // The MEM datasets wrap our buffers; closing them flushes nothing we need, but close before reading.
  wo.reset();
  dst_ds.reset();
  src_ds.reset();

  if (dct.kind == CellKind::Int8) narrow_to_int8(dst_i16, dst);
  if (dct.kind == CellKind::Bool) {
    auto* p = reinterpret_cast<std::uint8_t*>(dst.raw().data());
    for (std::size_t i = 0, n = dst.raw().size(); i < n; ++i)
      if (p[i] > 1) p[i] = 1;
  }
}

}  // namespace

void warp_into(const WarpSource& src, Tile& dst, const GridExtent& dst_grid, const Crs& dst_crs,
               ResampleMethod m, int threads, const FramePlacement* placement) {
  warp_tile(src, dst, dst_grid, dst_crs, m, threads, placement, false);
}

Tile warp(const WarpSource& src, const GridExtent& dst_grid, const Crs& dst_crs, const CellType& ct,
          ResampleMethod m, int threads, const FramePlacement* placement) {
  if (src.tile == nullptr) throw std::invalid_argument("warp: no source tile");
  Tile out(ct, checked_int(dst_grid.cols, "destination columns"),
           checked_int(dst_grid.rows, "destination rows"), src.tile->bands());
  warp_tile(src, out, dst_grid, dst_crs, m, threads, placement, true);
  return out;
}

}  // namespace trellis::io
