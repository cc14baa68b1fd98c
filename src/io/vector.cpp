#include "io/vector.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <cctype>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/text.hpp"
#include "io/geotiff.hpp"

namespace trellis::io {

namespace {

namespace fs = std::filesystem;

struct GeometryDeleter {
  void operator()(void* g) const {
    if (g) OGR_G_DestroyGeometry(static_cast<OGRGeometryH>(g));
  }
};
using GeometryPtr = std::unique_ptr<void, GeometryDeleter>;

struct DatasetCloser {
  void operator()(void* d) const {
    if (d) GDALClose(static_cast<GDALDatasetH>(d));
  }
};
using DatasetPtr = std::unique_ptr<void, DatasetCloser>;

struct FeatureDeleter {
  void operator()(void* f) const {
    if (f) OGR_F_Destroy(static_cast<OGRFeatureH>(f));
  }
};
using FeaturePtr = std::unique_ptr<void, FeatureDeleter>;

struct SrsDeleter {
  void operator()(void* s) const {
    if (s) OSRRelease(static_cast<OGRSpatialReferenceH>(s));
  }
};
using SrsPtr = std::unique_ptr<void, SrsDeleter>;

struct TransformDeleter {
  void operator()(void* t) const {
    if (t) OCTDestroyCoordinateTransformation(static_cast<OGRCoordinateTransformationH>(t));
  }
};
using TransformPtr = std::unique_ptr<void, TransformDeleter>;

// EWKT: "SRID=n;WKT" -> (n, WKT).
std::pair<std::optional<int>, std::string> split_srid(const std::string& text) {
  std::string t(trim(text));
  if (upper(t.substr(0, 5)) != "SRID=") return {std::nullopt, t};
  auto semi = t.find(';');
  if (semi == std::string::npos) throw GeometryError("text", "EWKT 'SRID=n;' prefix without ';'");
  std::string num(trim(t.substr(5, semi - 5)));
  char* end = nullptr;
  long v = std::strtol(num.c_str(), &end, 10);
  if (num.empty() || *end != '\0' || v <= 0 || v > INT_MAX)
    throw GeometryError("text", "bad SRID '" + num + "' in the EWKT prefix");
  return {static_cast<int>(v), std::string(trim(t.substr(semi + 1)))};
}

GeometryPtr parse_wkt(const std::string& text, std::optional<int>* srid) {
  auto [code, wkt] = split_srid(text);
  if (srid) *srid = code;
  if (wkt.empty()) throw GeometryError("text", "empty WKT geometry");
  CPLErrorReset();
  char* p = wkt.data();
  OGRGeometryH g = nullptr;
  OGRErr err = OGR_G_CreateFromWkt(&p, nullptr, &g);
  GeometryPtr out(g);
  if (err != OGRERR_NONE || !g) {
    std::string shown = wkt.size() > 60 ? wkt.substr(0, 57) + "..." : wkt;
    throw GeometryError("text", "not a valid WKT geometry: '" + shown + "'");
  }
  while (*p && std::isspace(static_cast<unsigned char>(*p))) ++p;
  if (*p) throw GeometryError("text", std::string("unexpected text after the WKT geometry: '") + p + "'");
  return out;
}

bool is_polygonal_type(OGRwkbGeometryType t) {
  t = wkbFlatten(t);
  return t == wkbPolygon || t == wkbMultiPolygon || t == wkbCurvePolygon || t == wkbMultiSurface ||
         t == wkbTriangle || t == wkbPolyhedralSurface || t == wkbTIN;
}

// Linearises curves, drops Z/M and turns surfaces into (Multi)Polygons.
GeometryPtr normalise(GeometryPtr g) {
  if (!g) return g;
  OGRGeometryH h = static_cast<OGRGeometryH>(g.get());
  if (OGR_G_HasCurveGeometry(h, TRUE)) {
    GeometryPtr lin(OGR_G_GetLinearGeometry(h, 0, nullptr));
    if (lin) g = std::move(lin);
  }
  OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(static_cast<OGRGeometryH>(g.get())));
  if (t == wkbTriangle || t == wkbPolyhedralSurface || t == wkbTIN || t == wkbMultiSurface ||
      t == wkbCurvePolygon) {
    OGRGeometryH raw = static_cast<OGRGeometryH>(g.release());
    raw = (t == wkbTriangle || t == wkbCurvePolygon) ? OGR_G_ForceToPolygon(raw)
                                                     : OGR_G_ForceToMultiPolygon(raw);
    g.reset(raw);
  }
  OGR_G_FlattenTo2D(static_cast<OGRGeometryH>(g.get()));
  return g;
}

SrsPtr srs_from_crs(const Crs& crs) {
  SrsPtr s(OSRNewSpatialReference(nullptr));
  OSRSetAxisMappingStrategy(static_cast<OGRSpatialReferenceH>(s.get()), OAMS_TRADITIONAL_GIS_ORDER);
  std::string text = crs.epsg() ? "EPSG:" + std::to_string(*crs.epsg()) : crs.definition();
  if (OSRSetFromUserInput(static_cast<OGRSpatialReferenceH>(s.get()), text.c_str()) != OGRERR_NONE)
    throw JobError("GDAL does not know the CRS " + crs.label());
  return s;
}

SrsPtr srs_clone(OGRSpatialReferenceH s) {
  SrsPtr c(OSRClone(s));
  OSRSetAxisMappingStrategy(static_cast<OGRSpatialReferenceH>(c.get()), OAMS_TRADITIONAL_GIS_ORDER);
  return c;
}

// The transformation from `from` to `to`; null when they are the same CRS.
TransformPtr make_transform(OGRSpatialReferenceH from, OGRSpatialReferenceH to) {
  if (!from || !to || OSRIsSame(from, to)) return nullptr;
  CPLErrorReset();
  TransformPtr t(OCTNewCoordinateTransformation(from, to));
  if (!t)
    throw JobError("cannot transform the geometries to the layer's CRS: " +
                   gdal_message("no transformation"));
  return t;
}

nlohmann::json field_value(OGRFeatureH f, int i) {
  if (!OGR_F_IsFieldSetAndNotNull(f, i)) return nullptr;
  OGRFieldDefnH def = OGR_F_GetFieldDefnRef(f, i);
  switch (OGR_Fld_GetType(def)) {
    case OFTInteger:
      if (OGR_Fld_GetSubType(def) == OFSTBoolean) return OGR_F_GetFieldAsInteger(f, i) != 0;
      return OGR_F_GetFieldAsInteger(f, i);
    case OFTInteger64:
      return static_cast<std::int64_t>(OGR_F_GetFieldAsInteger64(f, i));
    case OFTReal:
      return OGR_F_GetFieldAsDouble(f, i);
    case OFTIntegerList: {
      int n = 0;
      const int* v = OGR_F_GetFieldAsIntegerList(f, i, &n);
      return nlohmann::json(std::vector<int>(v, v + n));
    }
    case OFTInteger64List: {
      int n = 0;
      const GIntBig* v = OGR_F_GetFieldAsInteger64List(f, i, &n);
      std::vector<std::int64_t> out(v, v + n);
      return nlohmann::json(out);
    }
    case OFTRealList: {
      int n = 0;
      const double* v = OGR_F_GetFieldAsDoubleList(f, i, &n);
      return nlohmann::json(std::vector<double>(v, v + n));
    }
    case OFTStringList: {
      nlohmann::json a = nlohmann::json::array();
      for (char** s = OGR_F_GetFieldAsStringList(f, i); s && *s; ++s) a.push_back(std::string(*s));
      return a;
    }
    default:  // strings, dates and times (OGR's text form), binary (hex)
      return std::string(OGR_F_GetFieldAsString(f, i));
  }
}

// Fills `out` from an OGR geometry (consumed): type, WKB, envelope, after reprojecting with `t`.
void set_geometry(Feature& out, GeometryPtr g, OGRCoordinateTransformationH t, std::size_t index) {
  g = normalise(std::move(g));
  if (!g) return;
  OGRGeometryH h = static_cast<OGRGeometryH>(g.get());
  out.type = upper(OGR_G_GetGeometryName(h));
  out.polygonal = is_polygonal_type(OGR_G_GetGeometryType(h));
  if (OGR_G_IsEmpty(h)) return;
  if (t) {
    CPLErrorReset();
    if (OGR_G_Transform(h, t) != OGRERR_NONE)
      throw JobError("feature " + std::to_string(index) + " cannot be reprojected to the layer's CRS: " +
                     gdal_message("a vertex is outside the CRS's domain"));
  }
  out.wkb.resize(static_cast<std::size_t>(OGR_G_WkbSize(h)));
  if (OGR_G_ExportToIsoWkb(h, wkbNDR, out.wkb.data()) != OGRERR_NONE)
    throw JobError("feature " + std::to_string(index) + ": cannot encode its geometry");
  OGREnvelope env;
  OGR_G_GetEnvelope(h, &env);
  out.envelope = {env.MinX, env.MinY, env.MaxX, env.MaxY};
}

// An OGR dataset opened for reading vector data, with the source's layer (and filter) selected.
struct OpenLayer {
  DatasetPtr ds;
  OGRLayerH layer = nullptr;
};

bool has_crs_member(const std::string& geojson) {
  try {
    auto j = nlohmann::json::parse(geojson);
    return j.is_object() && j.contains("crs") && !j["crs"].is_null();
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

OpenLayer open_geojson(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
      throw GeometryError("text", "GeoJSON must be an object with a \"type\"");
  } catch (const nlohmann::json::parse_error& e) {
    throw GeometryError("text", std::string("not valid JSON: ") + e.what());
  }
  gdal_init();
  const char* drivers[] = {"GeoJSON", nullptr};
  CPLErrorReset();
  OpenLayer o;
  o.ds.reset(GDALOpenEx(text.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, drivers, nullptr, nullptr));
  if (!o.ds) throw GeometryError("text", "not valid GeoJSON: " + gdal_message("GDAL cannot read it"));
  if (GDALDatasetGetLayerCount(o.ds.get()) < 1) throw GeometryError("text", "GeoJSON without features");
  o.layer = GDALDatasetGetLayer(o.ds.get(), 0);
  return o;
}

OpenLayer open_ogr(const GeometrySource& s, ExitCode open_failure) {
  gdal_init();
  if (s.path.rfind("/vsi", 0) != 0 && s.path.find("://") == std::string::npos) {
    std::error_code ec;
    if (!fs::exists(s.path, ec)) throw GeometryError("uri", "vector source '" + s.path + "' not found");
  }
  CPLErrorReset();
  OpenLayer o;
  o.ds.reset(GDALOpenEx(s.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr));
  if (!o.ds) {
    std::string msg =
        "cannot open '" + s.path + "' as a vector source: " + gdal_message("no OGR driver reads it");
    if (open_failure == kExitIo) throw IoError(msg);
    throw GeometryError("uri", msg);
  }
  int n = GDALDatasetGetLayerCount(o.ds.get());
  auto names = [&] {
    std::string all;
    for (int i = 0; i < n; ++i) {
      if (i) all += ", ";
      all += OGR_L_GetName(GDALDatasetGetLayer(o.ds.get(), i));
    }
    return all;
  };
  if (s.layer.empty()) {
    if (n != 1)
      throw GeometryError("uri", "'" + s.path + "' has " + std::to_string(n) + " layers (" + names() +
                                     "); name one with `layer`");
    o.layer = GDALDatasetGetLayer(o.ds.get(), 0);
  } else {
    o.layer = GDALDatasetGetLayerByName(o.ds.get(), s.layer.c_str());
    if (!o.layer)
      throw GeometryError("layer",
                          "'" + s.path + "' has no layer '" + s.layer + "' (it has: " + names() + ")");
  }
  if (!s.where.empty()) {
    CPLErrorReset();
    if (OGR_L_SetAttributeFilter(o.layer, s.where.c_str()) != OGRERR_NONE)
      throw GeometryError("where",
                          "OGR rejects the filter '" + s.where + "': " + gdal_message("invalid expression"));
    // Some drivers (GeoPackage: SQLite) only evaluate the filter when reading.
    OGR_L_ResetReading(o.layer);
    FeaturePtr first(OGR_L_GetNextFeature(o.layer));
    if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
      throw GeometryError("where",
                          "OGR rejects the filter '" + s.where + "': " + gdal_message("invalid expression"));
    OGR_L_ResetReading(o.layer);
  }
  return o;
}

std::vector<Feature> read_layer(OpenLayer& o, OGRSpatialReferenceH source_srs, OGRSpatialReferenceH target,
                                bool with_fid) {
  TransformPtr t = make_transform(source_srs, target);
  std::vector<Feature> out;
  OGR_L_ResetReading(o.layer);
  CPLErrorReset();
  while (true) {
    FeaturePtr f(OGR_L_GetNextFeature(o.layer));
    if (!f) break;
    OGRFeatureH h = static_cast<OGRFeatureH>(f.get());
    Feature feat;
    int nf = OGR_F_GetFieldCount(h);
    for (int i = 0; i < nf; ++i)
      feat.attributes[OGR_Fld_GetNameRef(OGR_F_GetFieldDefnRef(h, i))] = field_value(h, i);
    if (with_fid && OGR_F_GetFID(h) != OGRNullFID) feat.fid = static_cast<std::int64_t>(OGR_F_GetFID(h));
    OGRGeometryH g = OGR_F_StealGeometry(h);
    if (g) set_geometry(feat, GeometryPtr(g), static_cast<OGRCoordinateTransformationH>(t.get()), out.size());
    out.push_back(std::move(feat));
  }
  if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal)
    throw IoError("reading features failed: " + gdal_message("OGR error"));
  return out;
}

}  // namespace

