#pragma once
// Warping (resampling and/or reprojecting) an in-memory tile from one georeferenced grid onto
// another with GDAL's warp kernels (GDALWarpOperation over MEM datasets that wrap the tiles'
// buffers; nothing goes through files and no kernel is re-implemented here).
//
// How a call is set up (it mirrors what `gdalwarp -te .. -ts .. -t_srs .. -r .. -dstnodata ..`
// does, so gdalwarp is the reference in the tests):
//   * transformer: GDALCreateGenImgProjTransformer2 between the two grids' geotransforms (with
//     SRC_SRS/DST_SRS, "EPSG:n" when the CRS has a code else its WKT, only when the CRSs are not
//     equivalent), wrapped in GDAL's approximate transformer with gdalwarp's default error
//     threshold of 0.125 pixel (the exact transformer gives measurably different cells);
//   * the kernel's scale factors (XSCALE/YSCALE), source window, chunking and working data type
//     are left to GDALWarpOperation, i.e. gdalwarp's defaults (average of 2x2 cells when
//     downsampling by 2, etc.);
//   * the destination is the `dst` tile's own buffer and INIT_DEST is *not* set: GDAL reads the
//     existing cells and overwrites only those for which the kernel found valid source data
//     (GDAL's overlay/mosaic mode, as when gdalwarp writes into an existing file). So warp_into
//     composites and never needs a scratch tile or an alpha band, for raw types too;
//   * NoData. Source: the tile's cell type NoData per band (UNIFIED_SRC_NODATA=NO: bands are
//     independent, like the bands of a GeoTrellis MultibandTile): the constant NoData of integer
//     kinds, NaN for constant float kinds, the user-defined value for `ud` kinds; raw float kinds use
//     NaN (a NaN cell reads as NoData through Tile::get); NaN cells of a float `ud` tile are NoData
//     too. Raw integer kinds and Bool have no NoData: every source cell is data. Destination: the
//     dst cell type's NoData is given to GDAL as the destination NoData, so a valid result that
//     would equal it is moved off it by GDAL (its "avoid NoData" rule), exactly like gdalwarp
//     -dstnodata; raw destination kinds get no destination NoData.
//   * Bool is warped as Byte (0/1); a result above 1 (only `sum` can give one) is stored as 1.
//     Int8 has no GDAL 3.6 type: it is warped through an Int16 copy and narrowed back with GDAL's
//     clamping and "avoid NoData" rule.
// Thread safety: every call builds its own datasets and warp operation (and transformer, unless it
// is given a GridTransform, which belongs to one thread); concurrent calls on different tiles
// (OpenMP threads) are safe. GDAL errors raised during a call are
// collected by an error handler installed for that call (on that thread) and rethrown as IoError.
#include <span>
#include <string>
#include <vector>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/enum_names.hpp"
#include "core/extent.hpp"
#include "core/tile.hpp"

