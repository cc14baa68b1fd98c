#pragma once
// Coordinate reference systems through PROJ. A Crs is a value (its definition text); a Transform
// owns its own PROJ context, so each thread uses its own Transform.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/extent.hpp"

namespace trellis {

class Crs {
 public:
  Crs() = default;
  // "EPSG:4326", "epsg:3857", a PROJ string, WKT, or a bare EPSG number. Throws JobError when PROJ
  // does not know it.
  static Crs from_user(const std::string& text);
  static Crs from_epsg(int code);
  static Crs from_wkt(const std::string& wkt);

  bool valid() const { return !definition_.empty(); }
  const std::string& definition() const { return definition_; }
  std::optional<int> epsg() const { return epsg_; }
  // A short name for messages: "EPSG:n" when it has a code, else PROJ's name of it ("WGS 84 / UTM zone
  // 32N"), else its definition cut to 60 characters. Never the whole WKT.
  std::string label() const;
  std::string wkt() const;  // WKT2 (what GDAL wants)
  // PROJ.4 string as GeoTrellis records it ("+proj=longlat +datum=WGS84 +no_defs ")
  std::string proj4() const;
  bool is_geographic() const;
  bool is_latlng() const { return epsg_ == 4326; }
  bool is_webmercator() const { return epsg_ == 3857; }
  // Same CRS (by EPSG code when both have one, else by PROJ equivalence).
  bool equivalent(const Crs& o) const;
  bool operator==(const Crs& o) const { return equivalent(o); }

 private:
  friend struct CrsBuilder;  // crs.cpp builds instances
  std::string definition_;   // canonical text: "EPSG:n" when it has a code, else the user's text
  std::optional<int> epsg_;
};

// x/y order is always east/north (lon/lat for geographic CRSs).
class Transform {
 public:
  Transform(const Crs& from, const Crs& to);
  ~Transform();
  Transform(const Transform&) = delete;
  Transform& operator=(const Transform&) = delete;
  Transform(Transform&&) noexcept;
  Transform& operator=(Transform&&) noexcept;

  // Transforms in place; points that fail become NaN. Returns false if any failed.
  bool apply(double& x, double& y) const;
  void apply(std::vector<double>& xs, std::vector<double>& ys) const;
  // Densified reprojection of an extent (21 points per side), like GDAL's transform_bounds.
  Extent apply(const Extent& e, int densify = 21) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trellis