void check_geometry_source(const GeometrySource& s, bool polygons_only) {
  switch (s.kind) {
    case GeometrySource::Kind::Wkt: {
      std::optional<int> srid;
      GeometryPtr g = normalise(parse_wkt(s.text, &srid));
      if (srid) {
        SrsPtr srs(OSRNewSpatialReference(nullptr));
        if (OSRImportFromEPSG(static_cast<OGRSpatialReferenceH>(srs.get()), *srid) != OGRERR_NONE)
          throw GeometryError("text", "unknown SRID " + std::to_string(*srid));
      }
      if (polygons_only && !is_polygonal_type(OGR_G_GetGeometryType(static_cast<OGRGeometryH>(g.get()))))
        throw GeometryError("text",
                            std::string("polygonal summaries need a Polygon or MultiPolygon, not a ") +
                                upper(OGR_G_GetGeometryName(static_cast<OGRGeometryH>(g.get()))));
      return;
    }
    case GeometrySource::Kind::GeoJson: {
      OpenLayer o = open_geojson(s.text);
      if (!polygons_only) return;
      OGR_L_ResetReading(o.layer);
      std::size_t i = 0;
      while (true) {
        FeaturePtr f(OGR_L_GetNextFeature(o.layer));
        if (!f) break;
        OGRGeometryH g = OGR_F_GetGeometryRef(static_cast<OGRFeatureH>(f.get()));
        if (g && !is_polygonal_type(OGR_G_GetGeometryType(g)))
          throw GeometryError("text", "polygonal summaries need Polygons or MultiPolygons; GeoJSON feature " +
                                          std::to_string(i) + " is a " + upper(OGR_G_GetGeometryName(g)));
        ++i;
      }
      return;
    }
    case GeometrySource::Kind::Ogr: {
      OpenLayer o = open_ogr(s, kExitJob);
      if (polygons_only) {
        OGRwkbGeometryType t = wkbFlatten(OGR_L_GetGeomType(o.layer));
        if (t != wkbUnknown && t != wkbNone && t != wkbGeometryCollection && !is_polygonal_type(t))
          throw GeometryError(s.layer.empty() ? "uri" : "layer",
                              "polygonal summaries need polygons; layer '" +
                                  std::string(OGR_L_GetName(o.layer)) + "' holds " +
                                  OGRGeometryTypeToName(t) + " geometries");
      }
      return;
    }
  }
}

