#pragma once
// Distributed layers: what each rank holds of a layer. Every rank holds the same metadata and only the
// tiles (or raster windows) it owns. Plain data: communication is in src/mpi, reading in src/io.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/crs.hpp"
#include "core/extent.hpp"
#include "core/key.hpp"
#include "core/metadata.hpp"
#include "core/tile.hpp"
#include "layer/partitioner.hpp"

namespace trellis {

// One input raster file (the same list on every rank).
struct RasterSource {
  std::string path;  // GDAL path
  GridExtent grid;   // georeferenced extent and size
  CellType cell_type;
  int bands = 1;
  Crs crs;
  std::int64_t instant = 0;            // epoch ms for spacetime layers
  int block_cols = 0, block_rows = 0;  // the file's natural block (0: unknown)
  // The cells that may hold data (io::data_coverage: a VRT's sources, a sparse GeoTIFF's written
  // blocks), aligned to the windows; none: every cell. Windows elsewhere are never made.
  std::optional<std::vector<GridBounds>> data_cells;

  // The cells of `b` as a georeferenced grid.
  GridExtent sub_grid(const GridBounds& b) const;
};

// A window of a source: the unit of reading. Windows are at most max_tile_size on a side.
struct RasterWindow {
  int source = 0;
  long col0 = 0, row0 = 0;
  int cols = 0, rows = 0;
  std::uint32_t ordinal = 0;  // global order of the window (source order, then row-major): merge order
};

// An untiled raster layer (GeoPySpark RasterLayer): the sources, and the windows this rank reads.
// Windows are read on demand (streamed, io::read_window), never held all at once.
struct RasterLayer {
  std::vector<RasterSource> sources;
  std::vector<RasterWindow> windows;  // this rank's share
  std::size_t total_windows = 0;      // over all ranks
  bool temporal = false;

  GridExtent window_grid(const RasterWindow& w) const;
  // The bytes of GDAL's block cache that one thread reading this rank's windows in order keeps using:
  // the file blocks under one row of windows across the widest source (for a striped file, the strips
  // of one row of windows, each decoded once and cut into many windows).
  std::uint64_t read_cache_bytes() const;
};

// A tiled layer: metadata + the tiles this rank owns (by the partitioner's curve ranges).
struct TiledLayer {
  LayerMetadata md;
  Partitioner partitioner;
  std::map<SpaceTimeKey, Tile> tiles;
};

// Layers by zoom (a pyramid), highest zoom first.
struct Pyramid {
  std::map<int, TiledLayer, std::greater<int>> levels;
};

}  // namespace trellis
