#pragma once
// TileLayout, LayoutDefinition (MapKeyTransform) and the layout schemes of GeoTrellis, exactly as
// catalog spec section 5 states them.
#include <optional>
#include <string>

#include "core/crs.hpp"
#include "core/extent.hpp"
#include "core/key.hpp"

namespace trellis {

struct TileLayout {
  long layout_cols = 0, layout_rows = 0;
  int tile_cols = 0, tile_rows = 0;
  long total_cols() const { return layout_cols * tile_cols; }
  long total_rows() const { return layout_rows * tile_rows; }
  bool operator==(const TileLayout&) const = default;
};

struct LayoutDefinition {
  Extent extent;
  TileLayout tile_layout;

  double tile_width() const { return extent.width() / static_cast<double>(tile_layout.layout_cols); }
  double tile_height() const { return extent.height() / static_cast<double>(tile_layout.layout_rows); }
  CellSize cell_size() const {
    return {extent.width() / static_cast<double>(tile_layout.total_cols()),
            extent.height() / static_cast<double>(tile_layout.total_rows())};
  }
  // The whole layout as one grid of cells.
  GridExtent grid() const { return {extent, tile_layout.total_cols(), tile_layout.total_rows()}; }
  // MapKeyTransform.keyToExtent
  Extent key_extent(long col, long row) const;
  // The grid of cells of one tile.
  GridExtent tile_grid(long col, long row) const {
    return {key_extent(col, row), tile_layout.tile_cols, tile_layout.tile_rows};
  }
  // MapKeyTransform.pointToKey (floor, no tolerance; may be outside the layout).
  SpatialKey point_to_key(double x, double y) const;
  // MapKeyTransform.extentToBounds (GeoTrellis' rule for maxima on exact tile edges). Not clipped.
  GridBounds extent_to_bounds(const Extent& e) const;
  // Key bounds of the whole layout.
  GridBounds layout_bounds() const {
    return {0, 0, tile_layout.layout_cols - 1, tile_layout.layout_rows - 1};
  }
  // Extent of a range of keys.
  Extent bounds_extent(const GridBounds& b) const;
  bool operator==(const LayoutDefinition&) const = default;

  // LayoutDefinition.apply(GridExtent(extent, cellSize), tileCols, tileRows): padded east and south.
  static LayoutDefinition from_grid(const Extent& extent, const CellSize& cs, int tile_cols, int tile_rows);
};

// GeoTrellis FloatingLayoutScheme (GeoPySpark LocalLayout): always zoom 0.
struct FloatingLayoutScheme {
  int tile_cols = 256, tile_rows = 256;
  LayoutDefinition level_for(const Extent& extent, const CellSize& cs) const {
    return LayoutDefinition::from_grid(extent, cs, tile_cols, tile_rows);
  }
  // LocalLayoutScheme.zoomOut: same extent, ceil(n/2) tiles per axis (at least 1), same tile size.
  static LayoutDefinition zoom_out(const LayoutDefinition& ld);
  // LocalLayoutScheme.inferLayoutLevel: the zoom of a floating layout in a local pyramid, i.e. how many
  // zoom_out steps lead to one tile: max(ceil(log2(layoutCols)), ceil(log2(layoutRows))).
  static int infer_layout_level(const LayoutDefinition& ld);
};

inline constexpr double kEarthRadius = 6378137.0;
inline constexpr double kEarthCircumference = 2 * 3.14159265358979323846 * kEarthRadius;

struct LayoutLevel {
  int zoom = 0;
  LayoutDefinition layout;
};

// GeoTrellis ZoomedLayoutScheme.
class ZoomedLayoutScheme {
 public:
  ZoomedLayoutScheme(Crs crs, int tile_size = 256, double resolution_threshold = 0.1);
  // GeoTrellis' zoom(x, y, cellSize) of the cell at (x, y).
  int zoom(double x, double y, const CellSize& cs) const;
  LayoutLevel level_for(const Extent& extent, const CellSize& cs) const;
  LayoutLevel level_for_zoom(int zoom) const;
  static LayoutLevel zoom_out(const LayoutLevel& level);
  const Extent& world_extent() const { return world_; }
  const Crs& crs() const { return crs_; }
  int tile_size() const { return tile_size_; }

  // The world extent GeoTrellis uses for a CRS (LatLng, WebMercator, Sinusoidal; otherwise the
  // WGS84 world reprojected). Throws JobError for UTM.
  static Extent world_extent_for(const Crs& crs);

 private:
  Crs crs_;
  int tile_size_;
  double threshold_;
  Extent world_;
};

// Haversine distance in metres (R = 6378137), GeoTrellis' Haversine.
double haversine(double lon1, double lat1, double lon2, double lat2);
// EPSG code of the UTM zone GeoTrellis picks for a lon/lat (with the Norway/Svalbard exceptions).
int utm_epsg_for(double lon, double lat);

}  // namespace trellis