std::vector<Feature> read_features(const GeometrySource& s, const Crs& fallback, const Crs& target) {
  gdal_init();
  const bool has_target = target.valid();
  SrsPtr target_srs = has_target ? srs_from_crs(target) : nullptr;
  SrsPtr fallback_srs = fallback.valid() ? srs_from_crs(fallback) : nullptr;
  auto tgt = static_cast<OGRSpatialReferenceH>(target_srs.get());
  switch (s.kind) {
    case GeometrySource::Kind::Wkt: {
      std::optional<int> srid;
      GeometryPtr g = parse_wkt(s.text, &srid);
      SrsPtr src;
      if (srid) {
        src.reset(OSRNewSpatialReference(nullptr));
        OSRSetAxisMappingStrategy(static_cast<OGRSpatialReferenceH>(src.get()), OAMS_TRADITIONAL_GIS_ORDER);
        if (OSRImportFromEPSG(static_cast<OGRSpatialReferenceH>(src.get()), *srid) != OGRERR_NONE)
          throw GeometryError("text", "unknown SRID " + std::to_string(*srid));
      }
      OGRSpatialReferenceH from = src ? static_cast<OGRSpatialReferenceH>(src.get())
                                      : static_cast<OGRSpatialReferenceH>(fallback_srs.get());
      TransformPtr t = make_transform(from, tgt);
      Feature f;
      set_geometry(f, std::move(g), static_cast<OGRCoordinateTransformationH>(t.get()), 0);
      return {std::move(f)};
    }
    case GeometrySource::Kind::GeoJson: {
      OpenLayer o = open_geojson(s.text);
      // Inline GeoJSON is in the layer's CRS (GeoPySpark passes shapely geometries in the layer's CRS)
      // unless it names one: GDAL's RFC 7946 default (WGS 84) is ignored.
      SrsPtr src;
      OGRSpatialReferenceH layer_srs = OGR_L_GetSpatialRef(o.layer);
      if (has_crs_member(s.text) && layer_srs) src = srs_clone(layer_srs);
      OGRSpatialReferenceH from = src ? static_cast<OGRSpatialReferenceH>(src.get())
                                      : static_cast<OGRSpatialReferenceH>(fallback_srs.get());
      return read_layer(o, from, tgt, false);
    }
    case GeometrySource::Kind::Ogr: {
      OpenLayer o = open_ogr(s, kExitIo);
      SrsPtr src;
      OGRSpatialReferenceH layer_srs = OGR_L_GetSpatialRef(o.layer);
      if (layer_srs) src = srs_clone(layer_srs);
      OGRSpatialReferenceH from = src ? static_cast<OGRSpatialReferenceH>(src.get())
                                      : static_cast<OGRSpatialReferenceH>(fallback_srs.get());
      return read_layer(o, from, tgt, true);
    }
  }
  return {};
}

