#include "core/layout.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace trellis {

namespace {

// JVM Double.toInt: truncation toward zero, saturating, NaN -> 0.
std::int32_t jvm_to_int(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 2147483647.0) return std::numeric_limits<std::int32_t>::max();
  if (v <= -2147483648.0) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(v);
}

constexpr Extent kWorldWgs84{-180, -89.99999, 179.99999, 89.99999};
constexpr Extent kWorldWebMercator{-20037508.342789244, -20037508.342789244, 20037508.342789244,
                                   20037508.342789244};
constexpr Extent kWorldSinusoidal{-2.0015109355797417E7, -1.0007554677898709E7, 2.0015109355797417E7,
                                  1.0007554677898709E7};

bool contains_token(const std::string& s, const std::string& tok) {
  std::string padded = " " + s + " ";
  return padded.find(" " + tok + " ") != std::string::npos;
}

bool is_utm(const Crs& crs) {
  if (crs.epsg()) {
    int c = *crs.epsg();
    if ((c > 32600 && c <= 32660) || (c > 32700 && c <= 32760)) return true;
  }
  return contains_token(crs.proj4(), "+proj=utm");
}

// GeoTrellis' Sinusoidal object: "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +a=6371007.181 +b=6371007.181 +units=m".
bool is_geotrellis_sinusoidal(const Crs& crs) {
  std::string p = crs.proj4();
  if (!contains_token(p, "+proj=sinu")) return false;
  bool radius = contains_token(p, "+R=6371007.181") ||
                (contains_token(p, "+a=6371007.181") && contains_token(p, "+b=6371007.181"));
  bool lon0 = !(p.find("+lon_0=") != std::string::npos && !contains_token(p, "+lon_0=0"));
  bool x0 = !(p.find("+x_0=") != std::string::npos && !contains_token(p, "+x_0=0"));
  bool y0 = !(p.find("+y_0=") != std::string::npos && !contains_token(p, "+y_0=0"));
  return radius && lon0 && x0 && y0;
}

const Crs& latlng() {
  static const Crs c = Crs::from_epsg(4326);
  return c;
}

