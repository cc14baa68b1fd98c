#pragma once
// Vector geometries for the ops that take polygons (polygonal summaries, and any op with a
// `geometry` parameter): WKT (optionally EWKT's "SRID=n;" prefix), GeoJSON text (a geometry, a
// Feature or a FeatureCollection), or any OGR source (a file or GDAL path, a layer, an OGR SQL
// attribute filter). Everything is read with OGR and reprojected to a target CRS with OGR's
// coordinate transformation (vertices only, as GeoTrellis' reproject of a geometry).
//
// And the cell-inclusion rule of the polygon rasterizer: burn_cell_centres() marks the cells of a grid
// whose centre lies inside polygons, with GDAL's rasterizer (GDALRasterizeGeometries, default
// options: the cell-centre rule of GeoTrellis' PixelIsPoint rasterizer, including its tie-breaking on
// exact hits, see the function's comment).
//
// Thread safety: read_features/check_geometry_source open their own datasets (call them from one
// thread per source); burn_cell_centres may run concurrently on different masks.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/crs.hpp"
#include "core/error.hpp"
#include "core/extent.hpp"

namespace trellis::io {

struct GeometrySource {
  enum class Kind { Wkt, GeoJson, Ogr };
  Kind kind = Kind::Wkt;
  std::string text;   // Wkt: the WKT (or EWKT); GeoJson: the JSON text
  std::string path;   // Ogr: a file or GDAL path (already resolved)
  std::string layer;  // Ogr: the layer name ("": the source's only layer)
  std::string where;  // Ogr: an OGR SQL attribute filter ("": every feature)
};

struct Feature {
  nlohmann::json attributes = nlohmann::json::object();  // GeoJSON properties / OGR fields (unset: null)
  std::optional<std::int64_t> fid;                       // the OGR feature id (OGR sources)
  std::string type;        // OGR's geometry name, upper case ("POLYGON", "MULTIPOLYGON", ...); "" if none
  bool polygonal = false;  // Polygon or MultiPolygon (curves already linearised)
  std::vector<unsigned char> wkb;  // 2D ISO WKB in the target CRS; empty for a null or empty geometry
  Extent envelope;                 // of the geometry in the target CRS (meaningless when wkb is empty)
};

// A source that is wrong (exit status 2). field() names the part: "text" (WKT/GeoJSON), "uri",
// "layer" or "where", so that the caller can point at the right place of the job.
class GeometryError : public JobError {
 public:
  GeometryError(std::string field, const std::string& msg) : JobError(msg), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

// Checks a source without reading its features: parses WKT/GeoJSON (and checks that they are
// Polygon/MultiPolygon when `polygons_only`); opens an OGR source, finds its layer (and, when
// `polygons_only`, rejects a layer declared as points or lines), applies the filter. Throws
// GeometryError.
void check_geometry_source(const GeometrySource& s, bool polygons_only);

// Reads every feature of a source, in the source's order, reprojected to `target`. Geometries whose
// source does not state a CRS (WKT without SRID, GeoJSON without a "crs" member, OGR layers without
// SRS) are taken to be in `fallback` (when it is not valid: in `target`, untouched). GeoJSON files
// read through OGR follow RFC 7946 (WGS 84) as GDAL does; inline GeoJSON text is GeoPySpark-style,
// in the layer's CRS unless it says otherwise. Curved geometries are linearised, Z/M dropped.
// Throws GeometryError for a wrong source, JobError when a geometry cannot be reprojected, IoError
// when an OGR source that could be opened before cannot be read.
std::vector<Feature> read_features(const GeometrySource& s, const Crs& fallback, const Crs& target);

// Burns `polygons` (each the WKB of a Polygon or MultiPolygon, in the grid's CRS) on `grid`:
// mask[row * cols + col] = 1 where the centre of cell (col, row) is inside one of them, 0 elsewhere
// (mask is resized to grid.cols * grid.rows). GDAL's scanline rasterizer at the row of cell centres,
// with map coordinates taken to grid coordinates as GeoTrellis' RasterExtent does:
// col = (x - xmin) / cellwidth, row = (ymax - y) / cellheight (not through an inverted
// geotransform, which rounds differently). Exact hits: a centre on the left end of a run is out, on
// the right end in (a vertical left edge through a column of centres excludes it); a horizontal edge
// on a row of centres is filled at the bottom of a polygon (GDAL's rule); the GeoTrellis conformance
// cases all agree (tests/io/vector_test.cpp). Polygons are burnt one after the other: a MultiPolygon
// is the union of its parts. With `clear` false the mask (already grid.cols * grid.rows) keeps its cells
// and gets 1 where a centre is inside (the union with what it held). Throws IoError on a GDAL failure.
void burn_cell_centres(const std::vector<std::span<const unsigned char>>& polygons, const GridExtent& grid,
                       std::vector<std::uint8_t>& mask, bool clear = true);

// A geometry taken apart for rasterizing: its polygonal parts (each a Polygon or MultiPolygon, as WKB),
// its lines (LineStrings, linear rings of nothing else, vertices in order) and its points, with
// collections and multi-geometries flattened in their order.
struct Point2 {
  double x = 0, y = 0;
};
struct GeometryParts {
  std::vector<std::vector<unsigned char>> polygons;
  std::vector<std::vector<Point2>> lines;
  std::vector<Point2> points;
  bool empty() const { return polygons.empty() && lines.empty() && points.empty(); }
};

// Splits 2D ISO WKB (Feature::wkb) into parts. Deterministic. Throws IoError when OGR cannot decode it.
GeometryParts decompose(std::span<const unsigned char> wkb);

}  // namespace trellis::io
