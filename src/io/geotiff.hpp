#pragma once
// GeoTIFF (and any GDAL raster) reading and GeoTIFF/COG writing through GDAL.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/cell_type.hpp"
#include "core/crs.hpp"
#include "core/enum_names.hpp"
#include "core/extent.hpp"
#include "core/tile.hpp"
#include "layer/layer.hpp"

namespace trellis::io {

// Registers GDAL drivers once (thread-safe), and sizes GDAL's block cache to kDefaultGdalCache unless
// GDAL_CACHEMAX is set (by the user, or from the site's memory budget).
void gdal_init();
inline constexpr std::uint64_t kDefaultGdalCache = std::uint64_t{256} << 20;

// GDAL's last error message on one line, or `fallback` when it has none.
std::string gdal_message(const std::string& fallback);

// Raises GDAL's block cache to at least `bytes` (never lowers it); returns the cache size then.
std::uint64_t ensure_gdal_cache(std::uint64_t bytes);

// The header of a raster file.
struct RasterInfo {
  std::string path;
  GridExtent grid;
  CellType cell_type;
  int bands = 1;
  Crs crs;                             // invalid when the file has none
  int block_cols = 0, block_rows = 0;  // GDAL's natural block of band 1 (strips: cols x 1 or a few rows)
  std::string datetime;                // the requested metadata tag, if present
  // With read_info's `coverage_unit`: the cells that may hold data (see data_coverage), when GDAL says
  // part of the raster holds none; unset when all of it may.
  std::optional<std::vector<GridBounds>> data_cells;
};

// Expands a file, a folder (its *.tif/*.tiff/*.TIF files), a glob, or GDAL /vsi path into a sorted list.
// Throws JobError when nothing matches.
std::vector<std::string> expand_inputs(const std::vector<std::string>& uris);

// Reads the header. `time_tag` names a metadata item to read (e.g. TIFFTAG_DATETIME). With a
// `coverage_unit`, a raster of more than one unit on a side also gets its data_cells (data_coverage),
// from the same open dataset. Throws IoError when the file cannot be opened or is not north-up.
RasterInfo read_info(const std::string& path, const std::string& time_tag = "", long coverage_unit = 0);

// The cell type trellis uses for a GDAL band type and NoData value (GeoTrellis' GeoTIFF reader rules).
CellType cell_type_for_gdal(int gdal_type, std::optional<double> nodata, bool signed_byte = false);
// The GDAL data type (GDALDataType as int) that stores a cell type.
int gdal_type_for(const CellType& ct);

// Reads a window (all bands) into a tile of the file's cell type. Datasets are cached per thread.
Tile read_window(const std::string& path, const CellType& ct, int bands, long col0, long row0, int cols,
                 int rows);
// Reads a window of an untiled layer's source (all bands, the source's cell type).
Tile read_window(const RasterLayer& layer, const RasterWindow& w);

// What reading each window of `layer` costs, in bytes: for a GeoTIFF, the stored (compressed) bytes of
// the blocks it decodes, a block it shares with other windows counted by the share of its cells the window
// holds, and a sparse file's missing blocks as 0; for other formats, the window's cell bytes. A block of
// NoData compresses to almost nothing, so this also tells where the data is before anything is decoded.
// Reads only the files' block tables, through the calling thread's dataset cache. Not collective;
// deterministic. Throws IoError when a file cannot be opened.
std::vector<std::uint64_t> read_costs(const RasterLayer& layer, std::span<const RasterWindow> windows);

// The GeoTIFF codecs trellis writes with (GDAL's COMPRESS names, lower-case).
enum class Compression { Deflate, Lzw, Zstd, Lzma, PackBits, None };
inline constexpr EnumName<Compression> kCompressionNames[] = {
    {Compression::Deflate, "deflate"}, {Compression::Lzw, "lzw"},           {Compression::Zstd, "zstd"},
    {Compression::Lzma, "lzma"},       {Compression::PackBits, "packbits"}, {Compression::None, "none"}};
inline std::span<const EnumName<Compression>> enum_names(Compression) {
  return kCompressionNames;
}

struct GeoTiffOptions {
  std::string compression = "deflate";  // a Compression name: deflate, lzw, zstd, packbits, lzma, none
  bool cog = false;
  int block_size = 256;  // multiple of 16
  int threads = 1;       // compression threads (COG translation)
};

// Encodes tiles into GeoTIFF blocks exactly as GeoTiffWriter stores them with the same cell type, band
// count and options, so that every rank can compress its own blocks and one rank write them all. DEFLATE
// calls libdeflate as libtiff does under GDAL's default level (the same bytes, without GDAL's in-memory
// file); the other codecs go through GDAL's GTiff driver with the same creation options. Thread-safe:
// each call has its own buffers or in-memory file. Not collective; deterministic.
class BlockEncoder {
 public:
  BlockEncoder(const CellType& ct, int bands, const GeoTiffOptions& opts);
  // Each tile is block_size x block_size cells of the encoder's cell type and band count; returns one
  // encoded block per tile, in order. Throws std::invalid_argument for a tile of another shape or cell
  // type, IoError when the codec fails.
  std::vector<std::vector<std::byte>> encode(const std::vector<const Tile*>& tiles) const;
  int block_size() const { return opts_.block_size; }
  // Whether encode() calls libdeflate itself (DEFLATE, not a COG, cells of at least a byte) rather than
  // GDAL's GTiff driver. The bytes are the same either way; this says which path does the work.
  bool compresses_with_libdeflate() const {
    return opts_.compression == "deflate" && !opts_.cog && ct_.kind != CellKind::Bool;
  }

 private:
  CellType ct_;
  int bands_;
  GeoTiffOptions opts_;
};

// Writes one tiled GeoTIFF (or COG) from encoded blocks, atomically: blocks go to a hidden temporary file
// beside the target, which commit() completes and renames into place; if the writer is destroyed
// without commit(), the temporary is removed, so no partial file ever looks complete. The file's header
// (georeferencing, NoData, layout) is GDAL's; blocks are appended in the order given with libtiff.
class GeoTiffWriter {
 public:
  GeoTiffWriter(const std::string& path, const GridExtent& grid, const Crs& crs, const CellType& ct,
                int bands, const GeoTiffOptions& opts);
  ~GeoTiffWriter();
  GeoTiffWriter(const GeoTiffWriter&) = delete;
  GeoTiffWriter& operator=(const GeoTiffWriter&) = delete;

  long blocks_across() const;
  long blocks_down() const;
  // Stores block (bx, by), encoded by a BlockEncoder with this writer's cell type, bands and options.
  void write_block(long bx, long by, std::span<const std::byte> encoded);
  // Blocks never written (missing tiles of a sparse layer) get a block of NoData; then the file is
  // closed, translated to a COG if asked, and renamed into place.
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