namespace trellis::io {

// GeoPySpark's ResampleMethod list plus the extra GDAL kernels.
enum class ResampleMethod {
  NearestNeighbor,
  Bilinear,
  CubicConvolution,
  CubicSpline,
  Lanczos,
  Average,
  Mode,
  Median,
  Max,
  Min,
  Q1,
  Q3,
  Sum,
  Rms
};

// Parses a canonical snake_case name ("nearest_neighbor", "bilinear", "cubic_convolution",
// "cubic_spline", "lanczos", "average", "mode", "median", "max", "min", "q1", "q3", "sum", "rms").
// Throws JobError listing the valid names.
ResampleMethod parse_resample_method(const std::string& canonical);
// The canonical names, for job parameters (core/enum_names.hpp).
std::span<const EnumName<ResampleMethod>> enum_names(ResampleMethod);
// The canonical names, in enum order (for the op registry's choices).
const std::vector<std::string>& resample_method_names();
// The canonical name of a method.
const std::string& resample_method_name(ResampleMethod m);
// gdalwarp's -r spelling ("near", "bilinear", "cubic", "cubicspline", "lanczos", "average", "mode",
// "med", "max", "min", "q1", "q3", "sum", "rms").
const char* gdal_resample_name(ResampleMethod m);
// The GDALResampleAlg value (as an int, to keep GDAL's headers out of this one).
int to_gdal_resample_alg(ResampleMethod m);

// A source: a tile, the grid it covers (tile->cols() x tile->rows() cells) and its CRS.
struct WarpSource {
  const Tile* tile = nullptr;
  GridExtent grid;
  Crs crs;
};

// The frame of a cell grid: the map coordinates of the north-west corner of its cell (0, 0), its cell
// size and its size in cells (GDAL wraps geographic coordinates around the centre of a raster).
struct GridFrame {
  double xmin = 0, ymax = 0, cell_width = 1, cell_height = 1;
  long cols = 1, rows = 1;
};

// GDAL's transformer between the cells of two frames (in two CRSs), built once and reused by many
// warps: building it costs more than warping a small tile. One object per thread (not thread-safe).
// The SRS text handed to GDAL: "EPSG:n" when the CRS has a code (GDAL resolves it from PROJ's database,
// as gdalwarp -t_srs EPSG:n does, and faster than parsing WKT), else the CRS's WKT.
std::string gdal_srs(const Crs& crs);

// The grid GDAL's GDALSuggestedWarpOutput2 (what gdalwarp picks without -te/-tr/-ts) gives for `src`
// (a grid in `src_crs`) in `dst_srs` (anything GDAL's DST_SRS option takes). Not collective,
// deterministic. Throws JobError when GDAL cannot compute it.
GridExtent suggested_warp_output(const GridExtent& src, const Crs& src_crs, const std::string& dst_srs);

class GridTransform {
 public:
  GridTransform(const Crs& src_crs, const GridFrame& src, const Crs& dst_crs, const GridFrame& dst);
  ~GridTransform();
  GridTransform(const GridTransform&) = delete;
  GridTransform& operator=(const GridTransform&) = delete;
  void* gdal_transformer() const { return transformer_; }
  const Crs& src_crs() const { return src_crs_; }
  const Crs& dst_crs() const { return dst_crs_; }

 private:
  void* transformer_ = nullptr;
  Crs src_crs_, dst_crs_;
};

// Where a warp's source and destination grids lie in the frames of a GridTransform: the frame cells of
// their cells (0, 0). The grids must be these cells of the frames (same cell size and alignment).
struct FramePlacement {
  const GridTransform* transform = nullptr;
  long src_col = 0, src_row = 0, dst_col = 0, dst_row = 0;
};

// Warps `src` onto `dst_grid` in `dst_crs`, writing into `dst` (already allocated:
// dst_grid.cols x dst_grid.rows, the same band count as the source; its cell type decides the output
// type). Only cells for which the source has valid data are written; the others (outside the
// source, or where the kernel only saw source NoData) keep their value: call it once per source to
// mosaic (a later source overwrites an earlier one where both have data).
// Both CRSs must be valid, or both invalid (then the grids are taken to be in the same frame).
// `threads` > 1 lets GDAL's kernel use that many threads (NUM_THREADS) for this one call.
// `placement` (with threads == 1) reuses its GridTransform instead of building GDAL's transformer for
// this call; its CRSs must be the source's and dst_crs.
// `dst` must not be the source tile. Throws IoError on a GDAL failure (with GDAL's message),
// std::invalid_argument on inconsistent shapes (a caller's bug).
void warp_into(const WarpSource& src, Tile& dst, const GridExtent& dst_grid, const Crs& dst_crs,
               ResampleMethod m, int threads = 1, const FramePlacement* placement = nullptr);

// A new tile of `ct` (dst_grid.cols x dst_grid.rows, the source's band count) filled with NoData
// (zeros for raw types), then warp_into (GDAL starts from a blank buffer instead of reading the tile).
Tile warp(const WarpSource& src, const GridExtent& dst_grid, const Crs& dst_crs, const CellType& ct,
          ResampleMethod m, int threads = 1, const FramePlacement* placement = nullptr);

}  // namespace trellis::io
