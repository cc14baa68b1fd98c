#pragma once
// GeoTIFF (and any GDAL raster) reading and GeoTIFF/COG writing through GDAL.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/extent.hpp"
#include "core/tile.hpp"

namespace trellis::io {

// Registers GDAL drivers once (thread-safe).
void gdal_init();

// The header of a raster file.
struct RasterInfo {
  std::string path;
  GridExtent grid;
  CellType cell_type;
  int bands = 1;
  Crs crs;                   // invalid when the file has none
  int block_cols = 0, block_rows = 0;
  std::string datetime;      // the requested metadata tag, if present
};

// Expands a file, a folder (its *.tif/*.tiff/*.TIF files), a glob, or GDAL /vsi path into a sorted list.
// Throws JobError when nothing matches.
std::vector<std::string> expand_inputs(const std::vector<std::string>& uris);

// Reads the header. `time_tag` names a metadata item to read (e.g. TIFFTAG_DATETIME). Throws IoError
// when the file cannot be opened or is not north-up.
RasterInfo read_info(const std::string& path, const std::string& time_tag = "");

// The cell type trellis uses for a GDAL band type and NoData value (GeoTrellis' GeoTIFF reader rules).
CellType cell_type_for_gdal(int gdal_type, std::optional<double> nodata, bool signed_byte = false);
// The GDAL data type (GDALDataType as int) that stores a cell type.
int gdal_type_for(const CellType& ct);

// Reads a window (all bands) into a tile of the file's cell type. Datasets are cached per thread.
Tile read_window(const std::string& path, const CellType& ct, int bands, long col0, long row0, int cols, int rows);

struct GeoTiffOptions {
  std::string compression = "deflate";  // deflate, lzw, zstd, packbits, lzma, none
  bool cog = false;
  int block_size = 256;                 // multiple of 16
  int threads = 1;                      // compression threads
};

// Writes one GeoTIFF atomically: cells go to a hidden temporary file beside the target, which is
// renamed into place by commit(); if the writer is destroyed without commit(), the temporary is
// removed, so no partial file ever looks complete.
class GeoTiffWriter {
 public:
  GeoTiffWriter(const std::string& path, const GridExtent& grid, const Crs& crs, const CellType& ct, int bands,
                const GeoTiffOptions& opts);
  ~GeoTiffWriter();
  GeoTiffWriter(const GeoTiffWriter&) = delete;
  GeoTiffWriter& operator=(const GeoTiffWriter&) = delete;

  // Writes a tile's cells (all bands, or the selected ones) at pixel offset (col0, row0); the parts
  // outside the file are clipped.
  void write(const Tile& tile, long col0, long row0, const std::vector<int>& bands = {});
  void commit();
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// Removes a file if it exists (no error otherwise).
void remove_quietly(const std::string& path);

}  // namespace trellis::io