long pow2_layout(int zoom) {
  // GeoTrellis: math.pow(2, level).toInt
  return static_cast<long>(jvm_to_int(std::pow(2.0, zoom)));
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// LayoutDefinition (MapKeyTransform)

Extent LayoutDefinition::key_extent(long col, long row) const {
  double tw = tile_width(), th = tile_height();
  double c = static_cast<double>(col), r = static_cast<double>(row);
  return Extent{extent.xmin + c * tw, extent.ymax - (r + 1) * th, extent.xmin + (c + 1) * tw,
                extent.ymax - r * th};
}

SpatialKey LayoutDefinition::point_to_key(double x, double y) const {
  double tcol = ((x - extent.xmin) / extent.width()) * static_cast<double>(tile_layout.layout_cols);
  double trow = ((extent.ymax - y) / extent.height()) * static_cast<double>(tile_layout.layout_rows);
  return SpatialKey{jvm_to_int(std::floor(tcol)), jvm_to_int(std::floor(trow))};
}

GridBounds LayoutDefinition::extent_to_bounds(const Extent& e) const {
  SpatialKey mn = point_to_key(e.xmin, e.ymax);
  long col_max, row_max;
  {
    double d = (e.xmax - extent.xmin) / (extent.width() / static_cast<double>(tile_layout.layout_cols));
    if (d == std::floor(d) && d != static_cast<double>(mn.col))
      col_max = static_cast<long>(jvm_to_int(d)) - 1;
    else
      col_max = jvm_to_int(d);
  }
  {
    double d = (extent.ymax - e.ymin) / (extent.height() / static_cast<double>(tile_layout.layout_rows));
    if (d == std::floor(d) && d != static_cast<double>(mn.row))
      row_max = static_cast<long>(jvm_to_int(d)) - 1;
    else
      row_max = jvm_to_int(d);
  }
  return GridBounds{mn.col, mn.row, col_max, row_max};
}

Extent LayoutDefinition::bounds_extent(const GridBounds& b) const {
  Extent e1 = key_extent(b.col_min, b.row_min);
  Extent e2 = key_extent(b.col_max, b.row_max);
  return e1.combine(e2);
}

LayoutDefinition LayoutDefinition::from_grid(const Extent& extent, const CellSize& cs, int tile_cols,
                                             int tile_rows) {
  if (tile_cols <= 0 || tile_rows <= 0) throw JobError("tile size must be positive");
  if (!(cs.width > 0) || !(cs.height > 0)) throw JobError("cell size must be positive");
  double total_pixel_width = extent.width() / cs.width;
  double total_pixel_height = extent.height() / cs.height;
  long layout_cols = jvm_to_int(std::ceil(total_pixel_width / tile_cols));
  long layout_rows = jvm_to_int(std::ceil(total_pixel_height / tile_rows));
  TileLayout tl{layout_cols, layout_rows, tile_cols, tile_rows};
  Extent le{extent.xmin, extent.ymax - (static_cast<double>(tl.total_rows()) * cs.height),
            extent.xmin + static_cast<double>(tl.total_cols()) * cs.width, extent.ymax};
  return LayoutDefinition{le, tl};
}

// ------------------------------------------------------------------------------------------------
// FloatingLayoutScheme / LocalLayoutScheme

namespace {
// LocalLayoutScheme.pyramid: tiles needed when the resolution is halved.
long local_pyramid(long tiles) {
  double x = static_cast<double>(tiles);
  int pad = jvm_to_int(std::pow(2.0, std::ceil(std::log(x) / std::log(2.0))));
  int reduced_padded = pad / 2;
  return jvm_to_int(std::ceil(reduced_padded * (x / static_cast<double>(pad))));
}
}  // namespace

LayoutDefinition FloatingLayoutScheme::zoom_out(const LayoutDefinition& ld) {
  LayoutDefinition out = ld;
  out.tile_layout.layout_cols = std::max(1L, local_pyramid(ld.tile_layout.layout_cols));
  out.tile_layout.layout_rows = std::max(1L, local_pyramid(ld.tile_layout.layout_rows));
  return out;
}

int FloatingLayoutScheme::infer_layout_level(const LayoutDefinition& ld) {
  auto pow2 = [](long x) { return jvm_to_int(std::ceil(std::log(static_cast<double>(x)) / std::log(2.0))); };
  return std::max(pow2(ld.tile_layout.layout_cols), pow2(ld.tile_layout.layout_rows));
}

// ------------------------------------------------------------------------------------------------
// ZoomedLayoutScheme

ZoomedLayoutScheme::ZoomedLayoutScheme(Crs crs, int tile_size, double resolution_threshold)
    : crs_(std::move(crs)), tile_size_(tile_size), threshold_(resolution_threshold) {
  if (tile_size_ <= 0) throw JobError("tile size must be positive");
  world_ = world_extent_for(crs_);
}

Extent ZoomedLayoutScheme::world_extent_for(const Crs& crs) {
  if (!crs.valid()) throw JobError("a zoomed layout needs a CRS");
  if (crs.is_latlng()) return kWorldWgs84;
  if (crs.is_webmercator()) return kWorldWebMercator;
  if (is_geotrellis_sinusoidal(crs)) return kWorldSinusoidal;
  if (is_utm(crs))
    throw JobError(
        "Projection " + crs.proj4() +
        "is not supported as a WorldExtent projection, use a different projection for your purposes "
        "or use a different LayoutScheme.");
  // WORLD_WSG84.reproject(LatLng, crs): the envelope of the four reprojected corners.
  Transform t(latlng(), crs);
  double xs[4] = {kWorldWgs84.xmin, kWorldWgs84.xmax, kWorldWgs84.xmax, kWorldWgs84.xmin};
  double ys[4] = {kWorldWgs84.ymin, kWorldWgs84.ymin, kWorldWgs84.ymax, kWorldWgs84.ymax};
  bool ok = true;
  for (int i = 0; i < 4; ++i) ok = t.apply(xs[i], ys[i]) && ok;
  Extent e;
  if (ok) {
    e = {std::min({xs[0], xs[1], xs[2], xs[3]}), std::min({ys[0], ys[1], ys[2], ys[3]}),
         std::max({xs[0], xs[1], xs[2], xs[3]}), std::max({ys[0], ys[1], ys[2], ys[3]})};
  } else {
    e = t.apply(kWorldWgs84, 21);
  }
  if (!std::isfinite(e.xmin) || !std::isfinite(e.ymin) || !std::isfinite(e.xmax) || !std::isfinite(e.ymax) ||
      e.empty())
    throw JobError("cannot compute the world extent of CRS " + crs.label());
  return e;
}

int ZoomedLayoutScheme::zoom(double x, double y, const CellSize& cs) const {
  double l1x = x + cs.width, l1y = y + cs.height;
  double l2x = x, l2y = y;
  if (!crs_.is_latlng()) {
    Transform to_ll(crs_, latlng());
    to_ll.apply(l1x, l1y);
    to_ll.apply(l2x, l2y);
  }
  double dist;
  if (-80 <= l1y && l1y <= 84) {
    Crs utm = Crs::from_epsg(utm_epsg_for(l1x, l1y));
    Transform to_utm(latlng(), utm);
    double p1x = l1x, p1y = l1y, p2x = l2x, p2y = l2y;
    to_utm.apply(p1x, p1y);
    to_utm.apply(p2x, p2y);
    dist = std::max(std::fabs(p1x - p2x), std::fabs(p1y - p2y));
  } else {
    dist = haversine(l1x, l1y, l2x, l2y);
  }
  if (!std::isfinite(dist) || dist <= 0)
    throw JobError("cannot compute a zoom level for cell size " + std::to_string(cs.width) + " x " +
                   std::to_string(cs.height));
  int z = jvm_to_int(std::log(kEarthCircumference / (dist * tile_size_)) / std::log(2.0));
  double z_res = kEarthCircumference / (std::pow(2.0, z) * tile_size_);
  double next_z_res = kEarthCircumference / (std::pow(2.0, z + 1) * tile_size_);
  double delta = z_res - next_z_res;
  double diff = z_res - dist;
  return diff / delta > threshold_ ? z + 1 : z;
}

LayoutLevel ZoomedLayoutScheme::level_for(const Extent& extent, const CellSize& cs) const {
  return level_for_zoom(zoom(extent.xmin, extent.ymin, cs));
}

LayoutLevel ZoomedLayoutScheme::level_for_zoom(int zoom) const {
  if (zoom < 0) throw JobError("TMS Tiling scheme does not have levels below 0");
  if (zoom > 30) throw JobError("zoom level " + std::to_string(zoom) + " is too deep (at most 30)");
  long n = pow2_layout(zoom);
  return LayoutLevel{zoom, LayoutDefinition{world_, TileLayout{n, n, tile_size_, tile_size_}}};
}

LayoutLevel ZoomedLayoutScheme::zoom_out(const LayoutLevel& level) {
  if (level.zoom <= 0) throw JobError("cannot zoom out of zoom level " + std::to_string(level.zoom));
  int z = level.zoom - 1;
  long n = pow2_layout(z);
  LayoutDefinition ld{level.layout.extent, TileLayout{n, n, level.layout.tile_layout.tile_cols,
                                                      level.layout.tile_layout.tile_rows}};
  return LayoutLevel{z, ld};
}

// ------------------------------------------------------------------------------------------------

double haversine(double lon1, double lat1, double lon2, double lat2) {
  constexpr double kDeg = 3.14159265358979323846 / 180.0;
  double d_lat = (lat2 - lat1) * kDeg;
  double d_lon = (lon2 - lon1) * kDeg;
  double r1 = lat1 * kDeg, r2 = lat2 * kDeg;
  double a = std::sin(d_lat / 2) * std::sin(d_lat / 2) +
             std::sin(d_lon / 2) * std::sin(d_lon / 2) * std::cos(r1) * std::cos(r2);
  double c = 2 * std::atan2(std::sqrt(a), std::sqrt(1 - a));
  return kEarthRadius * c;
}

int utm_epsg_for(double lon, double lat) {
  if (!(-80 <= lat && lat <= 84)) throw JobError("Outside UTM limits (latitude " + std::to_string(lat) + ")");
  int zone = jvm_to_int(std::floor((lon + 180) / 6) + 1);
  static const char* kBands = "CDEFGHJKLMNPQRSTUVWXX";  // X repeated for 80-84N
  int bi = jvm_to_int(std::floor(lat / 8 + 10));
  char band = kBands[std::clamp(bi, 0, 20)];
  if (zone == 31 && band == 'V' && lon >= 3) zone += 1;
  if (zone == 32 && band == 'X' && lon < 9) zone -= 1;
  if (zone == 32 && band == 'X' && lon >= 9) zone += 1;
  if (zone == 34 && band == 'X' && lon < 21) zone -= 1;
  if (zone == 34 && band == 'X' && lon >= 21) zone += 1;
  if (zone == 36 && band == 'X' && lon < 33) zone -= 1;
  if (zone == 36 && band == 'X' && lon >= 33) zone += 1;
  return (lat >= 0 ? 32600 : 32700) + zone;
}

}  // namespace trellis