namespace {

struct GridTransform {
  double xmin, ymax, cw, ch;
};

// Map <-> grid coordinates as GeoTrellis' RasterExtent (mapXToGridDouble / mapYToGridDouble).
int grid_transform(void* arg, int dst_to_src, int n, double* x, double* y, double*, int* ok) {
  const auto* g = static_cast<const GridTransform*>(arg);
  for (int i = 0; i < n; ++i) {
    if (dst_to_src) {
      x[i] = g->xmin + x[i] * g->cw;
      y[i] = g->ymax - y[i] * g->ch;
    } else {
      x[i] = (x[i] - g->xmin) / g->cw;
      y[i] = (g->ymax - y[i]) / g->ch;
    }
    ok[i] = 1;
  }
  return TRUE;
}

}  // namespace

void burn_cell_centres(const std::vector<std::span<const unsigned char>>& polygons, const GridExtent& grid,
                       std::vector<std::uint8_t>& mask, bool clear) {
  if (grid.cols <= 0 || grid.rows <= 0 || grid.cols > INT_MAX || grid.rows > INT_MAX)
    throw std::invalid_argument("burn_cell_centres: bad grid size");
  gdal_init();
  const std::size_t n = static_cast<std::size_t>(grid.cols) * static_cast<std::size_t>(grid.rows);
  if (clear)
    mask.assign(n, 0);
  else if (mask.size() != n)
    throw std::invalid_argument("burn_cell_centres: the mask is not the grid's size");
  if (polygons.empty()) return;
  std::vector<GeometryPtr> owned;
  std::vector<OGRGeometryH> geoms;
  for (const auto& wkb : polygons) {
    OGRGeometryH g = nullptr;
    if (OGR_G_CreateFromWkbEx(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE || !g)
      throw IoError("rasterize: cannot decode a polygon");
    owned.emplace_back(g);
    geoms.push_back(g);
  }
  CPLErrorReset();
  GDALDriverH drv = GDALGetDriverByName("MEM");
  if (!drv) throw IoError("rasterize: GDAL's MEM driver is not available");
  DatasetPtr ds(
      GDALCreate(drv, "", static_cast<int>(grid.cols), static_cast<int>(grid.rows), 0, GDT_Byte, nullptr));
  if (!ds) throw IoError("rasterize: cannot create a MEM dataset: " + gdal_message("GDAL error"));
  char opt[64];
  std::snprintf(opt, sizeof opt, "DATAPOINTER=%p", static_cast<void*>(mask.data()));
  const char* options[] = {opt, nullptr};
  if (GDALAddBand(ds.get(), GDT_Byte, const_cast<char**>(options)) != CE_None)
    throw IoError("rasterize: cannot wrap the mask in a MEM dataset");
  double gt[6] = {grid.extent.xmin, grid.cell_width(), 0.0, grid.extent.ymax, 0.0, -grid.cell_height()};
  GDALSetGeoTransform(ds.get(), gt);
  GridTransform tr{grid.extent.xmin, grid.extent.ymax, grid.cell_width(), grid.cell_height()};
  int band = 1;
  std::vector<double> burn(geoms.size(), 1.0);
  CPLErr err = GDALRasterizeGeometries(ds.get(), 1, &band, static_cast<int>(geoms.size()), geoms.data(),
                                       grid_transform, &tr, burn.data(), nullptr, nullptr, nullptr);
  if (err != CE_None) throw IoError("rasterize: " + gdal_message("GDALRasterizeGeometries failed"));
  ds.reset();  // the MEM dataset wraps `mask`: nothing to flush, close before the caller reads
}

namespace {

void decompose_into(OGRGeometryH g, GeometryParts& out) {
  if (!g || OGR_G_IsEmpty(g)) return;
  const OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
  if (t == wkbPolygon || t == wkbMultiPolygon) {
    std::vector<unsigned char> wkb(static_cast<std::size_t>(OGR_G_WkbSize(g)));
    if (OGR_G_ExportToIsoWkb(g, wkbNDR, wkb.data()) != OGRERR_NONE)
      throw IoError("rasterize: cannot encode a polygon");
    out.polygons.push_back(std::move(wkb));
  } else if (t == wkbLineString || t == wkbLinearRing) {
    std::vector<Point2> line(static_cast<std::size_t>(OGR_G_GetPointCount(g)));
    for (std::size_t i = 0; i < line.size(); ++i)
      line[i] = {OGR_G_GetX(g, static_cast<int>(i)), OGR_G_GetY(g, static_cast<int>(i))};
    out.lines.push_back(std::move(line));
  } else if (t == wkbPoint) {
    out.points.push_back({OGR_G_GetX(g, 0), OGR_G_GetY(g, 0)});
  } else {
    // Multi-geometries and collections (curves were linearised when the feature was read).
    const int n = OGR_G_GetGeometryCount(g);
    for (int i = 0; i < n; ++i) decompose_into(OGR_G_GetGeometryRef(g, i), out);
  }
}

}  // namespace

GeometryParts decompose(std::span<const unsigned char> wkb) {
  GeometryParts out;
  if (wkb.empty()) return out;
  OGRGeometryH g = nullptr;
  if (OGR_G_CreateFromWkbEx(wkb.data(), nullptr, &g, wkb.size()) != OGRERR_NONE || !g)
    throw IoError("rasterize: cannot decode a geometry");
  GeometryPtr owned(g);
  decompose_into(g, out);
  return out;
}

}  // namespace trellis::io
